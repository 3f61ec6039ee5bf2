"""Every video a config reads, looked up and (optionally) decoded: the logic of ``tools/data/check_videos.py``."""
import os.path as osp
from typing import Dict, List, NamedTuple, Optional, Tuple

from mmengine.config import Config

from ..datasets.split_files import parse_video_line
from .video_probe import probe_all

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


class Report(NamedTuple):
    """What was found in one dataset.

    Attributes:
        count (int): Videos listed.
        missing (list[str]): Paths that do not exist.
        bad (dict[str, str]): Every unreadable path (missing ones included) -> reason.
        dataset (object): The built dataset (for :func:`write_clean_annotation`).
    """
    count: int
    missing: List[str]
    bad: Dict[str, str]
    dataset: object = None


def video_paths(dataset) -> List[str]:
    """The video files of a built dataset (``filename`` of each annotation)."""
    return [str(dataset.get_data_info(i)['filename']) for i in range(len(dataset))]


def datasets_of(cfg: Config) -> List[Tuple[str, object]]:
    """``(name, dataset)`` for every dataset the config's dataloaders read (anchors separately).

    Args:
        cfg (Config): The config (``mmaction`` as the default scope).

    Returns:
        list[tuple[str, Dataset]]: E.g. ``[('train_dataloader', ...), ('train_dataloader_anchors', ...)]``.
    """
    from mmaction.registry import DATASETS
    found = []
    for key in LOADERS:
        loader = cfg.get(key)
        if not loader:
            continue
        dataset = DATASETS.build(loader['dataset'])
        if hasattr(dataset, 'anchor_dataset'):
            found += [(key, dataset.dataset), (f'{key}_anchors', dataset.anchor_dataset)]
        else:
            found.append((key, dataset))
    return found


def check(cfg: Config, decode: bool = True, num_frames: int = 4, workers: int = 1, timeout: float = 120.0,
          progress: bool = False, min_frames: Optional[int] = None) -> Dict[str, Report]:
    """Missing (and, with ``decode``, undecodable) videos per dataset of a config.

    Args:
        cfg (Config): The config.
        decode (bool): Also open and decode each video. Defaults to True.
        num_frames (int): Frames decoded per video. Defaults to 4.
        workers (int): Decoding processes. Defaults to 1.
        timeout (float): Seconds per video. Defaults to 120.
        progress (bool): Show progress bars. Defaults to False.
        min_frames (int, optional): Fewer frames make a video bad; None takes each dataset's ``min_frames``
            (``RobustVideoDataset``), else 1. Defaults to None.

    Returns:
        dict[str, Report]: Dataset name -> report.
    """
    report = {}
    for name, dataset in datasets_of(cfg):
        paths = video_paths(dataset)
        missing = [p for p in paths if not osp.isfile(p)]
        if decode:
            least = min_frames if min_frames is not None else int(getattr(dataset, 'min_frames', 1))
            bad = probe_all(paths, num_frames, workers, timeout, progress, least)
        else:
            bad = {p: 'file not found' for p in missing}
        report[name] = Report(len(paths), missing, bad, dataset)
    return report


def write_clean_annotation(dataset, bad: Dict[str, str], out: str) -> Optional[str]:
    """Write the dataset's annotation file without the lines of bad videos.

    Args:
        dataset: A built ``VideoDataset`` (its ``ann_file`` and ``data_prefix['video']``).
        bad (dict[str, str]): Bad resolved paths.
        out (str): Output file.

    Returns:
        str | None: ``out``, or None when the dataset has no readable annotation file.
    """
    ann_file = getattr(dataset, 'ann_file', None)
    if not ann_file or not osp.isfile(ann_file):
        return None
    prefix = (getattr(dataset, 'data_prefix', None) or {}).get('video')
    kept = []
    with open(ann_file, newline='', encoding='utf-8') as f:
        for lineno, line in enumerate(f.read().splitlines(), start=1):
            entry = parse_video_line(line, ann_file, lineno)
            if entry is None:
                continue
            path = osp.join(prefix, entry.path) if prefix else entry.path
            if path not in bad:
                kept.append(line)
    with open(out, 'w', encoding='utf-8') as f:
        f.write(''.join(f'{line}\n' for line in kept))
    return out
