"""Test a checkpoint with MMEngine's Runner (MMAction2's ``tools/test.py`` command line).

MMAction2's test flags (``--work-dir``, ``--dump``, ``--show-dir``, ``--show``, ``--interval``, ``--wait-time``,
``--cfg-options``, ``--launcher``) plus ``--amp`` (MMEngine's ``TestLoop(fp16=True)``) and ``--views CLIPSxCROPS``.

Example:
    python tools/test.py configs/ga2clip_b2n_ssv2.py work_dirs/b2n_ssv2/epoch_12.pth --dump r.pkl
    python tools/test.py CFG CKPT --amp --views 4x3 --show-dir work_dirs/vis --interval 50
"""
import argparse
import os
import sys

import ga2clip_mmaction  # noqa: F401  (registration before mmaction.models)
from ga2clip_mmaction.utils.process_group import leave_after_run
from ga2clip_mmaction.engine.runner_setup import (
    build_runner, build_test_config, build_test_parser)


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line (MMAction2's ``tools/test.py`` flags)."""
    args = build_test_parser().parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None):
    """Build the Runner from the config, load the checkpoint and test.

    Args:
        argv (list[str], optional): Command line without the program name; ``None`` reads
            ``sys.argv``. Defaults to None.

    Returns:
        dict: The metrics.
    """
    args = parse_args(argv)
    runner = build_runner(build_test_config(args))
    return runner.test()


if __name__ == '__main__':
    main()
    leave_after_run()  # all ranks done: barrier, destroy the group; a rank of a distributed run then os._exit(0)
