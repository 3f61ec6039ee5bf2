"""Start the ranks of a multi-process test and report what each rank did.

Two ways to start ranks, both used by every multi-rank test of the suite:

* :func:`run_ranks` runs a Python function on ``world_size`` child processes that share a gloo process group
  (file-based rendezvous in a fresh temporary directory, so no port is involved);
* :func:`run_commands` runs command lines (``torchrun`` launchers, ``tools/dist_*.sh``, ``tools/slurm_*.sh``)
  side by side. One-node launchers need no port (``tools/dist_train.sh`` without ``PORT`` lets torchrun's
  standalone rendezvous bind one itself); where the ranks must be told a port in advance (two nodes, Slurm),
  :func:`with_free_port` gives one and starts again on a new one if another process took it first.

Both wait for every rank with a deadline, kill what is left when it passes, and raise one error that gives each
rank's exit status and traceback (or output tail), so a failure names the rank and the line.

Teardown. Each rank of :func:`run_ranks` (forked by default, spawned on request) meets the others at a barrier
before it destroys the process group, and then leaves with ``os._exit`` once its result is on disk.

Why. The old 2-rank sampler test aborted about one run in 14 on a loaded 2-core machine (rank 0: SIGABRT,
``terminate called without an active exception``). That is libstdc++'s message when a ``std::thread`` is destroyed
while still joinable: gloo's C++ worker/transport threads torn down by a destructor instead of being joined. Two
things made it reachable there. The ranks destroyed the group without a barrier, so one rank could close its
connections while its peer was still finishing the last collective (``all_gather_object`` is two of them) and
writing its result. And the ranks were ``spawn`` children, which leave through ``sys.exit``: full interpreter
finalisation, where whatever C++ state is left is destroyed in no set order (the same abort at exit is reported
upstream, pytorch/pytorch#190489; finalisation crashes of gloo's threads, #179291). The barrier removes the first,
``os._exit`` the second (a ``fork`` child of ``multiprocessing`` always ended that way).
"""
import os
import pickle
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import timedelta
from typing import Any, Callable, Dict, List, Optional, Sequence

import torch  # imported here, in the parent, so that forked ranks do not each import it again
import torch.distributed as dist

#: Default deadline for one multi-rank run, seconds (start-up of a rank costs ~10 s on a loaded 2-core machine).
DEFAULT_TIMEOUT = 300


class RankFailure(AssertionError):
    """One or more ranks failed; the message has each rank's status and traceback / output tail."""


#: What a rank or launcher prints when the port it was told is taken (compared in lower case).
PORT_CLASH = ('eaddrinuse', 'address already in use')


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now (the OS picks it). Only now: use :func:`with_free_port`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def with_free_port(launch: Callable[[int], Any], tries: int = 3) -> Any:
    """``launch(port)`` on a port that was free when asked for; if it failed because the port was taken in
    between (its :class:`RankFailure` message names ``EADDRINUSE`` / ``address already in use``), again on a new
    port, up to ``tries`` times. Any other failure is raised at once.

    A port handed to other processes can always be taken before they bind it; the clash is detected and retried
    rather than ruled out.

    Returns:
        Any: What ``launch`` returned.
    """
    for attempt in range(tries):
        try:
            return launch(free_port())
        except RankFailure as err:
            if attempt + 1 == tries or not any(s in str(err).lower() for s in PORT_CLASH):
                raise


def _exit_status(code: Optional[int]) -> str:
    """Readable exit status of a child (``-6`` -> ``killed by SIGABRT``)."""
    if code is None:
        return 'still running at the deadline (killed)'
    if code < 0:
        try:
            return f'killed by {signal.Signals(-code).name}'
        except ValueError:
            return f'killed by signal {-code}'
    return f'exit code {code}'


def _rank_main(fn: Callable, rank: int, world_size: int, init_file: str, result_file: str, args: tuple,
               timeout: float) -> None:
    """Body of one rank: join the group, run ``fn``, meet at a barrier, tear down, leave."""
    torch.set_num_threads(1)
    status: Dict[str, Any] = dict(rank=rank)
    try:
        dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=rank, world_size=world_size,
                                timeout=timedelta(seconds=timeout))
        try:
            status['result'] = fn(rank, world_size, *args)
        except BaseException:  # noqa: BLE001 - reported to the parent
            status['error'] = traceback.format_exc()
        # Synchronise before teardown: every rank has left every collective before any rank closes its pairs.
        dist.barrier()
        dist.destroy_process_group()
    except BaseException:  # noqa: BLE001 - the group itself failed (a peer died, the deadline passed)
        status.setdefault('error', traceback.format_exc())
    try:
        with open(result_file, 'wb') as f:
            pickle.dump(status, f)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)  # no interpreter finalisation in the child (see the module docstring)


def run_ranks(fn: Callable, world_size: int, *args, timeout: float = DEFAULT_TIMEOUT,
              start_method: str = 'fork') -> List[Any]:
    """Run ``fn(rank, world_size, *args)`` on ``world_size`` child processes in one gloo process group.

    ``fn`` must be a module-level function and its result picklable. The group is initialised before ``fn``
    runs and destroyed after it returns on every rank (barrier first); ``fn`` uses ``torch.distributed`` /
    ``mmengine.dist`` freely. Each rank runs torch on one thread (two ranks on two cores).

    Args:
        fn (Callable): The rank body.
        world_size (int): Number of ranks.
        *args: Extra arguments of ``fn`` (picklable).
        timeout (float): Deadline for the whole run and for each collective, seconds.
        start_method (str): ``'fork'`` (default: the children start at once with the test's imports;
            they set one torch thread, as DataLoader workers do) or ``'spawn'`` (fresh interpreters, ~10 s
            of imports each).

    Returns:
        list: ``fn``'s result on each rank, by rank.

    Raises:
        RankFailure: A rank raised, died or missed the deadline (each rank's traceback in the message).
    """
    import multiprocessing
    ctx = multiprocessing.get_context(start_method)
    with tempfile.TemporaryDirectory(prefix='ranks_') as tmp:
        init_file = os.path.join(tmp, 'rendezvous')
        files = [os.path.join(tmp, f'rank{r}.pkl') for r in range(world_size)]
        procs = [ctx.Process(target=_rank_main, args=(fn, r, world_size, init_file, files[r], args, timeout))
                 for r in range(world_size)]
        for proc in procs:
            proc.start()
        deadline = time.monotonic() + timeout
        for proc in procs:
            proc.join(max(0.0, deadline - time.monotonic()))
        for proc in procs:
            if proc.is_alive():
                proc.kill()
                proc.join()
        statuses = []
        for rank, (proc, path) in enumerate(zip(procs, files)):
            status = dict(rank=rank)
            if os.path.exists(path):
                with open(path, 'rb') as f:
                    status = pickle.load(f)  # written by our own child
            status['exit'] = proc.exitcode if not (proc.exitcode is None) else None
            statuses.append(status)
    failed = [s for s in statuses if 'error' in s or 'result' not in s or s['exit'] != 0]
    if failed:
        lines = [f'{len(failed)} of {world_size} ranks failed in {fn.__module__}.{fn.__name__}:']
        for s in statuses:
            lines.append(f'--- rank {s["rank"]}: {_exit_status(s["exit"])}'
                         + ('' if 'result' in s or 'error' in s else ', no result written'))
            if 'error' in s:
                lines.append(s['error'].rstrip())
        raise RankFailure('\n'.join(lines))
    return [s['result'] for s in statuses]


def run_commands(commands: Sequence[Sequence[str]], env: Optional[Dict[str, str]] = None,
                 cwd: Optional[str] = None, timeout: float = DEFAULT_TIMEOUT,
                 names: Optional[Sequence[str]] = None) -> List[str]:
    """Run command lines side by side (e.g. the launchers of several nodes) and wait for all of them.

    Args:
        commands (Sequence[Sequence[str]]): One argv per process.
        env (dict, optional): Environment of every process (``None``: this one's). A list of dicts is not
            supported; give node-specific variables through the command (``env NODE_RANK=1 bash ...``).
        cwd (str, optional): Working directory. Defaults to None.
        timeout (float): Deadline for all of them, seconds.
        names (Sequence[str], optional): Names used in the error message. Defaults to ``command 0``, ...

    Returns:
        list[str]: The combined stdout/stderr of each command.

    Raises:
        RankFailure: A command failed or missed the deadline; the message has the tail of each one's output.
    """
    names = list(names or [f'command {i}' for i in range(len(commands))])
    with tempfile.TemporaryDirectory(prefix='cmds_') as tmp:
        logs = [open(os.path.join(tmp, f'{i}.log'), 'w+') for i in range(len(commands))]
        procs = [subprocess.Popen(list(cmd), stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                  start_new_session=True) for cmd, log in zip(commands, logs)]
        deadline = time.monotonic() + timeout
        codes: List[Optional[int]] = []
        for proc in procs:
            try:
                codes.append(proc.wait(max(0.1, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                codes.append(None)
        for proc, code in zip(procs, codes):
            if code is None:  # kill the launcher and the ranks it started (its own session)
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        outputs = []
        for log in logs:
            log.seek(0)
            outputs.append(log.read())
            log.close()
    if any(code != 0 for code in codes):
        lines = ['a multi-process command failed:']
        for name, cmd, code, out in zip(names, commands, codes, outputs):
            lines.append(f'--- {name}: {_exit_status(code)}: {" ".join(cmd)}')
            if code != 0:
                lines.append(out[-6000:].rstrip())
        raise RankFailure('\n'.join(lines))
    return outputs
