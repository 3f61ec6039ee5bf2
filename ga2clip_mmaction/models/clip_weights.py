"""Build open_clip CLIP models from an architecture name/config and a local weight file.

Accepted weight files (never downloaded; this module never unpickles code):

* an OpenAI CLIP release (``ViT-B-16.pt``): a TorchScript archive, read with ``torch.jit.load``, or a plain
  state dict in OpenAI key format;
* an open_clip state dict (``torch.save(model.state_dict())``), optionally under ``state_dict``;
* a Text4Vis / released GA2-CLIP checkpoint whose ``model_state_dict`` holds CLIP keys (``visual.*`` may be a
  K400-tuned image tower), possibly prefixed with ``module.``; non-CLIP keys are ignored.

OpenAI and open_clip use the same key names for ViT CLIP models, so one key set serves all three. With
``arch=None`` the architecture is read off the weights by open_clip's ``build_model_from_openai_state_dict``;
what is ours is the unwrapping of Text4Vis / released checkpoints and the error messages naming the file.
"""
import contextlib
import json
import os.path as osp
import zipfile
from typing import Any, Dict, Iterator, Optional, Union

import open_clip
import torch
from open_clip.model import CLIP, CLIPTextCfg, CLIPVisionCfg, build_model_from_openai_state_dict

from ..utils.checkpoint import UntrustedCheckpointError, safe_torch_load
from .weight_check import WeightFileError, check_weight_file

ArchType = Union[str, Dict[str, Any], None]

#: Keys of OpenAI state dicts that are not parameters.
_META_KEYS = ('input_resolution', 'context_length', 'vocab_size')
#: Top-level CLIP key prefixes (ViT image tower and text tower).
_CLIP_PREFIXES = ('visual.', 'token_embedding.', 'positional_embedding', 'transformer.',
                  'ln_final.', 'text_projection', 'logit_scale')


def _is_torchscript(path: str) -> bool:
    """Whether ``path`` is a TorchScript archive (OpenAI's ``.pt`` releases are)."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as zf:
        return any(name.endswith('constants.pkl') for name in zf.namelist())


def read_clip_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """Read CLIP weights from a local file into an OpenAI/open_clip-format state dict.

    Args:
        path (str): Weight file (see the module docstring for the accepted kinds).

    Returns:
        dict[str, Tensor]: CLIP parameters (float tensors on the CPU), non-CLIP keys dropped.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        KeyError: The file holds no CLIP keys.
        WeightFileError: The file cannot be read (truncated, not a checkpoint, ...): the message is
            :func:`~ga2clip_mmaction.models.weight_check.check_weight_file`'s report.
    """
    path = osp.expanduser(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'CLIP weight file not found: {path}')
    try:
        if _is_torchscript(path):
            obj: Any = torch.jit.load(path, map_location='cpu').state_dict()
        else:
            obj = safe_torch_load(path, map_location='cpu')
    except UntrustedCheckpointError:
        raise
    except Exception as err:  # noqa: BLE001 - a broken file: say what is wrong with it
        raise WeightFileError(f'CLIP weights cannot be read:\n{check_weight_file(path).format()}') from err
    for key in ('model_state_dict', 'state_dict', 'model'):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
            break
    if not isinstance(obj, dict):
        raise KeyError(f'{path}: expected a state dict, got {type(obj).__name__}')
    state: Dict[str, torch.Tensor] = {}
    for key, value in obj.items():
        key = key[len('module.'):] if key.startswith('module.') else key
        if key.startswith(_CLIP_PREFIXES) and torch.is_tensor(value):
            state[key] = value
    if not state:
        raise KeyError(f'{path}: no CLIP keys (visual.*, transformer.*, token_embedding.*, ...) found')
    return state


def build_from_openai_state_dict(state: Dict[str, torch.Tensor]) -> CLIP:
    """A float32 open_clip CLIP whose architecture is read off OpenAI-format ViT weights (QuickGELU, heads
    ``width // 64``), with exactly these weights: open_clip's ``build_model_from_openai_state_dict``.

    open_clip's builder loads the weights into a half-converted model (OpenAI releases are fp16), so float32
    weights (open_clip state dicts, Text4Vis checkpoints, the parity fixtures) are copied again after ``float()``.

    Args:
        state (dict[str, Tensor]): OpenAI-format CLIP state dict (not modified).

    Returns:
        CLIP: The model.

    Raises:
        KeyError: Not a ViT CLIP (no ``visual.proj``).
        RuntimeError: The weights are incomplete (PyTorch's missing/unexpected keys).
    """
    if 'visual.proj' not in state:
        raise KeyError('Only ViT CLIP models are supported (no `visual.proj` in the weights)')
    model = build_model_from_openai_state_dict(dict(state), quick_gelu=True, cast_dtype=None).float()
    model.load_state_dict({k: v for k, v in state.items() if k not in _META_KEYS}, strict=False)
    return model


def _build_from_cfg(cfg: Dict[str, Any]) -> CLIP:
    """Build a float32 :class:`open_clip.model.CLIP` from a model config dict."""
    cfg = dict(cfg)
    return CLIP(
        embed_dim=cfg.pop('embed_dim'),
        vision_cfg=CLIPVisionCfg(**cfg.pop('vision_cfg')),
        text_cfg=CLIPTextCfg(**cfg.pop('text_cfg')),
        **cfg)


#: Models built inside :func:`shared_clip_builds`, by (arch, weights); None outside.
_SHARED_BUILDS: Optional[Dict[str, CLIP]] = None


@contextlib.contextmanager
def shared_clip_builds() -> Iterator[None]:
    """Within the block, :func:`build_clip` with the same ``arch`` and ``weights`` returns the same model.

    The recognizer builds its backbone and head inside it, so the image tower and the text tower come from one
    CLIP build and the weight file is read once (each part keeps only its own tower). Nested use shares the
    outer block's models.
    """
    global _SHARED_BUILDS
    if _SHARED_BUILDS is not None:
        yield
        return
    _SHARED_BUILDS = {}
    try:
        yield
    finally:
        _SHARED_BUILDS = None


def _build_key(arch: ArchType, weights: Optional[str]) -> str:
    """Identity of a build request (architecture and resolved weight path)."""
    path = osp.realpath(osp.expanduser(weights)) if weights is not None else None
    return json.dumps([arch, path], sort_keys=True, default=str)


def build_clip(arch: ArchType = None,
               weights: Optional[str] = None,
               state_dict: Optional[Dict[str, torch.Tensor]] = None) -> CLIP:
    """Build an open_clip CLIP in float32 on the CPU (one build per request inside :func:`shared_clip_builds`).

    Args:
        arch (str | dict | None): An open_clip model name (ours are registered from
            ``models/clip_configs``), a model config dict, or ``None`` to read the architecture off
            OpenAI-format weights. Defaults to None.
        weights (str, optional): Local weight file; ``None`` keeps the random init. Defaults to None.
        state_dict (dict, optional): Weights already in memory (takes precedence over ``weights``).

    Returns:
        CLIP: The model in eval mode.

    Raises:
        ValueError: Neither an architecture nor weights to read one from.
        RuntimeError: The weights do not fit the architecture (missing/unexpected keys listed).
    """
    if _SHARED_BUILDS is not None and state_dict is None:
        key = _build_key(arch, weights)
        if key not in _SHARED_BUILDS:
            _SHARED_BUILDS[key] = _build_clip(arch, weights, None)
        return _SHARED_BUILDS[key]
    return _build_clip(arch, weights, state_dict)


def _build_clip(arch: ArchType, weights: Optional[str],
                state_dict: Optional[Dict[str, torch.Tensor]]) -> CLIP:
    """The build behind :func:`build_clip`."""
    if state_dict is None and weights is not None:
        state_dict = read_clip_state_dict(weights)
    if arch is None:
        if state_dict is None:
            raise ValueError('clip: give `arch` (open_clip name or config dict) or `weights` '
                             'to read the architecture from')
        try:
            return build_from_openai_state_dict(state_dict).eval()
        except RuntimeError as err:
            raise RuntimeError(f'CLIP weights {weights or "<in memory>"} are not a complete OpenAI-format CLIP '
                               f'(arch=None reads the architecture off them): {err}') from None
    if isinstance(arch, str):
        if arch not in open_clip.list_models():
            raise KeyError(f'clip.arch: unknown open_clip model {arch!r}')
        if weights is not None and _is_torchscript(osp.expanduser(weights)) and \
                not open_clip.get_model_config(arch).get('quick_gelu', False):
            raise ValueError(f'clip: {weights} is an OpenAI CLIP release (trained with QuickGELU) but arch '
                             f'{arch!r} uses GELU; use arch=None (read off the weights) or '
                             f'{arch + "-quickgelu"!r}')
        model = open_clip.create_model(arch, pretrained=None)
    else:
        model = _build_from_cfg(arch)
    model = model.float()
    if state_dict is not None:
        state = {k: v.float() for k, v in state_dict.items() if k not in _META_KEYS}
        own = model.state_dict()
        missing = [k for k in own if k not in state and k != 'attn_mask']
        unexpected = [k for k in state if k not in own]
        shapes = [f'{k} {tuple(v.shape)} vs {tuple(own[k].shape)}' for k, v in state.items()
                  if k in own and v.shape != own[k].shape]
        if missing or unexpected or shapes:
            name = arch if isinstance(arch, str) else 'the given config'
            raise RuntimeError(f'CLIP weights {weights or "<in memory>"} do not match arch {name}: '
                               f'missing {missing[:5]}, unexpected {unexpected[:5]}, '
                               f'shape mismatches (file vs arch) {shapes[:5]}')
        model.load_state_dict(state, strict=False)
    return model.eval()
