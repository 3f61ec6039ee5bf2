"""Batch sampler whose indices carry the coordinates of their draw (per-sample seeded augmentation)."""
from typing import Iterator, List

from mmengine.dist import get_dist_info
from torch.utils.data import BatchSampler, Sampler
from mmaction.registry import DATA_SAMPLERS

from ...utils.randomness import DrawIndex


@DATA_SAMPLERS.register_module()
class SeededBatchSampler(BatchSampler):
    """MMEngine's batching of a sampler, with each index tagged by ``(seed, rank, epoch, position)``.

    ``position`` counts the indices this rank has yielded in the epoch (under an iteration-based loop, whose
    ``InfiniteSampler`` is one endless epoch, it keeps growing). :class:`~ga2clip_mmaction.datasets.
    RobustVideoDataset` seeds the pipeline of a tagged index from these coordinates, so the augmentation of a
    draw is a pure function of where it is in the run: a resumed run augments exactly as an uninterrupted one,
    every visit of an index gets its own clip, and ranks differ. The main indices and their order are those of
    the wrapped sampler (shuffling, rank sharding, ``DistSamplerSeedHook``'s epoch).

    ``start_batch`` leaves out the first batches of every pass (a resume inside an epoch:
    :class:`~ga2clip_mmaction.engine.hooks.PreemptionHook` sets it for the resumed epoch and puts it back to 0).
    The left-out batches are still drawn, only not yielded: the batches that follow are those of a full pass, with
    the same indices, anchors and draw coordinates, and ``len()`` counts the batches that remain.

    Use as ``train_dataloader.batch_sampler=dict(type='SeededBatchSampler')``; MMEngine's runner builds it with the
    configured ``sampler`` and ``batch_size``.

    Args:
        sampler (Sampler): The sampler of indices (e.g. ``DefaultSampler``).
        batch_size (int): Samples per batch.
        drop_last (bool): Drop the last incomplete batch. Defaults to False.
        start_batch (int): Batches of each pass left out at its start. Defaults to 0.
    """

    def __init__(self, sampler: Sampler, batch_size: int, drop_last: bool = False, start_batch: int = 0) -> None:
        if not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f'{type(self).__name__}: batch_size must be a positive int, got {batch_size!r}')
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.start_batch = start_batch
        self.rank = get_dist_info()[0]

    @property
    def start_batch(self) -> int:
        """Batches of each pass left out at its start (drawn, not yielded)."""
        return self._start_batch

    @start_batch.setter
    def start_batch(self, value: int) -> None:
        if not isinstance(value, int) or value < 0:
            raise ValueError(f'{type(self).__name__}: start_batch must be an int >= 0, got {value!r}')
        self._start_batch = value

    @property
    def seed(self) -> int:
        """Seed of the wrapped sampler (equal on every rank; 0 when it has none)."""
        seed = getattr(self.sampler, 'seed', None)
        return 0 if seed is None else int(seed)

    @property
    def epoch(self) -> int:
        """Epoch of the wrapped sampler (set by ``DistSamplerSeedHook``; 0 when it has none)."""
        return int(getattr(self.sampler, 'epoch', 0))

    def extra_indices(self, batch_idx: int) -> List[int]:
        """Indices appended to batch ``batch_idx`` (none here; anchor clips in subclasses)."""
        return []

    def _tag(self, batch: List[int], start: int) -> List[DrawIndex]:
        seed, epoch = self.seed, self.epoch
        return [DrawIndex(idx, (seed, self.rank, epoch, start + i)) for i, idx in enumerate(batch)]

    def __iter__(self) -> Iterator[List[int]]:
        batch: List[int] = []
        batch_idx = position = 0
        start = self.start_batch
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                full = batch + self.extra_indices(batch_idx)
                if batch_idx >= start:
                    yield self._tag(full, position)
                position += len(full)
                batch = []
                batch_idx += 1
        if batch and not self.drop_last and batch_idx >= start:
            yield self._tag(batch + self.extra_indices(batch_idx), position)

    def __len__(self) -> int:
        if self.drop_last:
            full = len(self.sampler) // self.batch_size
        else:
            full = (len(self.sampler) + self.batch_size - 1) // self.batch_size
        return max(full - self.start_batch, 0)

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch of the wrapped sampler.

        Args:
            epoch (int): Epoch number.
        """
        if hasattr(self.sampler, 'set_epoch'):
            self.sampler.set_epoch(epoch)
