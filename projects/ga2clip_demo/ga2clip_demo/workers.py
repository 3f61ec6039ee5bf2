"""Parallel runs of the embedded demo: helper ``run_demo`` processes that share a work dir's runs
through the run locks (:func:`ga2clip_demo.steps.run_lock`), and the one-thread setting of their train/test
children."""
import contextlib
import os
import os.path as osp
import subprocess
import sys
from typing import List, Optional, Sequence

#: The demo script the helpers run.
RUN_DEMO = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'tools', 'run_demo.py')


def start_helpers(argv: Optional[Sequence[str]], jobs: int) -> List[subprocess.Popen]:
    """Start ``jobs - 1`` helper demo processes on the same options (``--no-report --jobs 1``): each trains the
    runs the others do not hold. With ``jobs > 1`` this process's train/test children, and the helpers', run
    with one torch thread (``OMP_NUM_THREADS=1``), as the committed grid did."""
    if jobs < 1:
        raise ValueError(f'--jobs: expected >= 1, got {jobs}')
    if jobs == 1:
        return []
    cmd = [sys.executable, RUN_DEMO, *(sys.argv[1:] if argv is None else argv), '--no-report',
           '--jobs', '1']
    return [subprocess.Popen(cmd, env=dict(os.environ, OMP_NUM_THREADS='1')) for _ in range(jobs - 1)]


@contextlib.contextmanager
def one_torch_thread(on: bool):
    """While ``on``, this process computes with one torch thread (the zero-shot step, run here before the helpers
    start, then has the thread count of every other run and of the helpers, so its provenance matches theirs)."""
    import torch
    old = torch.get_num_threads()
    if on:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(old)


@contextlib.contextmanager
def one_thread_children(on: bool):
    """While ``on``, the train/test subprocesses started here run with one torch thread (``OMP_NUM_THREADS=1``);
    the environment is restored afterwards."""
    old = os.environ.get('OMP_NUM_THREADS')
    if on:
        os.environ['OMP_NUM_THREADS'] = '1'
    try:
        yield
    finally:
        if on:
            os.environ.pop('OMP_NUM_THREADS', None) if old is None else os.environ.update(OMP_NUM_THREADS=old)


@contextlib.contextmanager
def stop_on_error(helpers: List[subprocess.Popen]):
    """Terminate the helper processes when this one fails (they would train on after the demo stopped)."""
    try:
        yield
    except BaseException:
        for h in helpers:
            h.terminate()
        raise


def wait_helpers(helpers: List[subprocess.Popen]) -> None:
    """Wait for the helper processes.

    Raises:
        RuntimeError: A helper failed (its error is on stderr, above).
    """
    failed = [h.args for h in helpers if h.wait() != 0]
    if failed:
        raise RuntimeError(f'demo helper process(es) failed: {failed}')
