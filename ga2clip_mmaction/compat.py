"""Workarounds for upstream bugs in the pinned OpenMMLab stack, applied in one place.

``import ga2clip_mmaction`` calls :func:`apply_all` before anything of ours imports
``mmaction.models``. Every fix

* detects the bug itself (by probing the installed code, never by version number alone) and
  does nothing when the bug is absent, so a fixed upstream release is never patched;
* says which upstream bug it works around and when it can be deleted;
* is idempotent, and records whether it acted in :data:`APPLIED`.

Secure checkpoint loading under torch >= 2.6 (MMEngine 0.10.7 calls ``torch.load`` without
``weights_only``) is not a compatibility fix but a policy that holds for every MMEngine release;
it lives in :mod:`ga2clip_mmaction.utils.checkpoint` and is installed by the package ``__init__``.
"""
import contextlib
import functools
import importlib.util
import os
import os.path as osp
import sys
import types
from types import SimpleNamespace
from typing import Callable, Dict, Iterator, List
from unittest import mock

import numpy as np

#: Name of each fix -> whether it acted in this process (``False``: bug absent, nothing done).
APPLIED: Dict[str, bool] = {}


def _mmaction_dir() -> str:
    """Return the directory of the installed ``mmaction`` package without importing it."""
    spec = importlib.util.find_spec('mmaction')
    if spec is None or spec.origin is None:
        raise ImportError('mmaction2 is not installed; run `make setup`.')
    return osp.dirname(spec.origin)


def drn_missing() -> bool:
    """Whether the installed mmaction2 lacks ``mmaction/models/localizers/drn``."""
    return not osp.isdir(osp.join(_mmaction_dir(), 'models', 'localizers', 'drn'))


def fix_missing_drn_localizer() -> bool:
    """Make ``import mmaction.models`` work when the DRN localizer sources are missing.

    Upstream bug: the mmaction2 1.2.0 wheel and sdist on PyPI omit
    ``mmaction/models/localizers/drn`` while ``mmaction/models/localizers/__init__.py`` imports
    ``.drn.drn.DRN``, so ``import mmaction.models`` raises ``ModuleNotFoundError``
    (open-mmlab/mmaction2#2714).

    Fix: register placeholder modules ``mmaction.models.localizers.drn[.drn]`` whose ``DRN``
    raises a clear error when built. DRN (temporal grounding) is unrelated to recognition.

    Delete when: the mmaction2 release we pin ships the ``drn`` package (the probe then
    returns ``False`` and this fix is inert).

    Returns:
        bool: Whether the fix acted.
    """
    if not drn_missing() or 'mmaction.models.localizers.drn.drn' in sys.modules:
        return False

    class DRN:  # noqa: D401 - placeholder with a clear error
        """Placeholder for the DRN localizer missing from the mmaction2 1.2.0 wheel."""

        def __init__(self, *args, **kwargs):
            raise ImportError('DRN is missing from the installed mmaction2 wheel '
                              '(open-mmlab/mmaction2#2714); install mmaction2 from source '
                              'to use it.')

    pkg = types.ModuleType('mmaction.models.localizers.drn')
    pkg.__path__ = []  # mark as a package
    mod = types.ModuleType('mmaction.models.localizers.drn.drn')
    mod.DRN = DRN
    pkg.drn = mod
    sys.modules[pkg.__name__] = pkg
    sys.modules[mod.__name__] = mod
    return True


def colorjitter_hue_overflows() -> bool:
    """Whether mmaction's ``ColorJitter.adjust_hue`` fails on a negative hue shift."""
    from mmaction.datasets.transforms.processing import ColorJitter
    img = np.full((1, 1, 3), (255, 0, 0), dtype=np.float32)  # hue 0 in OpenCV's HSV
    try:
        ColorJitter.adjust_hue(img, -0.1)
    except OverflowError:
        return True
    return False


def _adjust_hue_int(img: np.ndarray, factor: float) -> np.ndarray:
    """Shift the hue of an RGB image by ``factor`` (fraction of 255), computed in int32."""
    import cv2
    img = np.clip(img, 0, 255).astype(np.uint8)
    hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)
    hue = (hsv[..., 0].astype(np.int32) + int(factor * 255)) % 180
    hsv[..., 0] = hue.astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB).astype(np.float32)


def fix_colorjitter_hue_numpy2() -> bool:
    """Make mmaction's ``ColorJitter`` hue shift work with numpy 2.

    Upstream bug: ``ColorJitter.adjust_hue`` adds a Python ``int`` offset to a ``uint8``
    array. Under numpy 2 (NEP 50) a negative offset raises ``OverflowError`` and a positive one
    wraps around 256 before the ``% 180``; numpy 1 upcast the negative case.

    Fix: replace the static method by one that shifts the hue in int32.

    Delete when: mmaction2 computes the hue shift in a wider dtype (the probe then returns
    ``False`` and this fix is inert).

    Returns:
        bool: Whether the fix acted.
    """
    if not colorjitter_hue_overflows():
        return False
    from mmaction.datasets.transforms.processing import ColorJitter
    ColorJitter.adjust_hue = staticmethod(_adjust_hue_int)
    return True


# ---------------------------------------------------------------------- distributed without CUDA
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


#: Fixes in the order they must run. The DRN fix must precede any ``mmaction.models`` import.
FIXES: Dict[str, Callable[[], bool]] = {
    'missing_drn_localizer': fix_missing_drn_localizer,
    'colorjitter_hue_numpy2': fix_colorjitter_hue_numpy2,
    'distributed_without_cuda': fix_distributed_without_cuda,
}


def apply_all() -> Dict[str, bool]:
    """Apply every fix whose bug is present (idempotent).

    Returns:
        dict[str, bool]: For each fix, whether it acted in this process.
    """
    for name, fix in FIXES.items():
        if name not in APPLIED:
            APPLIED[name] = fix()
    return dict(APPLIED)
