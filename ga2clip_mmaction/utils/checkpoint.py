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

Saving is atomic (:class:`AtomicLocalBackend`): :func:`install` also makes MMEngine write local files
(``save_checkpoint``, hence every ``CheckpointHook`` and ``Runner.save_checkpoint``) to a hidden temporary file
in the target folder and ``os.replace`` it over the target, so a process killed while saving leaves the
previous checkpoint intact and ``--resume`` picks it. Code that saves with ``torch.save`` itself should use
:func:`atomic_torch_save`.

``builtins.getattr`` is never allowed as such: the name is bound to :func:`_method_reference`,
which only returns the few methods listed in :data:`METHOD_REFERENCES`. numpy's
``_reconstruct``/``scalar`` are accepted under their numpy 1 (``numpy.core``) and numpy 2
(``numpy._core``) paths, so checkpoints written with either numpy load with the other.
"""
import hashlib
import io
import os
import os.path as osp
import pickle
import re
import tempfile
import weakref
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.config import ConfigDict
from mmengine.fileio import LocalBackend
from mmengine.logging import HistoryBuffer
from mmengine.optim.scheduler.param_scheduler import OneCycleParamScheduler

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


def current_umask() -> int:
    """The process umask, read without changing it where the OS tells it (``/proc/self/status``).

    Returns:
        int: The umask (e.g. ``0o022``).
    """
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('Umask:'):
                    return int(line.split()[1], 8)
    except OSError:  # pragma: no cover - not Linux
        pass
    mask = os.umask(0o022)  # pragma: no cover - set and restore (not thread-safe, only without /proc)
    os.umask(mask)  # pragma: no cover
    return mask  # pragma: no cover


def fsync_dir(folder: str) -> None:
    """``fsync`` a directory, so a rename inside it survives a crash of the machine (no-op where the OS
    cannot open directories)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on directories
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` atomically: a temporary file in the same folder, then ``os.replace``.

    A reader (or a resumed run) sees either the old file or the complete new one, never a partial one;
    a process killed mid-write leaves a hidden ``.<name>.*.tmp`` file behind, which no checkpoint lookup
    matches. The file gets the mode a plain ``open(path, 'w')`` would give (``0o666`` less the umask, not
    ``mkstemp``'s ``0o600``), and the folder is fsynced after the rename.

    Args:
        data (bytes): File content.
        filepath (str | Path): Destination; its folder is created when missing.
    """
    filepath = str(filepath)
    folder = osp.dirname(osp.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f'.{osp.basename(filepath)}.', suffix='.tmp')
    try:
        if hasattr(os, 'fchmod'):
            os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
    fsync_dir(folder)


def atomic_write_text(text: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
    """:func:`atomic_write_bytes` for text (e.g. the ``last_checkpoint`` pointer of a work dir)."""
    atomic_write_bytes(text.encode(encoding), filepath)


def atomic_torch_save(obj: Any, filepath: Union[str, Path]) -> None:
    """``torch.save(obj, filepath)`` through :func:`atomic_write_bytes`.

    Args:
        obj (Any): What to save.
        filepath (str | Path): Destination.
    """
    with io.BytesIO() as buf:
        torch.save(obj, buf)
        atomic_write_bytes(buf.getvalue(), filepath)


class AtomicLocalBackend(LocalBackend):
    """MMEngine's local file backend whose ``put``/``put_text`` replace the target atomically.

    Registered by :func:`install` for plain paths (the ``''`` prefix, backend name ``'local'``), so
    ``mmengine.runner.save_checkpoint`` and everything built on it writes checkpoints atomically.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write bytes atomically (see :func:`atomic_write_bytes`)."""
        atomic_write_bytes(obj, filepath)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        """Write text atomically (see :func:`atomic_write_bytes`)."""
        atomic_write_bytes(obj.encode(encoding), filepath)


# ---------------------------------------------------------------------------------------------- small checkpoints
#: ``checkpoint['meta']`` key of the record that makes a checkpoint small (see :func:`shrink_checkpoint`).
SMALL_META_KEY = 'small_checkpoint'
#: Version of the record's layout.
SMALL_FORMAT = 1
#: Method by which a module declares its frozen part: state-dict names relative to the module.
FROZEN_DECLARATION = 'frozen_parameter_names'


class SmallCheckpointError(RuntimeError):
    """A small checkpoint cannot be completed from the model (missing, renamed, cast or other frozen weights)."""


def declared_frozen_names(model: torch.nn.Module) -> List[str]:
    """State-dict names of the frozen part that ``model`` (or its submodules) declare.

    A module declares its frozen part with a method ``frozen_parameter_names()`` returning state-dict names
    relative to itself (:class:`~ga2clip_mmaction.models.GA2CLIPRecognizer` for the whole model,
    :class:`~ga2clip_mmaction.models.PromptedCLIPVision` for its CLIP tower inside any MMAction2 recognizer).
    The outermost declaring module speaks for everything below it.

    Args:
        model (nn.Module): The model (unwrapped).

    Returns:
        list[str]: Names in ``model.state_dict()`` order; empty when nothing is declared (the model is then
        saved in full).
    """
    names: List[str] = []
    declared_prefixes: List[str] = []
    for prefix, module in model.named_modules():
        if any(prefix.startswith(p) for p in declared_prefixes):
            continue
        declare = getattr(module, FROZEN_DECLARATION, None)
        if not callable(declare):
            continue
        base = prefix + '.' if prefix else ''
        declared_prefixes.append(base)
        names += [base + n for n in declare()]
        if not prefix:
            break
    order = {k: i for i, k in enumerate(model.state_dict(keep_vars=True))}
    unknown = [n for n in names if n not in order]
    if unknown:
        raise KeyError(f'declared frozen names that are not in the state dict: {unknown[:5]}')
    return sorted(set(names), key=order.__getitem__)


#: Digests of tensors already hashed: id(tensor) -> (weak reference, (version, data pointer, device, dtype),
#: digest). A frozen weight is hashed once per process (at the first save, or at the first load) unless it
#: changes in place. (Not a WeakKeyDictionary: that compares tensors with ``==``.)
_DIGESTS: Dict[int, Tuple[Any, tuple, str]] = {}


def tensor_digest(tensor: torch.Tensor) -> str:
    """blake2b (128 bit, hex) of a tensor's dtype, shape and bytes, hashed from its own buffer.

    A CPU tensor is hashed in place (a contiguous one is never copied); a tensor on another device is
    copied to the host one at a time (never the whole model at once). Cached per tensor object until it
    changes (``_version``) or moves.

    Args:
        tensor (Tensor): Any tensor (parameters and buffers alike).

    Returns:
        str: 32 hex digits.
    """
    t = tensor.detach()
    key = (tensor._version, t.data_ptr(), t.device, t.dtype)
    cached = _DIGESTS.get(id(tensor))
    if cached is not None and cached[0]() is tensor and cached[1] == key:
        return cached[2]
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f'{t.dtype}:{tuple(t.shape)};'.encode())
    if t.numel():
        flat = t if t.device.type == 'cpu' else t.cpu()
        flat = flat.contiguous().reshape(-1).view(torch.uint8)
        digest.update(memoryview(flat.numpy()))
    hexdigest = digest.hexdigest()
    ident = id(tensor)
    _DIGESTS[ident] = (weakref.ref(tensor, lambda _, i=ident: _DIGESTS.pop(i, None)), key, hexdigest)
    return hexdigest


def frozen_record(model: torch.nn.Module, names: Optional[List[str]] = None) -> Dict[str, Any]:
    """The ``meta`` record of a small checkpoint of ``model``.

    Args:
        model (nn.Module): The model (unwrapped).
        names (list[str], optional): Frozen names; :func:`declared_frozen_names` when None.

    Returns:
        dict: ``kind='small'``, ``format``, ``frozen`` (names), ``tensors`` (name -> ``[dtype, shape,
        digest]``) and ``fingerprint`` (one digest of all of them).
    """
    names = declared_frozen_names(model) if names is None else list(names)
    state = model.state_dict(keep_vars=True)
    tensors = {n: [str(state[n].dtype), list(state[n].shape), tensor_digest(state[n])] for n in names}
    total = hashlib.blake2b(digest_size=16)
    for n in names:
        total.update(f'{n}={tensors[n][2]};'.encode())
    return dict(kind='small', format=SMALL_FORMAT, frozen=names, tensors=tensors, fingerprint=total.hexdigest())


def small_state_dict(model: torch.nn.Module, state: Dict[str, torch.Tensor], prefix: str = '',
                     names: Optional[List[str]] = None) -> Dict[str, torch.Tensor]:
    """Drop the declared frozen tensors of ``model`` from a state dict of it (same mapping type).

    Args:
        model (nn.Module): The model (unwrapped).
        state (dict[str, Tensor]): ``model.state_dict()``, possibly with ``prefix`` on every key.
        prefix (str): Key prefix (``'module.'`` in an EMA state dict). Defaults to ''.
        names (list[str], optional): Frozen names; :func:`declared_frozen_names` when None.

    Returns:
        dict[str, Tensor]: The state dict without the frozen tensors.
    """
    frozen = {prefix + n for n in (declared_frozen_names(model) if names is None else names)}
    small = type(state)((k, v) for k, v in state.items() if k not in frozen)
    if hasattr(state, '_metadata'):
        small._metadata = state._metadata
    return small


def shrink_checkpoint(model: torch.nn.Module, checkpoint: Dict[str, Any]) -> bool:
    """Make ``checkpoint`` (as MMEngine is about to save it) small: drop the declared frozen tensors of
    ``model`` from ``state_dict`` (and ``ema_state_dict``) and record them in ``meta['small_checkpoint']``.

    Args:
        model (nn.Module): The model (unwrapped).
        checkpoint (dict): The checkpoint, changed in place.

    Returns:
        bool: Whether the checkpoint was shrunk (False when the model declares no frozen part).
    """
    names = declared_frozen_names(model)
    if not names:
        return False
    checkpoint['state_dict'] = small_state_dict(model, checkpoint['state_dict'], names=names)
    if 'ema_state_dict' in checkpoint:
        checkpoint['ema_state_dict'] = small_state_dict(model, checkpoint['ema_state_dict'], 'module.', names)
    checkpoint.setdefault('meta', {})[SMALL_META_KEY] = frozen_record(model, names)
    return True


def small_checkpoint_record(checkpoint: Any) -> Optional[Dict[str, Any]]:
    """The small-checkpoint record of a loaded checkpoint, or None for a full one.

    Raises:
        SmallCheckpointError: The record is not one this version writes (an older small checkpoint).
    """
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    record = meta.get(SMALL_META_KEY) if isinstance(meta, dict) else None
    if record is None or record is False:
        return None
    if not isinstance(record, dict) or record.get('kind') != 'small' or record.get('format') != SMALL_FORMAT:
        raise SmallCheckpointError(
            f'meta.{SMALL_META_KEY} of this checkpoint is {record!r:.80}, not a small-checkpoint record of format '
            f'{SMALL_FORMAT}: it was written by an older version, which did not record its frozen weights. Load '
            'it with that version and save a full checkpoint (default_hooks.checkpoint.full_checkpoint=True).')
    return record


def _strip(key: str, revise_keys) -> str:
    for pattern, replacement in revise_keys:
        key = re.sub(pattern, replacement, key)
    return key


def refill_small_checkpoint(model: torch.nn.Module, checkpoint: Any,
                            revise_keys=((r'^module\.', ''),)) -> Any:
    """Complete a small checkpoint with ``model``'s own frozen tensors, after checking they are the saved ones.

    Whether the checkpoint is small is read from its ``meta`` only (never from ``requires_grad``). Every
    frozen name it recorded must exist in ``model`` with the recorded dtype, shape and digest; the state dict
    then gets the model's tensors under those names, so a strict load succeeds and a non-strict one cannot
    leave them out. A full checkpoint is returned unchanged.

    Args:
        model (nn.Module): The model to load into (unwrapped).
        checkpoint (dict): The loaded checkpoint (``state_dict`` changed in place).
        revise_keys (sequence): MMEngine's key revisions of the load (to compare names). Defaults to
            stripping ``module.``.

    Returns:
        dict: ``checkpoint``.

    Raises:
        SmallCheckpointError: Frozen weights the model does not have (with the keys, and the model's names of
            renamed ones), cast to another dtype, of another shape, or other values (another ``clip.weights``).
    """
    record = small_checkpoint_record(checkpoint)
    if record is None:
        return checkpoint
    state = checkpoint['state_dict']
    present = {_strip(k, revise_keys) for k in state}
    own = model.state_dict(keep_vars=True)
    saved = record['tensors']
    todo = [n for n in record['frozen'] if n not in present]
    missing = [n for n in todo if n not in own]
    if missing:
        lost = set(missing)
        by_digest = {tensor_digest(v): k for k, v in own.items() if k not in present and k not in saved}
        renamed = {n: by_digest[saved[n][2]] for n in missing if saved[n][2] in by_digest}
        hint = ''
        if renamed:
            pairs = ', '.join(f'{a} -> {b}' for a, b in list(renamed.items())[:5])
            hint = (f' {len(renamed)} of them are in the model under another name (the same values): {pairs}; '
                    'the model renamed these keys since the checkpoint was written: rename them back, or '
                    'load a full checkpoint.')
        raise SmallCheckpointError(
            f'This small checkpoint left out {len(lost)} frozen weights that the model cannot refill, because it '
            f'has no such keys: {sorted(lost)[:10]}{" ..." if len(lost) > 10 else ""}. A model without them '
            f'would evaluate with missing weights.{hint}')
    cast, reshaped, other = [], [], []
    for n in todo:
        dtype, shape, digest = saved[n]
        t = own[n]
        if str(t.dtype) != dtype:
            cast.append(f'{n} ({dtype} saved, {t.dtype} in the model)')
        elif list(t.shape) != list(shape):
            reshaped.append(f'{n} ({tuple(shape)} saved, {tuple(t.shape)} in the model)')
        elif tensor_digest(t) != digest:
            other.append(n)
    if cast:
        raise SmallCheckpointError(
            f'The frozen weights of this small checkpoint were saved in another dtype than the model holds them: '
            f'{len(cast)} cast, e.g. {", ".join(cast[:3])}. The model was cast (.half(), .to(dtype)) before '
            'loading: load the checkpoint first, then cast.')
    if reshaped:
        raise SmallCheckpointError(
            f'The frozen weights of this small checkpoint have other shapes than the model\'s ({len(reshaped)}, e.g. '
            f'{", ".join(reshaped[:3])}): the model is another architecture (clip.arch) than the one trained.')
    if other:
        raise SmallCheckpointError(
            f'This small checkpoint holds only the trained parameters; its frozen weights had fingerprint '
            f'{record["fingerprint"]}, but the model was built with other frozen weights ({len(other)} of '
            f'{len(todo)} tensors differ, e.g. {other[0]}). Build the model with the `clip.weights` file it was '
            'trained from, or load a full checkpoint (saved with default_hooks.checkpoint.full_checkpoint=True).')
    for n in todo:
        state[n] = own[n].detach()
    return checkpoint


def _small_aware(load_to_model):
    """Wrap MMEngine's ``_load_checkpoint_to_model`` so every load refills (and checks) small checkpoints."""
    if getattr(load_to_model, '_ga2clip_small_aware', False):
        return load_to_model

    def _load_checkpoint_to_model(model, checkpoint, strict=False, logger=None,
                                  revise_keys=[(r'^module\.', '')]):  # noqa: B006 - MMEngine's signature
        refill_small_checkpoint(model, checkpoint, revise_keys)
        return load_to_model(model, checkpoint, strict, logger, revise_keys)

    _load_checkpoint_to_model._ga2clip_small_aware = True
    _load_checkpoint_to_model.__wrapped__ = load_to_model
    return _load_checkpoint_to_model


def install() -> None:
    """Register :func:`load_local_checkpoint` as MMEngine's loader for local files,
    :class:`AtomicLocalBackend` as its local file backend (atomic checkpoint saving), and make every
    MMEngine load of a checkpoint into a model (``Runner.load_checkpoint``/``resume``, hence ``load_from``,
    ``--resume`` and ``tools/test.py``, and ``mmengine.runner.load_checkpoint``) complete small checkpoints
    through :func:`refill_small_checkpoint`."""
    from mmengine.fileio import register_backend
    from mmengine.runner import checkpoint as mm_checkpoint
    from mmengine.runner import runner as mm_runner
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
    for module in (mm_checkpoint, mm_runner):
        module._load_checkpoint_to_model = _small_aware(module._load_checkpoint_to_model)
