"""Train a recognizer with MMEngine's Runner (MMAction2's ``tools/train.py`` command line).

Example:
    python tools/train.py configs/ga2clip_b2n_ssv2.py --work-dir work_dirs/b2n_ssv2 --amp
"""
import argparse
import os
import sys

import ga2clip_mmaction  # noqa: F401  (registration before mmaction.models)
from ga2clip_mmaction.utils.process_group import leave_after_run
from ga2clip_mmaction.engine.runner_setup import (
    build_runner, build_train_config, build_train_parser)


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line (MMAction2's ``tools/train.py`` flags)."""
    args = build_train_parser().parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
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
    args = parse_args(argv)
    runner = build_runner(build_train_config(args))
    runner.train()
    return runner


if __name__ == '__main__':
    main()
    leave_after_run()  # all ranks done: barrier, destroy the group; a rank of a distributed run then os._exit(0)
