"""Distributed training without CUDA: MMEngine 0.10.7's launchers and DDP wrapper assume a GPU.

The probes run mocked MMEngine internals, so they run lazily: :func:`install_on_first_use` (called at
``import ga2clip_mmaction``, cheap: no probe, no CUDA query) puts a first-use stand-in in front of MMEngine's
initialisers (``mmengine.dist.utils._init_dist_{pytorch,slurm,mpi}``, which ``init_dist`` looks up at call
time) and ``MMDistributedDataParallel.__init__``. The first call of any of them puts the originals back, runs
:func:`fix_distributed_without_cuda` once (probe, and fix where the bug shows), records the outcome, and
continues into the (now fixed or original) function.
"""
import contextlib
import functools
import os
from types import SimpleNamespace
from typing import Callable, Dict, Iterator, List, Optional, Tuple

#: Key of this fix in :data:`ga2clip_mmaction.compat.APPLIED`.
NAME = 'distributed_without_cuda'


#: MMEngine's per-launcher initialisers and the environment that makes each one run (probe only).
_LAUNCHER_ENVS: Dict[str, Dict[str, str]] = {
    '_init_dist_pytorch': dict(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1'),
    '_init_dist_slurm': dict(SLURM_PROCID='0', SLURM_NTASKS='1', SLURM_NODELIST='localhost',
                             SLURM_LOCALID='0', MASTER_ADDR='127.0.0.1', MASTER_PORT='29500'),
    '_init_dist_mpi': dict(OMPI_COMM_WORLD_LOCAL_RANK='0', OMPI_COMM_WORLD_SIZE='1',
                           OMPI_COMM_WORLD_RANK='0', MASTER_ADDR='127.0.0.1',
                           MASTER_PORT='29500'),
}


class _ProbeStop(Exception):
    """Raised by the probe's stand-ins to stop an initialiser before it does anything."""


def _first_call_of_init(name: str) -> str:
    """Run MMEngine's initialiser ``name`` with gloo and report what it calls first.

    ``torch.cuda.set_device`` and ``torch.distributed.init_process_group`` are replaced by
    stand-ins that stop the call, the Slurm host lookup (``scontrol``) by a constant, and the
    environment is restored afterwards, so the probe neither touches a device, runs a command nor
    creates a process group.

    Returns:
        str: ``'set_device'``, ``'init_process_group'`` or ``'other'``.
    """
    from unittest import mock

    import torch
    import mmengine.dist.utils as dist_utils

    def stop(what):
        def _stop(*args, **kwargs):
            raise _ProbeStop(what)
        return _stop

    with mock.patch.dict(os.environ, _LAUNCHER_ENVS[name]), \
            mock.patch.object(dist_utils.subprocess, 'getoutput', lambda cmd: '127.0.0.1'), \
            mock.patch.object(torch.cuda, 'set_device', stop('set_device')), \
            mock.patch.object(torch.distributed, 'init_process_group',
                              stop('init_process_group')):
        try:
            getattr(dist_utils, name)('gloo')
        except _ProbeStop as stopped:
            return str(stopped)
        except Exception:  # noqa: BLE001 - anything else: not the bug this fix is about
            return 'other'
    return 'other'


def init_dist_sets_cuda_device() -> List[str]:
    """MMEngine initialisers that call ``torch.cuda.set_device`` for gloo on a machine without CUDA.

    Returns:
        list[str]: Names in ``mmengine.dist.utils`` (empty where CUDA is available: the call is
        then correct, or where MMEngine no longer makes it).
    """
    import torch
    import mmengine.dist.utils as dist_utils
    if torch.cuda.is_available():
        return []
    return [name for name in _LAUNCHER_ENVS
            if hasattr(dist_utils, name) and _first_call_of_init(name) == 'set_device']


@contextlib.contextmanager
def _no_cuda_set_device() -> Iterator[None]:
    """Make ``torch.cuda.set_device`` a no-op for the duration (there is no device to select)."""
    from unittest import mock

    import torch
    with mock.patch.object(torch.cuda, 'set_device', lambda device: None):
        yield


def _cpu_init(fn: Callable) -> Callable:
    """Wrap an MMEngine initialiser: without CUDA, skip ``set_device`` and run nccl as gloo (logged)."""

    @functools.wraps(fn)
    def wrapper(backend, *args, **kwargs):
        import torch
        if torch.cuda.is_available():
            return fn(backend, *args, **kwargs)
        if backend == 'nccl':  # resolved here, at run time: a dumped config keeps nccl for GPU machines
            from mmengine.logging import print_log
            print_log("env_cfg.dist_cfg.backend='nccl' needs CUDA and torch sees no CUDA device here: "
                      "using 'gloo'", logger='current')
            backend = 'gloo'
        with _no_cuda_set_device():
            return fn(backend, *args, **kwargs)

    wrapper._ga2clip_cpu_init = True
    return wrapper


def ddp_gets_device_ids_for_cpu_module() -> bool:
    """Whether MMEngine's ``Runner.wrap_model`` passes ``device_ids`` to DDP for a CPU model.

    ``torch.nn.parallel.DistributedDataParallel`` refuses ``device_ids`` for a CPU module
    (``ValueError: DistributedDataParallel device_ids and output_device arguments only work with
    single-device/multiple-device GPU modules or CPU modules``). The probe calls ``wrap_model``
    of a distributed stand-in runner with the DDP wrapper replaced by a recorder.
    """
    from unittest import mock

    import torch
    import mmengine.runner.runner as runner_mod
    seen = {}

    class Recorder:
        def __init__(self, **kwargs):
            seen.update(kwargs)

    fake = SimpleNamespace(distributed=True, cfg={}, logger=None)
    with mock.patch.object(runner_mod, 'MMDistributedDataParallel', Recorder), \
            mock.patch.object(runner_mod, 'get_device', lambda: 'cpu'), \
            mock.patch.dict(os.environ, dict(LOCAL_RANK='1')):
        try:
            runner_mod.Runner.wrap_model(fake, None, torch.nn.Linear(1, 1))
        except Exception:  # noqa: BLE001 - another code path: not this bug
            return False
    return bool(seen.get('device_ids'))


def _ddp_init_on_cpu(init: Callable) -> Callable:
    """Wrap ``MMDistributedDataParallel.__init__``: drop ``device_ids`` for a CPU-only module."""

    @functools.wraps(init)
    def wrapper(self, module, *args, **kwargs):
        if kwargs.get('device_ids') is not None and all(
                not p.is_cuda for p in module.parameters()):
            kwargs['device_ids'] = None
        return init(self, module, *args, **kwargs)

    wrapper._ga2clip_cpu_ddp = True
    return wrapper


def fix_distributed_without_cuda() -> bool:
    """Make MMEngine's DDP (``--launcher pytorch|slurm|mpi``) start on a machine without CUDA.

    Upstream bug: MMEngine 0.10.7 assumes CUDA on the distributed path even with
    ``env_cfg.dist_cfg.backend='gloo'``:

    * ``init_dist`` (``_init_dist_pytorch``, ``_init_dist_slurm``, ``_init_dist_mpi``) calls
      ``torch.cuda.set_device(local_rank)`` unconditionally, which raises without a CUDA device;
    * ``Runner.wrap_model`` passes ``device_ids=[LOCAL_RANK]`` to ``DistributedDataParallel``,
      which refuses ``device_ids`` for a CPU module.

    Fix, only where torch sees no CUDA device (with CUDA nothing is touched): each initialiser
    that makes the call runs with ``torch.cuda.set_device`` a no-op for the duration (and
    ``backend='nccl'``, the configs' choice, becomes ``'gloo'``, with a log line), and
    ``MMDistributedDataParallel`` drops ``device_ids`` for a module whose parameters are all on
    the CPU. The configs say nccl (``configs/_base_/default_runtime.py``, MMEngine's default), whatever
    machine parsed or dumped them; the backend is resolved here, when the process group starts.

    Delete when: the MMEngine release we pin initialises gloo without ``set_device`` on CPU and
    builds DDP without ``device_ids`` for a CPU model (both probes then return nothing and this
    fix is inert).

    Returns:
        bool: Whether the fix acted.
    """
    import mmengine.dist.utils as dist_utils
    from mmengine.model import MMDistributedDataParallel
    acted = False
    for name in init_dist_sets_cuda_device():
        fn = getattr(dist_utils, name)
        if not getattr(fn, '_ga2clip_cpu_init', False):
            setattr(dist_utils, name, _cpu_init(fn))
        acted = True
    import torch
    if not torch.cuda.is_available() and ddp_gets_device_ids_for_cpu_module():
        if not getattr(MMDistributedDataParallel.__init__, '_ga2clip_cpu_ddp', False):
            MMDistributedDataParallel.__init__ = _ddp_init_on_cpu(MMDistributedDataParallel.__init__)
        acted = True
    return acted


# ---------------------------------------------------------------------- probing at the first use
#: ``(owner, attribute) -> (original, first-use stand-in)`` while the stand-ins are installed.
_STANDINS: Dict[Tuple[object, str], Tuple[Callable, Callable]] = {}


def _reaches(fn: Optional[Callable], target: Callable) -> bool:
    """Whether ``target`` is ``fn`` or one of the functions it wraps (its ``__wrapped__`` chain)."""
    while fn is not None:
        if fn is target:
            return True
        fn = getattr(fn, '__wrapped__', None)
    return False


def _standin(owner: object, attr: str, original: Callable, record: Dict[str, bool]) -> Callable:
    """A stand-in for ``owner.attr`` that applies the fix at its first call, then calls what is installed."""

    @functools.wraps(original)
    def first_use(*args, **kwargs):
        apply_now(record)
        current = getattr(owner, attr)
        # the fix may have wrapped this stand-in itself (it was installed when the fix ran): call the original
        return (original if _reaches(current, first_use) else current)(*args, **kwargs)

    return first_use


def install_on_first_use(record: Dict[str, bool]) -> None:
    """Put the first-use stand-ins in place (idempotent; nothing once the fix has run).

    Args:
        record (dict[str, bool]): Where :func:`apply_now` records whether the fix acted (``record[NAME]``).
    """
    if NAME in record or _STANDINS:
        return
    import mmengine.dist.utils as dist_utils
    from mmengine.model import MMDistributedDataParallel
    targets = [(dist_utils, name) for name in _LAUNCHER_ENVS if hasattr(dist_utils, name)]
    for owner, attr in targets + [(MMDistributedDataParallel, '__init__')]:
        original = getattr(owner, attr)
        standin = _standin(owner, attr, original, record)
        _STANDINS[(owner, attr)] = (original, standin)
        setattr(owner, attr, standin)


def apply_now(record: Dict[str, bool]) -> bool:
    """Take the stand-ins out and run :func:`fix_distributed_without_cuda` once per process.

    Args:
        record (dict[str, bool]): ``record[NAME]`` is set to whether the fix acted.

    Returns:
        bool: Whether the fix acted.
    """
    if NAME not in record:
        for (owner, attr), (original, standin) in list(_STANDINS.items()):
            if getattr(owner, attr) is standin:  # not replaced since (by a test's monkeypatch, say)
                setattr(owner, attr, original)
        _STANDINS.clear()
        record[NAME] = fix_distributed_without_cuda()
    return record[NAME]
