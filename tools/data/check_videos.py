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

import ga2clip_mmaction  # noqa: F401  (registers our components)
from mmaction.utils import register_all_modules
from mmengine.config import Config, DictAction

from ga2clip_mmaction.data_prep.config_videos import check, write_clean_annotation


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
            clean = write_clean_annotation(rep.dataset, rep.bad, osp.join(args.out_dir, f'{name}.clean.txt'))
            if clean:
                print(f'  clean annotation file ({rep.count - len(rep.bad)} videos): {clean}')
        total += len(rep.bad)
    return 1 if total else 0


if __name__ == '__main__':
    sys.exit(main())
