"""Videos, or windows of one video, through a config's test pipeline in DataLoader worker processes.

A video that fails to decode does not stop the loader: its item carries the reason instead of the data (the
reason of :func:`~ga2clip_mmaction.datasets.robust_video_dataset.probe_video` where it finds one, else the
pipeline's error), and :func:`iter_batches` hands it back with the batch.
"""
import sys
from typing import Iterator, List, NamedTuple, Optional, Sequence, Tuple

import torch
from mmengine.dataset import Compose, pseudo_collate
from torch.utils.data import DataLoader, Dataset

from ..datasets.robust_video_dataset import probe_video


class ClipItem(NamedTuple):
    """One clip to score: a whole video, or ``num_frames`` frames of it from ``start_frame``.

    Attributes:
        path (str): Video file.
        start_frame (int): First frame of the window (0 for a whole video).
        num_frames (int | None): Frames of the window; None is the whole video.
    """
    path: str
    start_frame: int = 0
    num_frames: Optional[int] = None


class VideoClips(Dataset):
    """The test pipeline of a config over :class:`ClipItem` s.

    A window is sampled by the pipeline's own frame sampler as if the video held only the window's frames:
    after the first transform (the decoder's ``*Init``, which opens the file) ``total_frames`` and
    ``start_index`` are set to the window's.

    Args:
        items (Sequence[ClipItem | str]): Clips (a path is a whole video).
        pipeline (list[dict]): The test pipeline config.
    """

    def __init__(self, items: Sequence, pipeline: List[dict]) -> None:
        self.items = [ClipItem(i) if isinstance(i, str) else ClipItem(*i) for i in items]
        if any(i.num_frames is not None for i in self.items) and 'Init' not in str(pipeline[0].get('type')):
            raise ValueError(f'windows need a pipeline that starts with a decoder *Init transform, got '
                             f'{pipeline[0].get("type")!r}')
        self.opener = Compose(pipeline[:1])
        self.rest = Compose(pipeline[1:])

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> Tuple[int, Optional[dict], Optional[str]]:
        """``(index, packed sample, None)``, or ``(index, None, reason)`` for a clip that cannot be read."""
        item = self.items[index]
        try:
            results = self.opener(dict(filename=item.path, label=-1, start_index=0, modality='RGB'))
            if item.num_frames is not None:
                results['total_frames'] = int(item.num_frames)
                results['start_index'] = int(item.start_frame)
            return index, self.rest(results), None
        except Exception as err:  # noqa: BLE001 - a bad video is reported, not raised
            try:
                reason = probe_video(item.path)
            except Exception:  # noqa: BLE001
                reason = None
            return index, None, reason or f'{type(err).__name__}: {err}'


def _collate(batch: list) -> Tuple[List[int], Optional[dict], List[Tuple[int, str]]]:
    ok = [(i, sample) for i, sample, reason in batch if reason is None]
    bad = [(i, reason) for i, _, reason in batch if reason is not None]
    return [i for i, _ in ok], (pseudo_collate([s for _, s in ok]) if ok else None), bad


def iter_batches(model, items: Sequence, pipeline: List[dict], batch_size: int = 8, workers: int = 0,
                 progress: bool = False) -> Iterator[Tuple[List[int], Optional[torch.Tensor], List[Tuple[int, str]]]]:
    """Per-view embeddings of clips, a batch at a time, decoded in ``workers`` processes.

    Args:
        model: A ``GA2CLIPRecognizer`` (eval mode).
        items (Sequence[ClipItem | str]): Clips.
        pipeline (list[dict]): The test pipeline config.
        batch_size (int): Clips per batch. Defaults to 8.
        workers (int): DataLoader worker processes (0: decode in this process). Defaults to 0.
        progress (bool): A progress bar on stderr. Defaults to False.

    Yields:
        tuple: ``(indices, embeddings [B, V, D] or None, [(index, reason), ...] of the clips that failed)``.
    """
    if batch_size < 1 or workers < 0:
        raise ValueError(f'batch_size must be >= 1 and workers >= 0, got {batch_size} and {workers}')
    loader = DataLoader(VideoClips(items, pipeline), batch_size=batch_size, shuffle=False, num_workers=workers,
                        collate_fn=_collate)
    bar = None
    if progress:
        from mmengine.utils import ProgressBar
        bar = ProgressBar(len(loader.dataset), file=sys.stderr)
    with torch.no_grad():
        for indices, data, bad in loader:
            emb = None
            if data is not None:
                data = model.data_preprocessor(data, False)
                feats, kwargs = model.extract_feat(data['inputs'], test_mode=True)  # [B * V, D]
                emb = feats.view(-1, kwargs['num_views'], feats.shape[-1])  # [B, V, D]
            if bar is not None:
                for _ in range(len(indices) + len(bad)):
                    bar.update()
            yield indices, emb, bad
    if bar is not None:
        sys.stderr.write('\n')
