"""Evaluate one checkpoint on every zero-shot split and report mean +- std per dataset.

Each config is tested through MMEngine's Runner exactly as ``tools/test.py`` would test it;
the per-split metrics are then grouped by dataset (the config name without ``_split<N>``).

Example:
    python tools/eval_zero_shot.py --checkpoint work_dirs/zs_k400/epoch_10.pth \\
        configs/ga2clip_zs_eval_{hmdb51,ucf101,k600}_split{1,2,3}.py
    python tools/eval_zero_shot.py --checkpoint ckpt.pth configs/   # every *zs_eval*.py there
"""
import argparse
import glob
import json
import os
import os.path as osp
from typing import Dict, List

import ga2clip_mmaction  # noqa: F401  (compat fixes + registration before mmaction.models)
from mmengine.config import DictAction
from mmengine.dist import is_main_process

from ga2clip_mmaction.datasets.views import apply_test_views
from ga2clip_mmaction.evaluation.zero_shot import (aggregate_zero_shot,
                                                   format_zero_shot_markdown)
from ga2clip_mmaction.engine.runner_setup import build_test_config


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Zero-shot evaluation over several splits')
    parser.add_argument('configs', nargs='+',
                        help='eval config files, or folders (their *zs_eval*.py files)')
    parser.add_argument('--checkpoint', required=True, help='checkpoint file')
    parser.add_argument('--work-dir', default='work_dirs/zero_shot',
                        help='root folder: one sub-folder per config, summary files at the top')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of every config, e.g. key=value')
    parser.add_argument('--views', default=None,
                        help='test views "<clips>x<crops>", e.g. 4x3 (default: each config\'s own)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def expand_configs(paths: List[str]) -> List[str]:
    """Files as given; a folder becomes its sorted ``*zs_eval*.py`` files.

    Args:
        paths (list[str]): Config files and folders.

    Returns:
        list[str]: Config files.

    Raises:
        FileNotFoundError: A path does not exist, or a folder holds no eval config.
    """
    files: List[str] = []
    for path in paths:
        if osp.isdir(path):
            found = sorted(glob.glob(osp.join(path, '*zs_eval*.py')))
            if not found:
                raise FileNotFoundError(f'No *zs_eval*.py config in {path}')
            files += found
        elif osp.isfile(path):
            files.append(path)
        else:
            raise FileNotFoundError(f'Config file not found: {path}')
    return files


def main(argv=None) -> Dict[str, Dict[str, dict]]:
    """Test every config, then aggregate.

    Returns:
        dict: ``{dataset: {metric: dict(mean, std, n, values)}}``.
    """
    from mmengine.runner import Runner
    args = parse_args(argv)
    results: Dict[str, Dict[str, float]] = {}
    for config in expand_configs(args.configs):
        name = osp.splitext(osp.basename(config))[0]
        run_args = argparse.Namespace(config=config, checkpoint=args.checkpoint,
                                      work_dir=osp.join(args.work_dir, name), dump=None,
                                      cfg_options=args.cfg_options, launcher=args.launcher)
        cfg = build_test_config(run_args)
        if args.views is not None:
            apply_test_views(cfg, args.views)
        results[name] = Runner.from_cfg(cfg).test()
    summary = aggregate_zero_shot(results)
    if is_main_process():
        table = format_zero_shot_markdown(summary)
        print(table)
        os.makedirs(args.work_dir, exist_ok=True)
        with open(osp.join(args.work_dir, 'zero_shot_summary.md'), 'w') as f:
            f.write(table)
        with open(osp.join(args.work_dir, 'zero_shot_summary.json'), 'w') as f:
            json.dump(dict(checkpoint=args.checkpoint, runs=results, summary=summary), f,
                      indent=2)
    return summary


if __name__ == '__main__':
    main()
