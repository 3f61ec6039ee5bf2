"""Check that every video a config will read exists and decodes, before training or testing starts.

Builds the train / val / test datasets of a config (anchor clips of an ``AnchorSetDataset`` included, after
its leakage guard and subset), looks up every video file and (unless ``--no-decode``) opens it with decord and
decodes ``--frames`` evenly spaced frames (the last one included; fewer than ``--min-frames`` frames, default
the dataset's ``min_frames``, is bad too), in ``--workers`` processes with a progress
bar and a per-video time limit. Prints one line per dataset and each unreadable file with its reason; for a
dataset with bad videos it writes ``<out-dir>/<dataloader>[_anchors].missing.txt`` (missing files),
``.bad.txt`` (``path<TAB>reason``) and ``.clean.txt`` (the annotation file without the bad videos' lines, to
use as ``ann_file``). Exits with status 1 when any video is bad.

Example:
    python tools/data/check_videos.py configs/ga2clip_b2n_hmdb51.py --workers 8
    FS_SEED=2 python tools/data/check_videos.py configs/ga2clip_b2n_k400.py --out-dir work_dirs/check
"""
import argparse
import os
import os.path as osp
import sys
from typing import Dict, List, NamedTuple, Optional, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import ga2clip_mmaction  # noqa: E402,F401  (registers our components)
from mmengine.config import Config, DictAction  # noqa: E402
from mmaction.registry import DATASETS  # noqa: E402
from mmaction.utils import register_all_modules  # noqa: E402

from ga2clip_mmaction.datasets.split_files import parse_video_line  # noqa: E402
from tools.data.video_probe_pool import probe_all  # noqa: E402

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
#: The datasets of the last :func:`check` (name -> dataset), for :func:`write_clean_annotation`.
_DATASETS: Dict[str, object] = {}


class Report(NamedTuple):
    """What was found in one dataset.

    Attributes:
        count (int): Videos listed.
        missing (list[str]): Paths that do not exist.
        bad (dict[str, str]): Every unreadable path (missing ones included) -> reason.
    """
    count: int
    missing: List[str]
    bad: Dict[str, str]


def video_paths(dataset) -> List[str]:
    """The video files of a built dataset (``filename`` of each annotation)."""
    return [str(dataset.get_data_info(i)['filename']) for i in range(len(dataset))]


def datasets_of(cfg: Config) -> List[Tuple[str, object]]:
    """``(name, dataset)`` for every dataset the config's dataloaders read (anchors separately).

    Args:
        cfg (Config): The config.

    Returns:
        list[tuple[str, Dataset]]: E.g. ``[('train_dataloader', ...), ('train_dataloader_anchors', ...)]``.
    """
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
        report[name] = Report(len(paths), missing, bad)
        _DATASETS[name] = dataset
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


def main(argv=None) -> int:
    """Command line; returns 1 when a video is missing or unreadable."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument('--out-dir', default='.', help='folder for the <dataset>.{missing,bad,clean}.txt files')
    parser.add_argument('--no-decode', action='store_true', help='only look the files up (fast)')
    parser.add_argument('--frames', type=int, default=4, help='evenly spaced frames decoded per video')
    parser.add_argument('--workers', type=int, default=os.cpu_count() or 1, help='decoding processes')
    parser.add_argument('--timeout', type=float, default=120.0, help='seconds allowed per video')
    parser.add_argument('--min-frames', type=int, default=None,
                        help="fewer frames make a video bad (default: the dataset's min_frames, else 1)")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    args = parser.parse_args(argv)
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    total = 0
    for name, rep in check(cfg, decode=not args.no_decode, num_frames=args.frames, workers=args.workers,
                           timeout=args.timeout, progress=not args.no_decode,
                           min_frames=args.min_frames).items():
        unreadable = len(rep.bad) - len(rep.missing)
        line = f'{name}: {rep.count} videos, {len(rep.missing)} missing'
        if not args.no_decode:
            line += f', {unreadable} unreadable'
        if rep.missing:
            os.makedirs(args.out_dir, exist_ok=True)
            out = osp.join(args.out_dir, f'{name}.missing.txt')
            with open(out, 'w', encoding='utf-8') as f:
                f.write(''.join(f'{p}\n' for p in rep.missing))
            line += f' (listed in {out}; first: {rep.missing[0]})'
        print(line)
        for path, reason in rep.bad.items():
            print(f'  {path}: {reason}')
        if rep.bad:
            os.makedirs(args.out_dir, exist_ok=True)
            with open(osp.join(args.out_dir, f'{name}.bad.txt'), 'w', encoding='utf-8') as f:
                f.write(''.join(f'{p}\t{r}\n' for p, r in rep.bad.items()))
            clean = write_clean_annotation(_DATASETS[name], rep.bad, osp.join(args.out_dir, f'{name}.clean.txt'))
            if clean:
                print(f'  clean annotation file ({rep.count - len(rep.bad)} videos): {clean}')
        total += len(rep.bad)
    return 1 if total else 0


if __name__ == '__main__':
    sys.exit(main())
