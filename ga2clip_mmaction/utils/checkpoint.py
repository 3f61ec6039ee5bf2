"""Secure checkpoint loading for MMEngine: ``weights_only=True`` plus an explicit allowlist.

MMEngine 0.10.7 loads local checkpoints with a bare ``torch.load``: under torch < 2.6 that
unpickles arbitrary objects (a checkpoint can run code), under torch >= 2.6 it refuses the
``HistoryBuffer`` objects MMEngine itself saves, so ``--resume`` and test-time loading fail.

:func:`install` replaces MMEngine's local-file loader (``CheckpointLoader`` scheme ``''``) with
:func:`load_local_checkpoint`, which always uses ``weights_only=True`` with the globals that
MMEngine checkpoints contain (:data:`SAFE_GLOBALS`). A file that needs anything else is refused
with :class:`UntrustedCheckpointError`, naming the global and the opt-in: list the file in the
environment variable ``GA2CLIP_TRUSTED_CHECKPOINTS`` (paths separated by ``os.pathsep``) to load
it with full unpickling. There is no blanket switch.
"""
import os
import os.path as osp
import pickle
import re
from typing import Any, List, Optional

import numpy as np
import torch

TRUST_ENV = 'GA2CLIP_TRUSTED_CHECKPOINTS'


def _numpy_globals() -> List[Any]:
    """numpy objects that pickled arrays and scalars reference (names differ in numpy 1 / 2)."""
    objs: List[Any] = [np.ndarray, np.dtype]
    try:  # numpy >= 2
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar
    objs += [_reconstruct, scalar]
    # dtype classes such as numpy.dtypes.Float64DType (numpy >= 1.25)
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        objs += [getattr(dtypes, n) for n in dir(dtypes) if n.endswith('DType')]
    return objs


def _mmengine_globals() -> List[Any]:
    """MMEngine classes found in its own checkpoints (message hub, configs in meta)."""
    from mmengine.config import ConfigDict
    from mmengine.logging import HistoryBuffer
    return [HistoryBuffer, ConfigDict]


#: Everything besides torch's own defaults that a checkpoint written by MMEngine may reference.
SAFE_GLOBALS: List[Any] = _numpy_globals() + _mmengine_globals()


class UntrustedCheckpointError(RuntimeError):
    """A checkpoint needs a global outside the allowlist and was not trusted explicitly."""


def trusted_paths() -> List[str]:
    """Return the absolute paths listed in ``GA2CLIP_TRUSTED_CHECKPOINTS``."""
    raw = os.environ.get(TRUST_ENV, '')
    return [osp.abspath(osp.expanduser(p)) for p in raw.split(os.pathsep) if p]


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
    path = osp.abspath(osp.expanduser(filename))
    if path in trusted_paths():
        return torch.load(path, map_location=map_location, weights_only=False)
    try:
        with torch.serialization.safe_globals(SAFE_GLOBALS):
            return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        match = re.search(r'GLOBAL ([\w.]+)', str(err)) or re.search(
            r'global[^\w]*([\w.]+\.[\w]+)', str(err))
        offending = match.group(1) if match else 'an object outside the allowlist'
        raise UntrustedCheckpointError(
            f'Refusing to load checkpoint {path}: it needs the global `{offending}`, which is '
            f'not on the allowlist of objects MMEngine checkpoints contain, and unpickling it '
            f'could execute arbitrary code. If you trust this file, opt in with '
            f'`export {TRUST_ENV}={path}` (several paths separated by "{os.pathsep}").'
        ) from None


def load_local_checkpoint(filename: str, map_location: Optional[Any] = None) -> Any:
    """MMEngine ``CheckpointLoader`` backend for local paths (the ``''`` scheme).

    Args:
        filename (str): Local checkpoint path (``~`` is expanded).
        map_location (Any, optional): As for :func:`torch.load`.

    Returns:
        Any: The loaded checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return safe_torch_load(filename, map_location=map_location)


def install() -> None:
    """Register :func:`load_local_checkpoint` as MMEngine's loader for local files."""
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)
