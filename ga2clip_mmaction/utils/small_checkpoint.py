"""Small checkpoints: the frozen weights left out, recorded in ``meta``, refilled from the model at every load.

A module declares its frozen part with ``frozen_parameter_names()`` (:func:`declared_frozen_names`);
:func:`shrink_checkpoint` (what ``SmallCheckpointHook`` calls before a save) drops those tensors and records their
names, ``[dtype, shape, blake2b digest]`` and one fingerprint in ``meta['small_checkpoint']`` and, for each
outermost declaring module, in the state dict's own metadata (``state_dict._metadata[<module prefix>]``, which
torch and MMEngine hand to that module's ``_load_from_state_dict``). Whether a checkpoint is small is read from
that record only, never from ``requires_grad``.

Loading refills through the models' own ``load_state_dict`` machinery, nothing of MMEngine is wrapped: a module
that declares a frozen part calls :func:`refill_small_checkpoints_on_load` in its ``__init__``, which registers
:func:`refill_pre_hook` as its ``load_state_dict`` pre-hook. Any load into it (MMEngine's
``load_checkpoint``/``Runner.load_checkpoint``/``resume``, ``EMAHook``, torch's ``load_state_dict``) checks the
model holds the saved frozen tensors and puts them back (:func:`refill_state_dict`). ``SmallCheckpointHook``
also completes the whole checkpoint from its ``meta`` record before MMEngine loads it (:func:`refill_small_checkpoint`),
which covers checkpoints written before the record went into the state dict's metadata.
"""
import hashlib
import re
from collections import OrderedDict
from typing import Any, Dict, List, Optional

import torch

from .tensor_cache import TensorCache

#: ``checkpoint['meta']`` key of the record that makes a checkpoint small (see :func:`shrink_checkpoint`).
SMALL_META_KEY = 'small_checkpoint'
#: Version of the record's layout.
SMALL_FORMAT = 1
#: Method by which a module declares its frozen part: state-dict names relative to the module.
FROZEN_DECLARATION = 'frozen_parameter_names'


class SmallCheckpointError(RuntimeError):
    """A small checkpoint cannot be completed from the model (missing, renamed, cast or other frozen weights)."""


def declared_frozen_groups(model: torch.nn.Module) -> Dict[str, List[str]]:
    """The outermost modules of ``model`` that declare a frozen part, and their declarations.

    Args:
        model (nn.Module): The model (unwrapped).

    Returns:
        dict[str, list[str]]: Module prefix (``''`` for ``model`` itself, else ``'backbone.'`` and so on) ->
        the names it declares, relative to it, in its ``state_dict()`` order.
    """
    groups: Dict[str, List[str]] = {}
    for prefix, module in model.named_modules():
        if any(prefix.startswith(p) for p in groups):
            continue
        declare = getattr(module, FROZEN_DECLARATION, None)
        if not callable(declare):
            continue
        base = prefix + '.' if prefix else ''
        order = {k: i for i, k in enumerate(module.state_dict(keep_vars=True))}
        names = list(declare())
        unknown = [base + n for n in names if n not in order]
        if unknown:
            raise KeyError(f'declared frozen names that are not in the state dict: {unknown[:5]}')
        groups[base] = sorted(set(names), key=order.__getitem__)
        if not prefix:
            break
    return groups


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
    order = {k: i for i, k in enumerate(model.state_dict(keep_vars=True))}
    names = {base + n for base, group in declared_frozen_groups(model).items() for n in group}
    return sorted(names, key=order.__getitem__)


#: Digests of tensors already hashed, keyed by the tensor's id and valid under :class:`TensorCache`'s rule: a
#: frozen weight is hashed once per process (at the first save, or at the first load) unless it changes.
_DIGESTS = TensorCache(max_entries=None)


def _blake2b(t: torch.Tensor) -> str:
    """blake2b (128 bit, hex) of a detached tensor's dtype, shape and bytes."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f'{t.dtype}:{tuple(t.shape)};'.encode())
    if t.numel():
        flat = t if t.device.type == 'cpu' else t.cpu()
        flat = flat.contiguous().reshape(-1).view(torch.uint8)
        digest.update(memoryview(flat.numpy()))
    return digest.hexdigest()


def tensor_digest(tensor: torch.Tensor) -> str:
    """blake2b (128 bit, hex) of a tensor's dtype, shape and bytes, hashed from its own buffer.

    A CPU tensor is hashed in place (a contiguous one is never copied); a tensor on another device is
    copied to the host one at a time (never the whole model at once). Cached per tensor object until it
    changes or moves (:mod:`~ga2clip_mmaction.utils.tensor_cache`).

    Args:
        tensor (Tensor): Any tensor (parameters and buffers alike).

    Returns:
        str: 32 hex digits.
    """
    return _DIGESTS.get(id(tensor), (tensor, ), lambda: _blake2b(tensor.detach()))



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


def _record_in_metadata(model: torch.nn.Module, state: Dict[str, torch.Tensor], prefix: str = '') -> None:
    """Put each declaring module's record (names relative to it) into ``state._metadata`` under its prefix."""
    metadata = getattr(state, '_metadata', None)
    metadata = OrderedDict() if metadata is None else OrderedDict((k, dict(v)) for k, v in metadata.items())
    for base, names in declared_frozen_groups(model).items():
        module = model.get_submodule(base[:-1]) if base else model
        key = (prefix + base)[:-1]
        metadata.setdefault(key, {})[SMALL_META_KEY] = frozen_record(module, names)
    state._metadata = metadata


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
    _record_in_metadata(model, checkpoint['state_dict'])
    if 'ema_state_dict' in checkpoint:
        checkpoint['ema_state_dict'] = small_state_dict(model, checkpoint['ema_state_dict'], 'module.', names)
        _record_in_metadata(model, checkpoint['ema_state_dict'], 'module.')
    checkpoint.setdefault('meta', {})[SMALL_META_KEY] = frozen_record(model, names)
    return True


def small_checkpoint_record(checkpoint: Any) -> Optional[Dict[str, Any]]:
    """The small-checkpoint record of a loaded checkpoint, or None for a full one.

    Raises:
        SmallCheckpointError: The record is not one this version writes (an older small checkpoint).
    """
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    return _valid_record(meta.get(SMALL_META_KEY) if isinstance(meta, dict) else None)


def _valid_record(record: Any) -> Optional[Dict[str, Any]]:
    """``record`` when it is a small-checkpoint record of this format, None when absent; else an error."""
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
    refill_state_dict(model, state, record, present={_strip(k, revise_keys) for k in state})
    return checkpoint


def refill_state_dict(module: torch.nn.Module, state: Dict[str, Any], record: Dict[str, Any], prefix: str = '',
                      present: Optional[set] = None) -> None:
    """Put ``module``'s own frozen tensors into ``state`` under ``prefix`` after checking them against ``record``.

    Args:
        module (nn.Module): The module the record's names are relative to.
        state (dict[str, Tensor]): The state dict being loaded (keys carry ``prefix``); changed in place.
        record (dict): A small-checkpoint record (:func:`frozen_record` of ``module``).
        prefix (str): Key prefix of ``module`` in ``state``. Defaults to ''.
        present (set[str], optional): Keys of ``state`` after the load's key revisions; ``state``'s keys when None.

    Raises:
        SmallCheckpointError: As :func:`refill_small_checkpoint`.
    """
    present = set(state) if present is None else present
    own = module.state_dict(keep_vars=True)
    saved = record['tensors']
    todo = [n for n in record['frozen'] if prefix + n not in present]
    missing = [n for n in todo if n not in own]
    if missing:
        lost = {prefix + n for n in missing}
        by_digest = {tensor_digest(v): k for k, v in own.items() if prefix + k not in present and k not in saved}
        renamed = {prefix + n: prefix + by_digest[saved[n][2]] for n in missing if saved[n][2] in by_digest}
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
            cast.append(f'{prefix}{n} ({dtype} saved, {t.dtype} in the model)')
        elif list(t.shape) != list(shape):
            reshaped.append(f'{prefix}{n} ({tuple(shape)} saved, {tuple(t.shape)} in the model)')
        elif tensor_digest(t) != digest:
            other.append(prefix + n)
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
        state[prefix + n] = own[n].detach()


def refill_pre_hook(module: torch.nn.Module, state_dict: Dict[str, Any], prefix: str, local_metadata: Dict,
                    *args: Any) -> None:
    """``load_state_dict`` pre-hook of a module that declares a frozen part: refill the small-checkpoint record
    found in the module's own metadata (a full state dict has none: nothing happens)."""
    record = _valid_record(local_metadata.get(SMALL_META_KEY))
    if record is not None:
        refill_state_dict(module, state_dict, record, prefix)


def refill_small_checkpoints_on_load(module: torch.nn.Module) -> None:
    """Make every ``load_state_dict`` into ``module`` refill small checkpoints (call it in ``__init__`` of a module
    that declares ``frozen_parameter_names()``).

    Args:
        module (nn.Module): The declaring module; :func:`refill_pre_hook` becomes its ``load_state_dict`` pre-hook.
    """
    module.register_load_state_dict_pre_hook(refill_pre_hook)
