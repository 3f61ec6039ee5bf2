"""End a distributed run cleanly: every rank meets at a barrier, then destroys the process group.

MMEngine's Runner never destroys the default process group; a rank that exits with a live gloo group leaves its
C++ worker threads to interpreter finalisation, where they can abort the process (``terminate called without an
active exception``, pytorch/pytorch#190489) after a run that succeeded. ``tools/train.py`` and ``tools/test.py``
call :func:`teardown_process_group` after the run.
"""
import torch.distributed as dist


def teardown_process_group() -> None:
    """Barrier, then ``destroy_process_group`` (nothing without a process group).

    Call it only after a run that finished on every rank (the barrier waits for all of them).
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
