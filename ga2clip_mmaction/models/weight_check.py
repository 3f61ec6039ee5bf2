"""Identify a weight file and say what is wrong with it, before a run reads it.

:func:`check_weight_file` reads a file the way the model would (secure loading; TorchScript for OpenAI releases),
identifies what it is (an OpenAI CLIP release, a CLIP checkpoint with ``model_state_dict``, a released GA2-CLIP
checkpoint, a hard prompt, a checkpoint of this package), and lists each problem against an expectation: the
architecture (widths, layers, patch, image size, context length), the key set, the dtype, a truncated file or one
that is no checkpoint at all, and the sha256 where the right file is known. The report ends with where the right
file comes from. ``tools/check_weights.py`` prints it; the config check
(:func:`ga2clip_mmaction.engine.config_checks.check_config`) runs it on a config's weight files before training;
:func:`~ga2clip_mmaction.models.clip_weights.read_clip_state_dict` raises it when a CLIP file cannot be read.
"""
import hashlib
import os.path as osp
import re
import zipfile
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Optional, Tuple, Union

import torch

from ..utils.checkpoint import UntrustedCheckpointError, safe_torch_load
from .official_checkpoint import official_to_ours_name

#: sha256 of OpenAI's CLIP ViT-B/16 release. Source: OpenAI names the file by its sha256 in its download address,
#: https://openaipublic.azureedge.net/clip/models/5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f/ViT-B-16.pt
#: (OpenAI's clip/clip.py ``_MODELS['ViT-B/16']`` checks the download against this path component), the same address
#: as open_clip 3.3.0's pretrained table (``open_clip/pretrained.py``, ``_VITB16['openai']``).
OPENAI_VIT_B16_SHA256 = '5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f'
OPENAI_VIT_B16_URL = ('https://openaipublic.azureedge.net/clip/models/'
                      f'{OPENAI_VIT_B16_SHA256}/ViT-B-16.pt')

#: Keys of OpenAI state dicts that are not parameters.
META_KEYS = ('input_resolution', 'context_length', 'vocab_size')
_CLIP_PREFIXES = ('visual.', 'token_embedding.', 'positional_embedding', 'transformer.', 'ln_final.',
                  'text_projection', 'logit_scale')
_BLOCK = ('attn.in_proj_weight', 'attn.in_proj_bias', 'attn.out_proj.weight', 'attn.out_proj.bias', 'ln_1.weight',
          'ln_1.bias', 'mlp.c_fc.weight', 'mlp.c_fc.bias', 'mlp.c_proj.weight', 'mlp.c_proj.bias', 'ln_2.weight',
          'ln_2.bias')


class WeightFileError(ValueError):
    """A weight file that is not what the run needs (the message is the full report)."""


@dataclass(frozen=True)
class ClipArch:
    """Architecture of a ViT CLIP, as read off its weights."""
    vision_width: int
    vision_layers: int
    patch_size: int
    image_size: int
    text_width: int
    text_layers: int
    context_length: int
    vocab_size: int
    embed_dim: int

    def describe(self) -> str:
        """One line: ``ViT width 768, 12 layers, patch 16, 224 px; text width 512, ...``."""
        return (f'ViT width {self.vision_width}, {self.vision_layers} layers, patch {self.patch_size}, '
                f'{self.image_size} px; text width {self.text_width}, {self.text_layers} layers, context length '
                f'{self.context_length}, vocab {self.vocab_size}; embed dim {self.embed_dim}')

    def differences(self, expected: 'ClipArch') -> List[str]:
        """``name: file vs expected`` for every field that differs."""
        return [f'{name.replace("_", " ")} {getattr(self, name)} (expected {getattr(expected, name)})'
                for name in self.__dataclass_fields__ if getattr(self, name) != getattr(expected, name)]


#: CLIP ViT-B/16 (OpenAI; the starting point of every released GA2-CLIP run).
VIT_B16 = ClipArch(768, 12, 16, 224, 512, 12, 77, 49408, 512)


@dataclass(frozen=True)
class KnownWeights:
    """What a kind of weight file must be, and where the right one comes from."""
    name: str
    kind: str  # 'clip', 'release', 'hard_prompt' or 'ours' (a file can also be identified as 'parity')
    description: str
    source: str
    arch: Optional[ClipArch] = None
    dtypes: Tuple[str, ...] = ()  # accepted dtypes of the float tensors (empty: any single one)
    sha256: Optional[str] = None
    file_names: Tuple[str, ...] = ()  # the names the configs give the file (data/weights/...)
    container: Optional[str] = None  # 'torchscript' or 'model_state_dict' where the format fixes it
    hard_prompt_shape: Optional[Tuple[int, int]] = None


KNOWN: Dict[str, KnownWeights] = {
    k.name: k for k in (
        KnownWeights(
            'openai-vit-b16', 'clip', 'OpenAI CLIP ViT-B/16 release (TorchScript archive, float16)',
            f'OpenAI: {OPENAI_VIT_B16_URL} (the address names the file\'s sha256); save it as '
            'data/weights/ViT-B-16.pt', arch=VIT_B16, dtypes=('float16', ), sha256=OPENAI_VIT_B16_SHA256,
            file_names=('ViT-B-16.pt', ), container='torchscript'),
        KnownWeights(
            'text4vis-k400', 'clip', 'CLIP ViT-B/16 with a Kinetics-400-tuned image tower, CLIP keys under '
            '`model_state_dict` (Text4Vis checkpoint format)',
            'the K400 ViT-B/16 checkpoint the released GA2-CLIP HMDB51 / UCF101 / SSv2 runs start from (Text4Vis '
            'checkpoint format: the CLIP keys under `model_state_dict`); save it as '
            'data/weights/k400_vit-b-16_text4vis.pt (configs/README.md, "Data layout")', arch=VIT_B16,
            dtypes=('float16', 'float32'), file_names=('k400_vit-b-16_text4vis.pt', ),
            container='model_state_dict'),
        KnownWeights(
            'ga2clip-release', 'release', 'released GA2-CLIP trained prompts (official names, `...VPT...`)',
            'the weights linked from the released GA2-CLIP code; convert with python '
            'tools/convert_official_checkpoint.py SRC DST --clip data/weights/ViT-B-16.pt --hard-prompt HARD.pt',
            arch=VIT_B16),
        KnownWeights(
            'hard-prompt', 'hard_prompt', "hard prompt ({'hard_prompt': Tensor[16, 512]}, float32)",
            'python tools/data/extract_hard_prompt.py work_dirs/<hard-prompt run>/epoch_12.pth '
            'data/hard_prompts/<name>.pt, after training configs/ga2clip_hard_prompt_{k400_base,k100}.py',
            dtypes=('float32', ), file_names=('k400_base.pt', 'k100.pt'), hard_prompt_shape=(16, 512)),
        KnownWeights(
            'ours', 'ours', 'a checkpoint of this package (MMEngine: state_dict + meta; small or full)',
            'python tools/train.py CONFIG (work_dirs/<config>/epoch_N.pth), or python tools/publish_model.py '
            'IN OUT_PREFIX'),
    )
}


@dataclass
class WeightReport:
    """What :func:`check_weight_file` found."""
    path: str
    identified: str = 'unknown'
    details: List[str] = field(default_factory=list)
    problems: List[str] = field(default_factory=list)
    expect: Optional[KnownWeights] = None
    sha256: Optional[str] = None
    arch: Optional[ClipArch] = None

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems

    def format(self) -> str:
        """The report as printed by ``tools/check_weights.py`` (and raised by the checks)."""
        lines = [f'{self.path}: {self.identified}']
        lines += [f'  {d}' for d in self.details]
        if self.expect is not None:
            lines.append(f'  expected: {self.expect.name}, {self.expect.description}')
        if self.problems:
            lines.append(f'  PROBLEMS ({len(self.problems)}):')
            lines += [f'  - {p}' for p in self.problems]
        else:
            lines.append('  OK' + (f' as {self.expect.name}' if self.expect else ''))
        if self.expect is not None and self.problems:
            lines.append(f'  the right file: {self.expect.source}')
        return '\n'.join(lines)


def sha256_file(path: str, chunk: int = 1 << 22) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            digest.update(block)
    return digest.hexdigest()


def clip_arch(state: Dict[str, torch.Tensor]) -> ClipArch:
    """The architecture of OpenAI/open_clip-format ViT CLIP weights.

    Raises:
        KeyError: A key the architecture is read from is missing (named).
    """
    conv = state['visual.conv1.weight']
    pos = state['visual.positional_embedding']
    grid = int(round((pos.shape[0] - 1) ** 0.5))

    def layers(prefix: str) -> int:
        found = {int(m.group(1)) for k in state for m in [re.match(re.escape(prefix) + r'(\d+)\.', k)] if m}
        return max(found) + 1 if found else 0

    return ClipArch(vision_width=int(conv.shape[0]), vision_layers=layers('visual.transformer.resblocks.'),
                    patch_size=int(conv.shape[-1]), image_size=int(conv.shape[-1]) * grid,
                    text_width=int(state['ln_final.weight'].shape[0]), text_layers=layers('transformer.resblocks.'),
                    context_length=int(state['positional_embedding'].shape[0]),
                    vocab_size=int(state['token_embedding.weight'].shape[0]),
                    embed_dim=int(state['text_projection'].shape[1]))


def clip_keys(arch: ClipArch) -> List[str]:
    """The parameter names of a ViT CLIP of ``arch`` (OpenAI/open_clip format)."""
    keys = ['visual.class_embedding', 'visual.positional_embedding', 'visual.proj', 'visual.conv1.weight',
            'visual.ln_pre.weight', 'visual.ln_pre.bias', 'visual.ln_post.weight', 'visual.ln_post.bias',
            'positional_embedding', 'text_projection', 'logit_scale', 'token_embedding.weight', 'ln_final.weight',
            'ln_final.bias']
    keys += [f'visual.transformer.resblocks.{i}.{b}' for i in range(arch.vision_layers) for b in _BLOCK]
    keys += [f'transformer.resblocks.{i}.{b}' for i in range(arch.text_layers) for b in _BLOCK]
    return keys


def _is_torchscript(path: str) -> bool:
    with zipfile.ZipFile(path) as zf:
        return any(name.endswith('constants.pkl') for name in zf.namelist())


def _read(path: str, report: WeightReport) -> Tuple[Optional[str], Any]:
    """``(container, object)``: 'torchscript' (state dict), 'pickle' (torch.save object) or None (problem)."""
    size = osp.getsize(path)
    report.details.append(f'size {size:,} bytes')
    if size == 0:
        report.problems.append('empty file (0 bytes): the download or copy did not happen')
        return None, None
    with open(path, 'rb') as f:
        head = f.read(512)
    if zipfile.is_zipfile(path):
        try:
            if _is_torchscript(path):
                return 'torchscript', torch.jit.load(path, map_location='cpu').state_dict()
            return 'pickle', safe_torch_load(path, map_location='cpu')
        except UntrustedCheckpointError as err:
            report.problems.append(f'refused by secure loading: {err}')
        except Exception as err:  # noqa: BLE001 - any reader error is a broken file
            report.problems.append(f'corrupt checkpoint archive: {type(err).__name__}: {str(err)[:200]}')
        return None, None
    if head.startswith(b'PK\x03\x04'):
        report.problems.append(f'truncated: a zip archive (torch.save / TorchScript format) without its end '
                               f'record, {size:,} bytes; the download or copy stopped early')
        return None, None
    if head.startswith(b'\x80'):  # a legacy (non-zip) torch.save pickle
        try:
            return 'pickle', safe_torch_load(path, map_location='cpu')
        except UntrustedCheckpointError as err:
            report.problems.append(f'refused by secure loading: {err}')
        except Exception as err:  # noqa: BLE001
            report.problems.append(f'truncated or corrupt legacy torch.save file: {type(err).__name__}: '
                                   f'{str(err)[:200]}')
        return None, None
    text = head.lstrip().lower()
    if text.startswith((b'<!doctype html', b'<html', b'<?xml')):
        what = 'an HTML/XML page (a download that returned an error or login page)'
    elif text.startswith(b'version https://git-lfs'):
        what = 'a Git LFS pointer (the repository was cloned without `git lfs pull`)'
    else:
        what = f'no torch checkpoint (starts with {head[:16]!r})'
    report.problems.append(f'not a checkpoint: {what}')
    return None, None


def _unwrap(obj: Any) -> Tuple[Optional[str], Any]:
    for key in ('model_state_dict', 'state_dict', 'model'):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            return key, obj[key]
    return None, obj


def _strip_module(state: Dict[str, Any]) -> Dict[str, Any]:
    return {(k[len('module.'):] if k.startswith('module.') else k): v for k, v in state.items()}


def _dtypes(tensors: Dict[str, torch.Tensor]) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    for value in tensors.values():
        if torch.is_tensor(value) and value.is_floating_point():
            name = str(value.dtype).replace('torch.', '')
            counts[name] = counts.get(name, 0) + 1
    return counts


def _check_dtype(tensors: Dict[str, torch.Tensor], expect: Optional[KnownWeights], report: WeightReport) -> None:
    counts = _dtypes(tensors)
    report.details.append('dtype ' + ', '.join(f'{d} ({n} tensors)' for d, n in sorted(counts.items())))
    if len(counts) > 1:
        report.problems.append(f'mixed dtypes {sorted(counts)}: part of the file was cast (a partial .half() or '
                               '.float()); the original file has one dtype')
    elif expect is not None and expect.dtypes and counts and next(iter(counts)) not in expect.dtypes:
        report.problems.append(f'dtype {next(iter(counts))}, expected {" or ".join(expect.dtypes)}: a cast copy, '
                               'not the original file (a cast to a narrower type rounds the values)')


def _check_clip(state: Dict[str, torch.Tensor], expect: Optional[KnownWeights], report: WeightReport,
                what: str = 'CLIP') -> None:
    """Architecture, key set and dtype of CLIP weights (OpenAI/open_clip names)."""
    clip = {k: v for k, v in state.items() if k.startswith(_CLIP_PREFIXES)}
    try:
        arch = clip_arch(clip)
    except (KeyError, IndexError) as err:
        known = sorted(clip)[:5] or sorted(state)[:5]
        report.problems.append(f'key set: cannot read the {what} architecture, no key {err} (keys renamed or '
                               f'missing; the file has {len(state)} keys, e.g. {known})')
        arch = None
    if arch is not None:
        report.arch = arch
        report.details.append(f'architecture: {arch.describe()}')
        if expect is not None and expect.arch is not None and arch != expect.arch:
            report.problems.append('architecture: ' + '; '.join(arch.differences(expect.arch)))
        wanted = set(clip_keys(arch))
        have = {k for k in clip if k not in META_KEYS}
        missing, extra = sorted(wanted - have), sorted(have - wanted)
        if missing or extra:
            report.problems.append(f'key set: {len(missing)} {what} keys missing {missing[:5]}'
                                   f'{" ..." if len(missing) > 5 else ""}, {len(extra)} unexpected {extra[:5]}'
                                   f'{" ..." if len(extra) > 5 else ""} (renamed keys or an incomplete file)')
        else:
            report.details.append(f'key set: complete ({len(wanted)} {what} parameters)')
    _check_dtype({k: v for k, v in clip.items() if k not in META_KEYS}, expect, report)


def _release_keys(state: Dict[str, Any]) -> List[str]:
    return [k for k in state if 'VPT' in k]


def expectation_for(path: str, kind: str = 'clip') -> Optional[KnownWeights]:
    """What a config's weight file must be, read off its name: the file names of the data layout
    (``data/weights/ViT-B-16.pt``: ``openai-vit-b16``, ``k400_vit-b-16_text4vis.pt``: ``text4vis-k400``) fix the
    expectation (architecture, dtype, sha256 where known; not the container format, the model reads any); any
    other CLIP file is checked for what every CLIP file must be. A hard prompt must be a hard prompt (its shape is
    the model's to check, ``cls_head.language_ctx`` x text width).

    Args:
        path (str): The file named in the config.
        kind (str): ``'clip'`` or ``'hard_prompt'``. Defaults to 'clip'.

    Returns:
        KnownWeights | None: The expectation, None for a CLIP file of another name.
    """
    if kind == 'hard_prompt':
        return replace(KNOWN['hard-prompt'], hard_prompt_shape=None, dtypes=())
    name = osp.basename(path)
    known = next((k for k in KNOWN.values() if k.kind == 'clip' and name in k.file_names), None)
    # the model reads a bare state dict as well as the release's format: the file's format is not checked here
    return None if known is None else replace(known, container=None)


def check_weight_file(path: str, expect: Union[None, str, KnownWeights] = None,
                      hash_file: Optional[bool] = None) -> WeightReport:
    """Identify a weight file and list what is wrong with it.

    Args:
        path (str): The file.
        expect (str | KnownWeights, optional): What it should be: a name of :data:`KNOWN`
            (``openai-vit-b16``, ``text4vis-k400``, ``ga2clip-release``, ``hard-prompt``, ``ours``) or a
            :class:`KnownWeights`. None: only what is wrong whatever the file is meant to be (unreadable,
            truncated, incomplete CLIP key set, mixed dtypes).
        hash_file (bool, optional): Compute the sha256. Defaults to: when ``expect`` has one.

    Returns:
        WeightReport: ``report.ok`` when nothing is wrong; ``report.format()`` is the message.

    Raises:
        KeyError: ``expect`` is an unknown name.
    """
    if isinstance(expect, str):
        if expect not in KNOWN:
            raise KeyError(f'--expect {expect!r}: unknown; one of {sorted(KNOWN)}')
        expect = KNOWN[expect]
    report = WeightReport(path=path, expect=expect)
    path = osp.expanduser(path)
    if not osp.isfile(path):
        report.identified = 'missing'
        report.problems.append('file not found' + (' (a directory)' if osp.isdir(path) else ''))
        return report
    if hash_file or (hash_file is None and expect is not None and expect.sha256):
        report.sha256 = sha256_file(path)
        report.details.append(f'sha256 {report.sha256}')
        matches = [k.name for k in KNOWN.values() if k.sha256 == report.sha256]
        if matches:
            report.details.append(f'sha256 is that of {matches[0]}')
        if expect is not None and expect.sha256 and report.sha256 != expect.sha256:
            report.problems.append(f'sha256 {report.sha256} differs from {expect.name}\'s {expect.sha256} '
                                   '(another file, a modified copy or an incomplete download)')
    container, obj = _read(path, report)
    if container is None:
        report.identified = 'unreadable'
        return report
    wrapper, inner = _unwrap(obj) if container == 'pickle' else (None, obj)
    if container == 'torchscript':
        report.identified = 'TorchScript archive with CLIP weights (the format of OpenAI\'s releases)'
    if isinstance(inner, dict):
        inner = _strip_module(inner)
    kind = _identify(container, obj, wrapper, inner, report)
    if expect is not None and kind != expect.kind and kind != 'unknown':
        report.problems.append(f'this is a {kind.replace("_", " ")} file, expected {expect.name} '
                               f'({expect.description})')
    if expect is not None and expect.container is not None and kind == expect.kind:
        got = 'torchscript' if container == 'torchscript' else wrapper
        if got != expect.container:
            report.problems.append(f'format: {got or "a bare state dict"}, expected {expect.container} '
                                   f'({expect.description})')
    if kind == 'clip':
        _check_clip(inner, expect, report)
    elif kind == 'release':
        _check_release(inner, expect, report)
    elif kind == 'hard_prompt':
        _check_hard_prompt(obj, expect, report)
    elif kind == 'ours':
        _check_ours(obj, expect, report)
    elif kind == 'parity':
        _check_clip(obj.get('clip_state_dict') or {}, None, report)
        _check_release(_strip_module(obj.get('official_state_dict') or {}), None, report)
    return report


def _identify(container: str, obj: Any, wrapper: Optional[str], inner: Any, report: WeightReport) -> str:
    if container == 'torchscript':
        return 'clip'
    if isinstance(obj, dict) and str(obj.get('format', '')).startswith('ga2clip-official-parity/'):
        report.identified = f'parity fixture of the released code ({obj["format"]}; tools/check_parity.py)'
        return 'parity'
    if torch.is_tensor(obj) or (isinstance(obj, dict) and torch.is_tensor(obj.get('hard_prompt'))
                                and set(obj) <= {'hard_prompt', 'source', 'meta'}):
        report.identified = 'hard prompt'
        return 'hard_prompt'
    if isinstance(obj, dict) and wrapper == 'state_dict' and isinstance(obj.get('meta'), dict) and any(
            k.startswith(('backbone.', 'cls_head.')) for k in inner):
        small = (obj['meta'].get('small_checkpoint') or {})
        report.identified = ('checkpoint of this package (' + ('small: frozen CLIP weights left out'
                                                               if small else 'full') + ')')
        return 'ours'
    if isinstance(inner, dict) and _release_keys(inner):
        report.identified = f'released GA2-CLIP checkpoint ({len(_release_keys(inner))} official `VPT` tensors)'
        return 'release'
    if isinstance(inner, dict) and any(k.startswith(_CLIP_PREFIXES) for k in inner):
        report.identified = ('CLIP weights' + (f' under `{wrapper}`' if wrapper else ' (a bare state dict)'))
        return 'clip'
    keys = sorted(inner)[:5] if isinstance(inner, dict) else type(inner).__name__
    report.identified = 'unknown'
    report.problems.append(f'no CLIP, GA2-CLIP or hard-prompt weights in it (top level: {keys})')
    return 'unknown'


def _check_release(state: Dict[str, Any], expect: Optional[KnownWeights], report: WeightReport) -> None:
    unknown = []
    for key in _release_keys(state):
        try:
            official_to_ours_name(key)
        except KeyError:
            unknown.append(key)
    if unknown:
        report.problems.append(f'key set: {len(unknown)} `VPT` keys the converter does not know: {unknown[:5]}')
    ctx = state.get('prompt_learner.ctx_VPT')
    if ctx is None:
        report.problems.append('key set: no prompt_learner.ctx_VPT (the text context)')
    else:
        report.details.append(f'text context {tuple(ctx.shape)}')
        if expect is not None and expect.arch is not None and ctx.shape[-1] != expect.arch.text_width:
            report.problems.append(f'architecture: text context width {ctx.shape[-1]} (expected '
                                   f'{expect.arch.text_width})')
    _check_dtype({k: state[k] for k in _release_keys(state) if torch.is_tensor(state[k])}, None, report)


def _check_hard_prompt(obj: Any, expect: Optional[KnownWeights], report: WeightReport) -> None:
    tensor = obj if torch.is_tensor(obj) else obj['hard_prompt']
    report.details.append(f'shape {tuple(tensor.shape)}, dtype {str(tensor.dtype).replace("torch.", "")}')
    if tensor.dim() != 2:
        report.problems.append(f'shape {tuple(tensor.shape)}: a hard prompt is [n_ctx, width]')
    elif expect is not None and expect.hard_prompt_shape and tuple(tensor.shape) != expect.hard_prompt_shape:
        report.problems.append(f'shape {tuple(tensor.shape)}, expected {expect.hard_prompt_shape} (n_ctx, text '
                               'width of CLIP ViT-B/16)')
    if not torch.isfinite(tensor).all():
        report.problems.append('non-finite values (nan/inf)')
    if expect is not None and expect.dtypes and str(tensor.dtype).replace('torch.', '') not in expect.dtypes:
        report.problems.append(f'dtype {tensor.dtype}, expected {" or ".join(expect.dtypes)}')


def _check_ours(obj: Dict[str, Any], expect: Optional[KnownWeights], report: WeightReport) -> None:
    state = obj['state_dict']
    record = obj['meta'].get('small_checkpoint')
    runtime = [k for k in ('optimizer', 'message_hub', 'param_schedulers') if k in obj]
    report.details.append(f'{len(state)} tensors' + (f'; training state: {", ".join(runtime)}' if runtime else
                                                     '; no training state (published)'))
    if record:
        left_out = [n for n in record.get('frozen', []) if n in state]
        report.details.append(f'frozen-weight fingerprint {record.get("fingerprint")} ({len(record["frozen"])} '
                              'frozen tensors left out; refilled from the config\'s clip.weights at load)')
        if left_out:
            report.problems.append(f'small checkpoint that still holds {len(left_out)} of its "left out" frozen '
                                   f'tensors: {left_out[:3]}')
        return
    visual = {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.visual.')}
    text = {k[len('cls_head.text.'):]: v for k, v in state.items() if k.startswith('cls_head.text.')}
    if visual and text:
        _check_clip({**visual, **text}, expect if expect is not None and expect.arch else None, report,
                    what='CLIP')
