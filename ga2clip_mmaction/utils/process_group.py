"""End a distributed run cleanly: every rank meets at a barrier, then destroys the process group.

MMEngine's Runner never destroys the default process group; a rank that exits with a live gloo group leaves its
C++ worker threads to interpreter finalisation, where they can abort the process (``terminate called without an
active exception``, pytorch/pytorch#190489) after a run that succeeded. ``tools/train.py`` and ``tools/test.py``
call :func:`teardown_process_group` after the run. The barrier alone still left one 2-rank ``tools/test.py`` run in
several on a loaded 2-core machine aborting at interpreter finalisation after it had written its metrics (gloo's
threads destroyed in no set order, pytorch/pytorch#179291), so a rank of a distributed run then leaves through
``os._exit(0)`` once its logs are flushed, as the ranks of ``tests/helpers/dist.py`` do.
"""
import logging
import os
import sys

import torch.distributed as dist


def teardown_process_group() -> None:
    """Barrier, then ``destroy_process_group`` (nothing without a process group).

    Call it only after a run that finished on every rank (the barrier waits for all of them).
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def leave_after_run() -> None:
    """End a tool's process after a run that finished on every rank: :func:`teardown_process_group`, then, in a
    distributed run only, flush the logs and streams and leave with ``os._exit(0)`` (no interpreter finalisation,
    where gloo's C++ threads can abort a run that succeeded). A single-process run returns normally.
    """
    distributed = dist.is_available() and dist.is_initialized()
    teardown_process_group()
    if distributed:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
