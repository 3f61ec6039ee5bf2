"""Test a checkpoint with MMEngine's Runner (MMAction2's ``tools/test.py`` command line).

Example:
    python tools/test.py configs/ga2clip_b2n_ssv2.py work_dirs/b2n_ssv2/epoch_12.pth --dump r.pkl
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import ga2clip_mmaction  # noqa: E402,F401  (compat fixes + registration before mmaction.models)
from mmengine.config import DictAction  # noqa: E402

from ga2clip_mmaction.utils.runner_setup import build_test_config  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line (same flags as MMAction2's ``tools/test.py``)."""
    parser = argparse.ArgumentParser(description='Test a GA2-CLIP (or any MMAction2) recognizer')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument('--dump', type=str,
                        help='dump predictions to a pickle file for offline evaluation')
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
    """Build the Runner from the config, load the checkpoint and test.

    Args:
        argv (list[str], optional): Command line without the program name; ``None`` reads
            ``sys.argv``. Defaults to None.

    Returns:
        dict: The metrics.
    """
    from mmengine.runner import Runner
    args = parse_args(argv)
    runner = Runner.from_cfg(build_test_config(args))
    return runner.test()


if __name__ == '__main__':
    main()
