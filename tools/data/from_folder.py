"""Turn a folder of class folders into MMAction2 annotation files and a ready config.

``ROOT/<class name>/.../<video>`` (``_`` in a folder name reads as a space) becomes, under ``--out``:
``labels/{base,novel,all}_labels.csv`` (``id,name``), ``splits/base_train.txt``, ``splits/fs_base_s{1,2,3}_train.txt``
(``--shots``), ``splits/{base_val,novel_val,base_novel_val}.txt`` (``path label`` lines, relative to ROOT),
``bad_videos.txt``, ``report.json`` and ``<base config>_<ROOT name>.py``, a config that inherits ``--base-config``
(model, anchor set, hard prompt, pipelines, schedule) with every data path set. Every video is probed first; bad
ones are listed with their reasons and left out; classes with too few videos are named with what is missing.
The same folder and options give the same files (``--seed``); a different earlier output in ``--out`` is kept
unless ``--overwrite``. The last two printed lines are the commands to train and test the config.

Example:
    python tools/data/from_folder.py data/my_videos --out data/my_videos_run --novel-fraction 0.25 --shots 8
    python tools/data/from_folder.py data/my_videos --out work_dirs/mine \\
        --base-config configs/ga2clip_b2n_demo.py  # the tiny CLIP: trains on a CPU
"""
import argparse
import os
import os.path as osp
import sys

from ga2clip_mmaction.data_prep.class_folder import (REPORT, build_split, config_name, config_text,
                                                      report_text, write_outputs)

DEFAULT_BASE = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs',
                        'ga2clip_b2n_k400.py')


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    p = argparse.ArgumentParser(description='Annotation files and a config from ROOT/<class name>/<video>')
    p.add_argument('root', help='folder of class folders')
    p.add_argument('--out', required=True, help='output folder')
    p.add_argument('--base-config', default=DEFAULT_BASE,
                   help='protocol config to inherit (default: configs/ga2clip_b2n_k400.py, ViT-B/16 base-to-novel)')
    p.add_argument('--novel-fraction', type=float, default=0.0,
                   help='fraction of the classes held out as novel (test only; default 0: no split)')
    p.add_argument('--shots', type=int, default=None, help='training videos per base class (few-shot lists)')
    p.add_argument('--val-fraction', type=float, default=0.2,
                   help='fraction of each base class kept for validation/testing (at least one video)')
    p.add_argument('--seed', type=int, default=0, help='seed of the split and the few-shot lists')
    p.add_argument('--workers', type=int, default=min(8, os.cpu_count() or 1), help='probing processes')
    p.add_argument('--timeout', type=float, default=120.0, help='seconds allowed to decode one video')
    p.add_argument('--overwrite', action='store_true', help='replace a different earlier output in --out')
    return p.parse_args(argv)


def main(argv=None) -> str:
    """Write the files; returns the config's path."""
    args = parse_args(argv)
    if not osp.isfile(args.base_config):
        raise FileNotFoundError(f'--base-config not found: {args.base_config}')
    split = build_split(args.root, args.novel_fraction, args.shots, args.val_fraction, args.seed, args.workers,
                        args.timeout, progress=True)
    name = config_name(args.base_config, args.root)
    files = dict(split.files)
    files[name] = config_text(split, args.root, args.out, args.base_config)
    options = {k: v for k, v in vars(args).items() if k not in ('workers', 'timeout', 'overwrite')}
    files[REPORT] = report_text(split, options, files)
    changed = write_outputs(files, args.out, args.overwrite)
    print(f'{args.root}: {len(split.base)} base classes' + (f', {len(split.novel)} novel' if split.novel else '')
          + ', ' + ', '.join(f'{k} {v}' for k, v in split.counts.items()) + ' videos')
    if split.bad:
        print(f'{len(split.bad)} unreadable video(s) left out (listed in {osp.join(args.out, "bad_videos.txt")}):')
        for path, reason in split.bad.items():
            print(f'  {path}: {reason}')
    if split.short:
        print(f'{len(split.short)} class(es) with too few videos:')
        for line in split.short:
            print(f'  {line}')
    print(f'{"wrote" if changed else "unchanged (same as the earlier output)"}: {args.out}')
    config = osp.join(args.out, name)
    from mmengine.config import Config
    epochs = Config.fromfile(args.base_config).get('train_cfg', {}).get('max_epochs', 1)
    print('Train and test:')
    print(f'python tools/train.py {config}')
    print(f'python tools/test.py {config} work_dirs/{name[:-3]}/epoch_{epochs}.pth')
    return config


if __name__ == '__main__':
    sys.exit(0 if main() else 1)
