"""Train a recognizer with MMEngine's Runner (MMAction2's ``tools/train.py`` command line).

Example:
    python tools/train.py configs/ga2clip_b2n_ssv2.py --work-dir work_dirs/b2n_ssv2 --amp
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import ga2clip_mmaction  # noqa: E402,F401  (compat fixes + registration before mmaction.models)
from mmengine.config import DictAction  # noqa: E402

from ga2clip_mmaction.utils.runner_setup import build_train_config  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line (same flags as MMAction2's ``tools/train.py``)."""
    parser = argparse.ArgumentParser(description='Train a GA2-CLIP (or any MMAction2) recognizer')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the given checkpoint, or from the latest checkpoint of the work dir '
        'when no path is given')
    parser.add_argument('--amp', action='store_true', help='enable automatic mixed precision')
    parser.add_argument('--no-validate', action='store_true',
                        help='do not evaluate during training')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr by the actual total batch size')
    parser.add_argument('--seed', type=int, default=None, help='random seed')
    parser.add_argument('--diff-rank-seed', action='store_true',
                        help='use a different seed on each rank')
    parser.add_argument('--deterministic', action='store_true',
                        help='set deterministic options for CUDNN')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. key=value a.b=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv=None):
    """Build the Runner from the config and train.

    Args:
        argv (list[str], optional): Command line without the program name; ``None`` reads
            ``sys.argv``. Defaults to None.

    Returns:
        mmengine.runner.Runner: The runner after training (its ``epoch``/``iter`` tell where
        training, possibly resumed, ended).
    """
    from mmengine.runner import Runner
    args = parse_args(argv)
    runner = Runner.from_cfg(build_train_config(args))
    runner.train()
    return runner


if __name__ == '__main__':
    main()
