"""Check that every video a config will read exists, before training or testing starts.

Builds the train / val / test datasets of a config (anchor clips of an ``AnchorSetDataset`` included, after
its leakage guard and subset) and looks up every video file. Prints one line per dataset, writes the missing
paths to ``<out-dir>/<dataloader>[_anchors].missing.txt`` and exits with status 1 when any is missing.

Example:
    python tools/data/check_videos.py configs/ga2clip_b2n_hmdb51.py
    FS_SEED=2 python tools/data/check_videos.py configs/ga2clip_b2n_k400.py --out-dir work_dirs/check
"""
import argparse
import os
import os.path as osp
import sys
from typing import Dict, List, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import ga2clip_mmaction  # noqa: E402,F401  (registers our components)
from mmengine.config import Config, DictAction  # noqa: E402
from mmaction.registry import DATASETS  # noqa: E402
from mmaction.utils import register_all_modules  # noqa: E402

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


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


def check(cfg: Config) -> Dict[str, Tuple[int, List[str]]]:
    """Missing videos per dataset of a config.

    Args:
        cfg (Config): The config.

    Returns:
        dict[str, tuple[int, list[str]]]: Name -> (number of videos, missing paths).
    """
    report = {}
    for name, dataset in datasets_of(cfg):
        paths = video_paths(dataset)
        report[name] = (len(paths), [p for p in paths if not osp.isfile(p)])
    return report


def main(argv=None) -> int:
    """Command line; returns 1 when a video is missing."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument('--out-dir', default='.', help='folder for the <dataset>.missing.txt files')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    args = parser.parse_args(argv)
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    total = 0
    for name, (count, missing) in check(cfg).items():
        line = f'{name}: {count} videos, {len(missing)} missing'
        if missing:
            os.makedirs(args.out_dir, exist_ok=True)
            out = osp.join(args.out_dir, f'{name}.missing.txt')
            with open(out, 'w', encoding='utf-8') as f:
                f.write(''.join(f'{p}\n' for p in missing))
            line += f' (listed in {out}; first: {missing[0]})'
        total += len(missing)
        print(line)
    return 1 if total else 0


if __name__ == '__main__':
    sys.exit(main())
