"""``VideoDataset`` with a policy for unreadable videos and per-sample seeded augmentation."""
import logging
import os.path as osp
import random
from contextlib import contextmanager
from typing import Iterator, List, Optional, Tuple

import numpy as np
import torch
from mmengine.logging import print_log
from mmaction.datasets import VideoDataset
from mmaction.registry import DATASETS

#: What a dataset does with a video it cannot read.
BAD_VIDEO_POLICIES = ('skip', 'raise')
#: Metainfo key of a data sample that lists the videos substituted by it: ``[(path, reason), ...]``.
BAD_VIDEOS_KEY = 'bad_videos'
_MASK32 = 0xFFFFFFFF


class BadVideoError(RuntimeError):
    """A video cannot be read (missing, empty, undecodable, too short); the message names the file."""


def _first_line(err: BaseException, limit: int = 300) -> str:
    text = str(err).strip().splitlines()
    text = text[0] if text else ''
    return f'{type(err).__name__}: {text[:limit]}' if text else type(err).__name__


def file_problem(path: str) -> Optional[str]:
    """Why ``path`` cannot be a video before opening it (missing, not a file, 0 bytes), else ``None``.

    Args:
        path (str): The video path.

    Returns:
        str | None: The reason, or ``None`` when the file exists and is not empty.
    """
    if not osp.exists(path):
        return 'file not found'
    if not osp.isfile(path):
        return 'not a regular file'
    if osp.getsize(path) == 0:
        return 'empty file (0 bytes)'
    return None


def probe_video(path: str, num_frames: int = 4, min_frames: int = 1) -> Optional[str]:
    """Why ``path`` cannot be read, or ``None``: open it with decord and decode ``num_frames`` frames.

    Args:
        path (str): Video file.
        num_frames (int): Evenly spaced frames to decode, the last one included. Defaults to 4.
        min_frames (int): Fewer frames make the video bad. Defaults to 1.

    Returns:
        str | None: The reason (``'file not found'``, ``'empty file (0 bytes)'``, the decoder's error...).
    """
    problem = file_problem(path)
    if problem is not None:
        return problem
    try:
        import decord
        reader = decord.VideoReader(path, num_threads=1)
        total = len(reader)
        if total < min_frames:
            return f'{total} frames, fewer than min_frames={min_frames}'
        count = max(1, min(num_frames, total))
        indices = sorted({round(i * (total - 1) / max(count - 1, 1)) for i in range(count)})
        reader.get_batch(indices)
    except Exception as err:  # noqa: BLE001 - any decoder failure is the file's
        return _first_line(err)
    return None


@contextmanager
def seeded_rng(entropy: List[int]) -> Iterator[None]:
    """Seed Python's, numpy's and torch's global generators from ``entropy`` and restore them on exit.

    Args:
        entropy (list[int]): Non-negative integers (e.g. ``[seed, epoch, stream, index]``).
    """
    states = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    seed = np.random.SeedSequence(entropy).generate_state(2)
    random.seed(int(seed[0]))
    np.random.seed(int(seed[0]))
    torch.manual_seed((int(seed[1]) << 32) | int(seed[0]))
    try:
        yield
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.set_rng_state(states[2])


@DATASETS.register_module()
class RobustVideoDataset(VideoDataset):
    """MMAction2's ``VideoDataset`` that survives broken videos and augments reproducibly.

    **Bad videos.** A video that is missing, empty (0 bytes), cannot be opened or decoded (truncated,
    random bytes), or has fewer than ``min_frames`` frames is *bad*. With ``bad_video='raise'`` (default in
    ``test_mode``) the first one stops with :class:`BadVideoError` naming the file and the decoder's reason.
    With ``'skip'`` (default for training) MMEngine's refetch takes over: ``prepare_data`` returns ``None``
    and ``BaseDataset.__getitem__`` fetches another sample, at most ``max_refetch`` times. The substitute
    is a deterministic function of the bad index and the attempt (not of the process' random state, so a
    resumed run substitutes the same sample); the returned sample carries the bad ``(path, reason)`` pairs
    in its metainfo key ``bad_videos``, which crosses DataLoader worker processes with the batch.
    :class:`~ga2clip_mmaction.engine.hooks.BadVideoHook` counts them, logs each file once, sums over ranks
    and stops a run whose bad fraction exceeds its limit. Only errors raised by the loading transforms
    (everything up to the last ``*Decode`` transform) make a video bad; an error in a later transform is a
    pipeline bug and is raised as such.

    **Seeded augmentation.** After :meth:`set_sample_seed` (called every epoch by
    :class:`~ga2clip_mmaction.engine.hooks.ResumableRandomnessHook`) the pipeline of sample ``i`` runs with
    the global Python/numpy/torch generators seeded by ``(seed, epoch, stream, i)`` and restored afterwards,
    so the augmentation of a sample depends neither on the worker nor on what the process did before: a run
    resumed from a checkpoint augments exactly as an uninterrupted one. Without it the pipeline draws from
    the global generators, as in ``VideoDataset``.

    Args:
        bad_video (str, optional): ``'skip'`` or ``'raise'``; ``None`` means ``'raise'`` in ``test_mode``,
            ``'skip'`` otherwise. ``'skip'`` in ``test_mode`` is refused (it would change the metrics).
            Defaults to None.
        min_frames (int): A video with fewer frames (``total_frames`` after opening) is bad. Defaults to 1.
        max_refetch (int): Substitution attempts per sample (MMEngine's ``BaseDataset``). Defaults to 10.
        **kwargs: ``VideoDataset`` arguments (``ann_file``, ``pipeline``, ``data_prefix``, ``test_mode``...).
    """

    def __init__(self, *args, bad_video: Optional[str] = None, min_frames: int = 1, max_refetch: int = 10,
                 **kwargs) -> None:
        test_mode = kwargs.get('test_mode', False)
        if bad_video is None:
            bad_video = 'raise' if test_mode else 'skip'
        if bad_video not in BAD_VIDEO_POLICIES:
            raise ValueError(f'RobustVideoDataset: bad_video must be one of {BAD_VIDEO_POLICIES}, '
                             f'got {bad_video!r}')
        if bad_video == 'skip' and test_mode:
            raise ValueError("RobustVideoDataset: bad_video='skip' is for training; a val/test set "
                             "(test_mode=True) must use 'raise' (a substituted video would change the metrics)")
        if not isinstance(min_frames, int) or min_frames < 1:
            raise ValueError(f'RobustVideoDataset: min_frames must be an int >= 1, got {min_frames!r}')
        self.bad_video = bad_video
        self.min_frames = min_frames
        # [enabled, seed low, seed high, epoch, stream] in shared memory: set in the main process, read by
        # DataLoader workers, persistent ones included.
        self._seed_state = torch.zeros(5, dtype=torch.int64).share_memory_()
        self._failures: List[Tuple[str, str]] = []
        super().__init__(*args, max_refetch=max_refetch, **kwargs)
        transforms = list(getattr(self.pipeline, 'transforms', []))
        decode = [i for i, t in enumerate(transforms) if type(t).__name__.endswith('Decode')]
        #: Index of the last loading transform: errors up to it make a video bad.
        self._last_loading = decode[-1] if decode else len(transforms) - 1

    def set_sample_seed(self, seed: Optional[int], epoch: int = 0, stream: int = 0) -> None:
        """Seed each sample's pipeline by ``(seed, epoch, stream, index)``; ``seed=None`` switches it off.

        Args:
            seed (int, optional): The run's seed.
            epoch (int): The epoch. Defaults to 0.
            stream (int): Distinguishes datasets of one run (main samples, anchor clips). Defaults to 0.
        """
        if seed is None:
            self._seed_state.zero_()
        else:
            seed = int(seed)
            self._seed_state.copy_(torch.tensor([1, seed & _MASK32, (seed >> 32) & _MASK32, int(epoch),
                                                 int(stream)]))

    @property
    def sample_seeded(self) -> bool:
        """Whether :meth:`set_sample_seed` switched per-sample seeding on."""
        return bool(self._seed_state[0])

    def _entropy(self, idx: int) -> List[int]:
        """``[seed low, seed high, epoch, stream, idx]`` of sample ``idx``."""
        return [int(v) for v in self._seed_state[1:].tolist()] + [int(idx)]

    def _rand_another(self, idx: Optional[int] = None, attempt: int = 0) -> int:
        """A substitute index, a function of ``(bad index, attempt)`` and of the sample seed."""
        entropy = [int(idx or 0), int(attempt)] + self._entropy(0)[:4]
        return int(np.random.default_rng(entropy).integers(len(self)))

    def _run_pipeline(self, data: dict) -> Tuple[Optional[dict], Optional[str]]:
        """Run the pipeline; returns ``(results, None)`` or ``(None, reason)`` for a bad video."""
        transforms = list(getattr(self.pipeline, 'transforms', [self.pipeline]))
        for i, transform in enumerate(transforms):
            try:
                data = transform(data)
            except Exception as err:  # noqa: BLE001 - loading errors are the video's, others re-raised
                if i > self._last_loading:
                    raise
                return None, f'{type(transform).__name__}: {_first_line(err)}'
            if data is None:
                return None, None
            frames = data.get('total_frames')
            if i <= self._last_loading and frames is not None and int(frames) < self.min_frames:
                return None, f'{int(frames)} frames, the pipeline needs at least {self.min_frames} (min_frames)'
        return data, None

    def prepare_data(self, idx: int) -> Optional[dict]:
        """Load and transform sample ``idx``; ``None`` (refetch) for a bad video under ``'skip'``.

        Raises:
            BadVideoError: A bad video under ``'raise'``.
        """
        info = self.get_data_info(idx)
        path = str(info.get('filename', ''))
        reason = file_problem(path)
        data = None
        if reason is None:
            if not self.sample_seeded:
                data, reason = self._run_pipeline(info)
            else:
                with seeded_rng(self._entropy(idx)):
                    data, reason = self._run_pipeline(info)
        if reason is None:
            return data
        if self.bad_video == 'raise':
            raise BadVideoError(f'{path}: {reason} (dataset {self.ann_file}, index {idx}; set the '
                                "dataset's bad_video='skip' to substitute bad training videos)")
        print_log(f'RobustVideoDataset: skipping {path}: {reason}', logger='current', level=logging.DEBUG)
        self._failures.append((path, reason))
        return None

    def __getitem__(self, idx: int) -> dict:
        """MMEngine's refetch loop with a deterministic substitute; the result lists the skipped videos."""
        if not self._fully_initialized:
            self.full_init()
        if self.test_mode:
            return super().__getitem__(idx)
        self._failures = []
        first = idx
        for attempt in range(self.max_refetch + 1):
            data = self.prepare_data(idx)
            if data is not None:
                if self._failures:
                    data['data_samples'].set_metainfo({BAD_VIDEOS_KEY: list(self._failures)})
                    self._failures = []
                return data
            idx = self._rand_another(first, attempt)
        failures, self._failures = self._failures, []
        listed = '; '.join(f'{p} ({r})' for p, r in failures[:5])
        raise BadVideoError(f'RobustVideoDataset: no readable video after {self.max_refetch} substitutions '
                            f'of index {first} in {self.ann_file}: {listed}')
