"""Secure checkpoint loading for MMEngine: ``weights_only=True`` plus an explicit allowlist.

MMEngine 0.10.7 loads local checkpoints with a bare ``torch.load``: under torch < 2.6 that
unpickles arbitrary objects (a checkpoint can run code), under torch >= 2.6 it refuses the
``HistoryBuffer`` objects MMEngine itself saves, so ``--resume`` and test-time loading fail.

:func:`install` replaces MMEngine's local-file loader (``CheckpointLoader`` scheme ``''``) with
:func:`load_local_checkpoint`, which always uses ``weights_only=True`` with the globals that
checkpoints written by MMEngine's ``Runner`` contain (:data:`SAFE_GLOBALS`). A file that needs
anything else is refused with :class:`UntrustedCheckpointError`, naming the global and the opt-in:
list the file in the environment variable ``GA2CLIP_TRUSTED_CHECKPOINTS`` (paths separated by
``os.pathsep``) to load it with full unpickling. There is no blanket switch.

Where the allowlist comes from (``tests/utils/test_checkpoint.py`` checks it is exactly this,
against checkpoints written by a real ``Runner``):

* ``message_hub``: :class:`mmengine.logging.HistoryBuffer` objects holding numpy arrays
  (``numpy.ndarray``, ``numpy.dtype`` and numpy's ``_reconstruct``); ``HistoryBuffer`` also
  pickles its statistics methods by reference, ``getattr(HistoryBuffer, 'mean')`` and so on.
* ``message_hub.runtime_info`` and ``meta``: numpy scalars (``scalar``: ``eta``, ``best_score``
  of ``CheckpointHook(save_best=...)``, whatever numeric type the metric returns) and, when a
  dataset's ``metainfo`` holds a nested dict in the config, :class:`mmengine.config.ConfigDict`.
* Restoring a numpy dtype sets the state of an instance of its dtype class
  (``numpy.dtypes.Float64DType``...), which the unpickler checks against the allowlist although
  the pickle never names it: the bool, integer and float dtype classes (:data:`NUMERIC_DTYPES`)
  are allowed, object, string and structured dtypes are not.
* ``param_schedulers``: only ``OneCycleParamScheduler`` stores more than plain values: its
  annealing function, by reference (``getattr(OneCycleParamScheduler, '_annealing_cos')``).
* The AMP loss scaler state and optimizer states are plain numbers and tensors.

Saving is atomic (:mod:`~ga2clip_mmaction.utils.atomic_write`) and loads into a model complete small
checkpoints (:mod:`~ga2clip_mmaction.utils.small_checkpoint`): :func:`install` sets up all three.

``builtins.getattr`` is never allowed as such: the name is bound to :func:`_method_reference`,
which only returns the few methods listed in :data:`METHOD_REFERENCES`. numpy's
``_reconstruct``/``scalar`` are accepted under their numpy 1 (``numpy.core``) and numpy 2
(``numpy._core``) paths, so checkpoints written with either numpy load with the other.
"""
import os
import os.path as osp
import pickle
import re
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch
from mmengine.config import ConfigDict
from mmengine.logging import HistoryBuffer
from mmengine.optim.scheduler.param_scheduler import OneCycleParamScheduler

from .atomic_write import AtomicLocalBackend
from .small_checkpoint import small_aware_loader

try:  # numpy >= 2 (numpy 1.26 also ships this alias)
    from numpy._core import multiarray as _multiarray
except ImportError:  # pragma: no cover - numpy < 1.26
    from numpy.core import multiarray as _multiarray

#: Environment variable listing checkpoint files to load with full (unsafe) unpickling.
TRUST_ENV = 'GA2CLIP_TRUSTED_CHECKPOINTS'

#: Functions that MMEngine checkpoints reference as ``getattr(owner, name)``.
METHOD_REFERENCES: Dict[type, Tuple[str, ...]] = {
    HistoryBuffer: ('min', 'max', 'current', 'mean'),
    OneCycleParamScheduler: ('_annealing_cos', '_annealing_linear'),
}


def _qualified_name(obj: Any) -> str:
    """Return ``module.qualname`` of a class or function, as pickles name it."""
    return f'{obj.__module__}.{obj.__qualname__}'


def _method_reference(owner: Any, name: str) -> Any:
    """Stand-in for ``builtins.getattr`` while unpickling: only :data:`METHOD_REFERENCES`.

    Args:
        owner (Any): The object the pickle asks an attribute of.
        name (str): The attribute name.

    Returns:
        Any: ``getattr(owner, name)`` when ``(owner, name)`` is listed.

    Raises:
        pickle.UnpicklingError: Any other attribute (reported like an unsupported global).
    """
    for cls, names in METHOD_REFERENCES.items():
        if owner is cls and name in names:
            return getattr(owner, name)
    if isinstance(owner, type):
        what = f'{_qualified_name(owner)}.{name}'
    else:
        what = f'getattr({type(owner).__name__}, {name!r})'
    raise pickle.UnpicklingError(f'Unsupported global: GLOBAL {what} was not an allowed global')


#: numpy dtypes whose arrays and scalars MMEngine checkpoints may hold (logs, metrics).
NUMERIC_DTYPES: Tuple[str, ...] = ('bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16',
                                   'uint32', 'uint64', 'float16', 'float32', 'float64')


def _safe_globals() -> List[Tuple[Any, str]]:
    """Build the allowlist as ``(object, name in the pickle)`` pairs."""
    pairs = [
        (np.ndarray, 'numpy.ndarray'),
        (np.dtype, 'numpy.dtype'),
        (HistoryBuffer, _qualified_name(HistoryBuffer)),
        (ConfigDict, _qualified_name(ConfigDict)),
        (OneCycleParamScheduler, _qualified_name(OneCycleParamScheduler)),
        (_method_reference, 'builtins.getattr'),
    ]
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        pairs += [(_multiarray._reconstruct, f'{module}._reconstruct'),
                  (_multiarray.scalar, f'{module}.scalar')]
    dtype_classes = [type(np.dtype(name)) for name in NUMERIC_DTYPES]
    pairs += [(cls, _qualified_name(cls)) for cls in dtype_classes]
    return pairs


#: Everything besides torch's own defaults that a checkpoint written by MMEngine may reference,
#: as ``(object, full name in the pickle)`` pairs for :class:`torch.serialization.safe_globals`.
SAFE_GLOBALS: List[Tuple[Any, str]] = _safe_globals()


class UntrustedCheckpointError(RuntimeError):
    """A checkpoint needs a global outside the allowlist and was not trusted explicitly."""


def trusted_paths() -> List[str]:
    """Return the resolved paths listed in ``GA2CLIP_TRUSTED_CHECKPOINTS``.

    Returns:
        list[str]: Real paths (``~`` expanded, symlinks resolved).
    """
    raw = os.environ.get(TRUST_ENV, '')
    return [osp.realpath(osp.expanduser(p)) for p in raw.split(os.pathsep) if p]


def _offending_global(message: str) -> str:
    """Extract the refused global (or type) from torch's ``weights_only`` error message."""
    patterns = (
        r'GLOBAL ([\w.]+(?:\([^)]*\))?)',  # a name the pickle imports
        r"but got <class '([\w.]+)'>",  # an instance whose type is not allowed (BUILD, NEWOBJ)
        r'unrecognized function (\S+)',  # a call to something that is not allowed (REDUCE)
    )
    for pattern in patterns:
        match = re.search(pattern, message)
        if match:
            return match.group(1)
    return 'an object outside the allowlist'


def safe_torch_load(filename: str, map_location: Optional[Any] = None) -> Any:
    """Load ``filename`` with ``weights_only=True`` and the MMEngine allowlist.

    Args:
        filename (str): Path of a local checkpoint file.
        map_location (Any, optional): As for :func:`torch.load`. Defaults to None.

    Returns:
        Any: The loaded object.

    Raises:
        UntrustedCheckpointError: The file needs a global outside :data:`SAFE_GLOBALS` and is not
            listed in ``GA2CLIP_TRUSTED_CHECKPOINTS``.
    """
    path = osp.realpath(osp.expanduser(filename))
    if path in trusted_paths():
        return torch.load(path, map_location=map_location, weights_only=False)
    # Leave globals the user allowlisted process-wide in place when the context exits.
    already = set(torch.serialization.get_safe_globals())
    extra = [g for g in SAFE_GLOBALS if g not in already]
    try:
        with torch.serialization.safe_globals(extra):
            return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        offending = _offending_global(str(err))
        raise UntrustedCheckpointError(
            f'Refusing to load checkpoint {path}: it needs `{offending}`, which is not on the '
            f'allowlist of objects MMEngine checkpoints contain, and unpickling it could execute '
            f'arbitrary code. If you trust this file, opt in with `export {TRUST_ENV}={path}` '
            f'(several paths separated by "{os.pathsep}").') from None


def load_local_checkpoint(filename: str, map_location: Optional[Any] = None) -> Any:
    """MMEngine ``CheckpointLoader`` backend for local paths (the ``''`` scheme).

    Args:
        filename (str): Local checkpoint path (``~`` is expanded).
        map_location (Any, optional): As for :func:`torch.load`. Defaults to None.

    Returns:
        Any: The loaded checkpoint.

    Raises:
        FileNotFoundError: ``filename`` does not exist.
        UntrustedCheckpointError: See :func:`safe_torch_load`.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return safe_torch_load(filename, map_location=map_location)


def install() -> None:
    """Register :func:`load_local_checkpoint` as MMEngine's loader for local files,
    :class:`AtomicLocalBackend` as its local file backend (atomic checkpoint saving), and make every
    MMEngine load of a checkpoint into a model (``Runner.load_checkpoint``/``resume``, hence ``load_from``,
    ``--resume`` and ``tools/test.py``, and ``mmengine.runner.load_checkpoint``) complete small checkpoints
    through :func:`~ga2clip_mmaction.utils.small_checkpoint.refill_small_checkpoint`."""
    from mmengine.fileio import register_backend
    from mmengine.runner import checkpoint as mm_checkpoint
    from mmengine.runner import runner as mm_runner
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
    for module in (mm_checkpoint, mm_runner):
        module._load_checkpoint_to_model = small_aware_loader(module._load_checkpoint_to_model)
