"""Checkpoint loading under torch's ``weights_only`` default, with the globals MMEngine's own checkpoints need.

torch >= 2.6 loads with ``weights_only=True`` by default, so MMEngine 0.10.7's bare ``torch.load`` never runs
code from a checkpoint, but it refuses the objects MMEngine itself saves (``HistoryBuffer`` in the message hub,
numpy scalars ...), so ``--resume`` and test-time loading of a training checkpoint fail.
:func:`allow_mmengine_globals` adds exactly those globals (:data:`SAFE_GLOBALS`) to torch's allowlist with torch's
own mechanism (``torch.serialization.add_safe_globals``); ``import ga2clip_mmaction`` calls it, so MMEngine's Runner
(``load_from``, ``--resume``, ``tools/test.py``), ``mmaction.apis.init_recognizer``, a bare
``mmengine.runner.load_checkpoint`` and :func:`safe_torch_load` all load MMEngine's checkpoints. It is additive:
nothing torch would accept is refused, MMEngine keeps its own loaders and log lines, and torch's own opt-out
(``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1``, for a file one trusts) works as documented by torch. It is one of the
documented exceptions to "importing the plugin changes nothing it does not own" (docs/design.md;
``tests/test_import_side_effects.py`` checks the import adds exactly :data:`SAFE_GLOBALS`).

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

``builtins.getattr`` is never allowed as such: the name is bound to :func:`_method_reference`,
which only returns the few methods listed in :data:`METHOD_REFERENCES`. numpy's
``_reconstruct``/``scalar`` are accepted under their numpy 1 (``numpy.core``) and numpy 2
(``numpy._core``) paths, so checkpoints written with either numpy load with the other.

:func:`safe_torch_load` is the loading our own code uses for files it reads directly (CLIP weights, hard
prompts, released checkpoints): torch's default ``weights_only`` loading, with an error naming the file.
"""
import os.path as osp
import pickle
import re
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch
from mmengine.config import ConfigDict
from mmengine.logging import HistoryBuffer
from mmengine.optim.scheduler.param_scheduler import OneCycleParamScheduler

try:  # numpy >= 2 (numpy 1.26 also ships this alias)
    from numpy._core import multiarray as _multiarray
except ImportError:  # pragma: no cover - numpy < 1.26
    from numpy.core import multiarray as _multiarray

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
#: as ``(object, full name in the pickle)`` pairs for :func:`torch.serialization.safe_globals`.
SAFE_GLOBALS: List[Tuple[Any, str]] = _safe_globals()

#: How to load a trusted file that needs another global (torch's own mechanisms, named in our errors).
TRUST_HINT = ('If you trust this file, allow the global with torch.serialization.add_safe_globals([...]), or '
              'load it with torch\'s own opt-out: TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1.')


def allow_mmengine_globals() -> List[Tuple[Any, str]]:
    """Add :data:`SAFE_GLOBALS` to torch's ``weights_only`` allowlist (idempotent): the mechanism torch provides
    (``torch.serialization.add_safe_globals``), additive (nothing torch accepts is refused; torch's own opt-out
    ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` still works). ``import ga2clip_mmaction`` calls it, so a training
    checkpoint of MMEngine loads anywhere in the process (``mmaction.apis.init_recognizer``, a bare
    ``mmengine.runner.load_checkpoint``), as MMEngine expects: one of the documented exceptions to "importing the
    plugin changes nothing it does not own" (docs/design.md; ``tests/test_import_side_effects.py``).

    Returns:
        list[tuple]: The entries this call added (empty when all were there already).
    """
    present = set(torch.serialization.get_safe_globals())
    added = [g for g in SAFE_GLOBALS if g not in present]
    if added:
        torch.serialization.add_safe_globals(added)
    return added


class UntrustedCheckpointError(pickle.UnpicklingError):
    """A file our code reads needs a global that torch's ``weights_only`` loading does not allow."""


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
    """Load ``filename`` with torch's default (``weights_only``) loading and the MMEngine globals.

    Args:
        filename (str): Path of a local file (``~`` is expanded).
        map_location (Any, optional): As for :func:`torch.load`. Defaults to None.

    Returns:
        Any: The loaded object.

    Raises:
        UntrustedCheckpointError: The file needs a global torch does not allow; the message names the file,
            the global and torch's own ways to load a trusted file.
    """
    path = osp.realpath(osp.expanduser(filename))
    try:
        return torch.load(path, map_location=map_location)
    except pickle.UnpicklingError as err:
        offending = _offending_global(str(err))
        raise UntrustedCheckpointError(
            f'Refusing to load {path}: it needs `{offending}`, which torch\'s weights_only loading does not '
            f'allow (unpickling it could execute arbitrary code). {TRUST_HINT}') from None
