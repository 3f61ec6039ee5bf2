"""``VideoDataset`` with a policy for unreadable videos and per-sample seeded augmentation."""
import logging
import os.path as osp
from typing import List, Optional, Tuple

import numpy as np
from mmengine.logging import print_log
from mmaction.datasets import VideoDataset
from mmaction.registry import DATASETS

from ..structures import BAD_VIDEOS_KEY  # the metainfo key of the videos a sample substitutes: [(path, reason)]
from ..utils.randomness import STREAM_SAMPLE, STREAM_SUBSTITUTE, DrawIndex, derive_seed, draw_of, forked_cpu_rng

#: What a dataset does with a video it cannot read.
BAD_VIDEO_POLICIES = ('skip', 'raise')


class BadVideoError(RuntimeError):
    """A video cannot be read (missing, empty, undecodable, too short); the message names the file."""


def _first_line(err: BaseException, limit: int = 300) -> str:
    text = str(err).strip().splitlines()
    text = text[0] if text else ''
    return f'{type(err).__name__}: {text[:limit]}' if text else type(err).__name__


def file_problem(path: str, backend_args: Optional[dict] = None) -> Optional[str]:
    """Why ``path`` cannot be a video before opening it (missing, not a file, 0 bytes), else ``None``.

    Looked up through ``mmengine.fileio`` (the backend of the path's prefix: local files, petrel, http, or any
    registered backend); the size is checked for local files only (other backends would have to download it).

    Args:
        path (str): The video path.
        backend_args (dict, optional): ``mmengine.fileio`` backend arguments (the dataset's). Defaults to None.

    Returns:
        str | None: The reason, or ``None`` when the file exists and is not empty.
    """
    from mmengine import fileio
    backend = fileio.get_file_backend(path, backend_args=backend_args)
    if not isinstance(backend, fileio.LocalBackend):
        if not backend.exists(path):
            return 'file not found'
        if hasattr(backend, 'isfile') and not backend.isfile(path):
            return 'not a regular file'
        return None
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

    **Seeded augmentation.** An index that carries its draw (a :class:`~ga2clip_mmaction.utils.randomness.
    DrawIndex` from :class:`~ga2clip_mmaction.datasets.samplers.SeededBatchSampler` or ``AnchorBatchSampler``:
    ``(seed, rank, epoch, position)``) runs the pipeline with the CPU generators (Python, numpy, torch) seeded
    from those coordinates and restored afterwards (``torch.random.fork_rng``). The augmentation of a draw then
    depends neither on the worker nor on what the process did before (a resumed run augments exactly as an
    uninterrupted one), while each draw of the same index, each rank and each substitute gets its own clip. A
    plain ``int`` index draws from the global generators, as in ``VideoDataset``.

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
        self._failures: List[Tuple[str, str]] = []
        super().__init__(*args, max_refetch=max_refetch, **kwargs)
        transforms = list(getattr(self.pipeline, 'transforms', []))
        decode = [i for i, t in enumerate(transforms) if type(t).__name__.endswith('Decode')]
        #: Index of the last loading transform: errors up to it make a video bad.
        self._last_loading = decode[-1] if decode else len(transforms) - 1

    def _rand_another(self, idx: int, attempt: int) -> int:
        """A substitute for the bad index ``idx`` at refetch ``attempt``.

        With a drawn index it is a function of the draw and the attempt (a resumed run substitutes the same
        sample) and carries the draw extended by the attempt, so its augmentation is seeded too; a plain index
        gets a substitute from numpy's global generator.
        """
        draw = draw_of(idx)
        pool = self._same_class(int(idx))
        if draw is None:
            return int(pool[np.random.randint(len(pool))])
        pick = int(pool[np.random.default_rng(derive_seed(STREAM_SUBSTITUTE, *draw, attempt)).integers(len(pool))])
        return DrawIndex(pick, draw + (attempt + 1, ))

    def _same_class(self, idx: int) -> np.ndarray:
        """Indices of the samples with the label of ``idx`` other than ``idx`` (a substitute keeps the class
        balance of a few-shot list); every index when the class has no other sample or labels are not ints."""
        if getattr(self, '_by_label', None) is None:
            labels = [self.get_data_info(i).get('label') for i in range(len(self))]
            by_label = {}
            if all(isinstance(v, (int, np.integer)) for v in labels):
                for i, v in enumerate(labels):
                    by_label.setdefault(int(v), []).append(i)
            self._by_label = {k: np.asarray(v) for k, v in by_label.items()}
            self._labels = labels
        label = self._labels[idx]
        pool = self._by_label.get(int(label)) if isinstance(label, (int, np.integer)) else None
        if pool is None or len(pool) < 2:
            return np.arange(len(self))
        return pool[pool != idx]

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
        reason = file_problem(path, getattr(self, 'backend_args', None))
        data = None
        if reason is None:
            draw = draw_of(idx)
            if draw is None:
                data, reason = self._run_pipeline(info)
            else:
                with forked_cpu_rng(derive_seed(STREAM_SAMPLE, *draw)):
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
