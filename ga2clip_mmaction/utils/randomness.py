"""Random streams that are pure functions of their coordinates, so a resumed run draws what an uninterrupted one does.

Every stream of a training run is derived from integers only:

* the model's step (dropout, drop-path): ``(seed, rank, iteration)``; ranks differ;
* the class-prompt text encoding when it is sharded across ranks: ``(shared_text_seed, step)``, where ``step``
  is the head's own count of training steps (a buffer the checkpoint carries), the same on every rank, so the
  shards of one step use one dropout mask;
* the augmentation of one drawn sample: ``(seed, rank, epoch, position)``, where ``position`` counts the indices
  a rank's batch sampler has yielded in the epoch (main samples and anchor clips alike), plus the attempt number
  of a bad-video substitute. Repeats of an index (anchor clips, ``RepeatDataset``, substitutes) therefore get
  different clips, and under an iteration-based loop (one endless epoch) the position keeps advancing.

The batch sampler attaches the draw's coordinates to the index it yields (:class:`DrawIndex`), so they reach
DataLoader worker processes, persistent or not, with the index itself.
"""
import contextlib
import random
from typing import Iterator, Optional, Sequence, Tuple

import numpy as np
import torch

_MASK32 = 0xFFFFFFFF

#: Stream tags, so that streams with equal coordinates never coincide.
STREAM_MODEL_STEP = 1
STREAM_SHARED_TEXT = 2
STREAM_SAMPLE = 3
STREAM_SUBSTITUTE = 4


def _words(values: Sequence[int]) -> list:
    """Non-negative 32-bit words of signed integers of any size (for ``np.random.SeedSequence``), a one-to-one
    encoding of the sequence.

    A value below ``2**64`` in magnitude is ``[sign, low word, high word]`` (sign 0 or 1), the encoding seeds had
    before larger values were supported, so their seeds are unchanged; a larger one is ``[2 + sign, count,
    words...]`` (its first word tells the two forms apart).
    """
    words = []
    for value in values:
        value = int(value)
        sign, magnitude = (1 if value < 0 else 0), abs(value)
        if magnitude >> 64 == 0:
            words += [sign, magnitude & _MASK32, (magnitude >> 32) & _MASK32]
            continue
        parts = []
        while magnitude:
            parts.append(magnitude & _MASK32)
            magnitude >>= 32
        words += [2 + sign, len(parts)] + parts
    return words


def derive_seed(*coordinates: int) -> int:
    """A 63-bit seed that depends on every coordinate (and on their order).

    Args:
        *coordinates (int): Integers (seed, stream tag, rank, iteration, ...), any sign and size.

    Returns:
        int: A seed in ``[0, 2**63)``.
    """
    low, high = (int(v) for v in np.random.SeedSequence(_words(coordinates)).generate_state(2))
    return ((high & 0x7FFFFFFF) << 32) | low


def seed_global_generators(seed: int) -> None:
    """Seed Python's, numpy's and torch's global generators (CPU and every CUDA device) from ``seed``.

    Args:
        seed (int): A seed from :func:`derive_seed`.
    """
    random.seed(seed)
    np.random.seed(seed & _MASK32)
    torch.manual_seed(seed)


@contextlib.contextmanager
def forked_cpu_rng(seed: int) -> Iterator[None]:
    """Run the body with Python's, numpy's and torch's CPU generators seeded from ``seed``, then restore them.

    Only the CPU generators are touched (``torch.random.fork_rng(devices=[])``): a data pipeline draws on the
    CPU, and no CUDA generator is reseeded or left changed.

    Args:
        seed (int): A seed from :func:`derive_seed`.
    """
    py_state, np_state = random.getstate(), np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        random.seed(seed)
        np.random.seed(seed & _MASK32)
        torch.default_generator.manual_seed(seed)
        try:
            yield
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)


class DrawIndex(int):
    """A dataset index that carries the coordinates of its draw: ``(seed, rank, epoch, position[, attempt])``.

    It is an ``int`` everywhere an index is used. Integer arithmetic with a plain ``int`` (``+``, ``-``, ``%``)
    keeps the draw, so wrapper datasets that map their index to an inner one by arithmetic (MMEngine's
    ``RepeatDataset`` and ``ConcatDataset``, :class:`~ga2clip_mmaction.datasets.AnchorSetDataset`) pass it on.
    It pickles with its draw, so it crosses to DataLoader workers.

    Args:
        value (int): The index.
        draw (tuple[int, ...]): The draw's coordinates.
    """

    draw: Tuple[int, ...]

    def __new__(cls, value: int, draw: Sequence[int]) -> 'DrawIndex':
        obj = super().__new__(cls, int(value))
        obj.draw = tuple(int(v) for v in draw)
        return obj

    def __reduce__(self):
        return DrawIndex, (int(self), self.draw)

    def with_value(self, value: int) -> 'DrawIndex':
        """The same draw at another index."""
        return DrawIndex(value, self.draw)

    def __add__(self, other):
        return self.with_value(int(self) + other) if isinstance(other, int) else NotImplemented

    __radd__ = __add__

    def __sub__(self, other):
        return self.with_value(int(self) - other) if isinstance(other, int) else NotImplemented

    def __mod__(self, other):
        return self.with_value(int(self) % other) if isinstance(other, int) else NotImplemented

    def __repr__(self) -> str:
        return f'DrawIndex({int(self)}, draw={self.draw})'


def draw_of(index) -> Optional[Tuple[int, ...]]:
    """The draw coordinates an index carries, or ``None`` for a plain index."""
    return getattr(index, 'draw', None)
