"""Numerical parity with the released GA2-CLIP code, on fixtures in ``ga2clip-official-parity/1`` format.

:func:`check_parity` builds our recognizer from the fixture's ``config`` and weights (every dimension read from
the fixture), loads the weights through the converter path (official names -> our checkpoint file -> MMEngine's
``load_checkpoint``), runs the eval pass and the training pass (official anchor mode, dropout off) and compares
every stored output.
"""
import os.path as osp
import tempfile
from typing import Any, Dict, List, Optional

import torch
import torch.nn.functional as F

from ga2clip_mmaction.utils.checkpoint import safe_torch_load

FORMAT = 'ga2clip-official-parity/1'
ATOL, RTOL = 1e-5, 1e-4  # forward outputs
LOSS_ATOL = 1e-5
GRAD_RTOL = 2e-3  # x max|g| of each tensor


def build_parity_model(rec: Dict[str, Any], emulate_fp16_prompt_grads: bool = False) -> torch.nn.Module:
    """Build our recognizer for a parity fixture (architecture and prompt sizes from the fixture).

    Args:
        rec (dict): The loaded fixture.
        emulate_fp16_prompt_grads (bool): Reproduce the released fp16 gradient rounding. Defaults to False.

    Returns:
        nn.Module: A :class:`GA2CLIPRecognizer` with random weights (load them with :func:`load_fixture_weights`).
    """
    from mmengine.registry import DefaultScope
    from mmaction.registry import MODELS

    cfg = rec['config']
    clip = dict(arch=None, weights=None, state_dict=rec['clip_state_dict'])  # architecture read off the weights
    model_cfg = dict(
        type='GA2CLIPRecognizer',
        backbone=dict(type='PromptedCLIPVision', clip=clip, vision_ctx=cfg['vision_ctx'],
                      vision_depth=cfg['vision_depth'], emulate_fp16_prompt_grads=emulate_fp16_prompt_grads),
        cls_head=dict(type='PromptCouplingHead', clip=clip, classnames=list(rec['classnames']),
                      language_ctx=cfg['language_ctx'], language_depth=cfg['language_depth'],
                      coupling='concat_mlp' if cfg.get('use_hard_prompt', True) else 'none',
                      coupling_dropout=cfg.get('mlp_dropout', 0.5),
                      hard_prompt=rec['hard_prompt'] if cfg.get('use_hard_prompt', True) else None,
                      emulate_fp16_prompt_grads=emulate_fp16_prompt_grads),
        anchor_loss=dict(type='AnchorLoss', mode='official', loss_weight=cfg.get('alpha', 1.0),
                         anchor_names=list(rec['anchor_classnames']), template=cfg['anchor_template'],
                         underscore_to_space=cfg.get('anchor_underscore_to_space', False), skip_inert=False),
        data_preprocessor=dict(type='ActionDataPreprocessor', format_shape='NCTHW'))
    with DefaultScope.overwrite_default_scope('mmaction'):
        return MODELS.build(model_cfg)


def load_fixture_weights(model: torch.nn.Module, rec: Dict[str, Any]) -> None:
    """Convert the fixture's official weights, save them as our checkpoint and load it via MMEngine."""
    from mmengine.runner import load_checkpoint

    from ga2clip_mmaction.models.official_checkpoint import convert_official_state_dict
    state = convert_official_state_dict(rec['official_state_dict'], rec['clip_state_dict'],
                                        rec['hard_prompt'])
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'converted.pth')
        torch.save({'state_dict': state, 'meta': {'converted_from': 'parity fixture'}}, path)
        load_checkpoint(model, path, map_location='cpu', strict=True, logger='silent')


def _to_ours(videos: torch.Tensor) -> torch.Tensor:
    """``[B, T, 3, H, W]`` -> ``[B, V=1, 3, T, H, W]``."""
    return videos.permute(0, 2, 1, 3, 4).unsqueeze(1).contiguous()


def _train_outputs(model, rec: Dict[str, Any], anchor_names: List[str], suffix: str) -> Dict[str, torch.Tensor]:
    """Training-pass outputs with one anchor-name list (keys with ``suffix``)."""
    from mmaction.registry import MODELS
    from mmaction.structures import ActionDataSample

    from ga2clip_mmaction.models.official_checkpoint import official_to_ours_name
    cfg = rec['config']
    inputs = rec['inputs']
    head = model.cls_head
    model.anchor_loss = MODELS.build(dict(
        type='AnchorLoss', mode='official', loss_weight=cfg.get('alpha', 1.0), anchor_names=anchor_names,
        template=cfg['anchor_template'], underscore_to_space=cfg.get('anchor_underscore_to_space', False),
        skip_inert=False))  # the released computation, also with one (inert) anchor name
    videos, anchor = _to_ours(inputs['videos']), _to_ours(inputs['anchor_video'])
    samples = [ActionDataSample().set_gt_label(label) for label in inputs['labels']]
    out: Dict[str, torch.Tensor] = {}
    with torch.no_grad():
        frames = model.backbone(torch.cat([videos, anchor]).flatten(0, 1))
        b = videos.shape[0]
        emb = frames.mean(dim=1)
        text = head.frozen_text_features(model.anchor_loss.prompts)
        out['anchor_tokens'] = head.text.tokenize(model.anchor_loss.prompts)
        out['anchor_text_features'] = text
        out['train_frame_features'] = frames.flatten(0, 1)
        out['train_cls_emb'] = head.class_features().clone()
        out['train_anchor_cos'] = F.normalize(emb[b:], dim=-1) @ F.normalize(text, dim=-1).t()
        out['train_logits'] = head.cosine(emb[:b]) + model.anchor_loss.logit_bias(emb[b:], text)
    model.zero_grad(set_to_none=True)
    loss = model.loss(videos, samples, anchor_inputs=anchor)['loss_cls']
    loss.backward()
    out['train_loss'] = loss.detach()
    names = {official_to_ours_name(n): n for n in rec['official_state_dict']}
    params = dict(model.named_parameters())
    out['train_grads'] = {names[k]: params[k].grad.detach().clone() for k in names}
    sweep = []
    with torch.no_grad():
        for alpha in cfg.get('alpha_sweep', [0.0, 1.0, 5.0]):
            model.anchor_loss.loss_weight = float(alpha)
            sweep.append(model.loss(videos, samples, anchor_inputs=anchor)['loss_cls'])
    out['train_loss_alpha_sweep'] = torch.stack(sweep)
    return {k + suffix: v for k, v in out.items()}


def compute_outputs(model, rec: Dict[str, Any]) -> Dict[str, Any]:
    """Run our recognizer on the fixture inputs and collect outputs under the fixture's names."""
    inputs = rec['inputs']
    head = model.cls_head
    model.eval()  # dropout off, as in the fixture (its dropout_mode is 'eval')
    out: Dict[str, Any] = {}
    with torch.no_grad():
        out['class_tokens'] = head.class_tokens.clone()
        out['text_prompts_input'] = head.prompt_embeddings(head.class_tokens)
        out['cls_emb'] = head.class_features().clone()
        frames = model.backbone(_to_ours(inputs['videos']).flatten(0, 1))
        out['frame_features'] = frames.flatten(0, 1)
        out['video_features'] = frames.mean(dim=1)
        out['eval_logits'] = head.cosine(out['video_features'])
        out['logit_scale_exp'] = head.logit_scale
        out['eval_similarity'] = head.logit_scale * F.softmax(out['eval_logits'], dim=-1)
    out.update(_train_outputs(model, rec, list(rec['anchor_classnames']), ''))
    if 'anchor_classnames_multi' in rec:
        out.update(_train_outputs(model, rec, list(rec['anchor_classnames_multi']), '_multi'))
    return out


def compare(ours: Dict[str, Any], ref: Dict[str, Any]) -> Dict[str, Any]:
    """Compare outputs with the stored ones.

    Returns:
        dict: ``ok`` and, per output (gradients as ``train_grads[<official name>]``), ``max_abs``, ``limit`` and
        ``ok``; outputs missing on our side fail.
    """
    report: Dict[str, Any] = {}
    for key, expected in ref.items():
        if key not in ours:
            report[key] = dict(ok=False, error='not produced')
            continue
        if isinstance(expected, dict):  # gradients
            for name, g_ref in expected.items():
                g = ours[key].get(name)
                entry = f'{key}[{name}]'
                if g is None:
                    report[entry] = dict(ok=False, error='no gradient')
                    continue
                err = (g.float() - g_ref.float()).abs().max().item()
                limit = GRAD_RTOL * g_ref.abs().max().item()
                report[entry] = dict(max_abs=err, limit=limit, ok=err <= limit)
            continue
        got = ours[key].detach().cpu()
        if tuple(got.shape) != tuple(expected.shape):
            report[key] = dict(ok=False, error=f'shape {tuple(got.shape)} != {tuple(expected.shape)}')
        elif not expected.is_floating_point():
            mismatches = int((got != expected).sum())
            report[key] = dict(max_abs=float(mismatches), limit=0.0, ok=mismatches == 0)
        else:
            diff = (got.float() - expected.float()).abs()
            err = diff.max().item() if diff.numel() else 0.0
            if 'loss' in key:
                report[key] = dict(max_abs=err, limit=LOSS_ATOL, ok=err <= LOSS_ATOL)
            else:
                bound = ATOL + RTOL * expected.float().abs()
                report[key] = dict(max_abs=err, limit=ATOL, ok=bool((diff <= bound).all()))
    return dict(ok=all(v['ok'] for v in report.values()), errors=report)


def check_parity(path: str, emulate_fp16_prompt_grads: bool = False,
                 rec: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Load a fixture, run our recognizer and compare.

    Args:
        path (str): Fixture file (``ga2clip-official-parity/1``; plain tensors, loaded with
            :func:`~ga2clip_mmaction.utils.checkpoint.safe_torch_load`).
        emulate_fp16_prompt_grads (bool): Reproduce the released fp16 prompt-gradient rounding.
        rec (dict, optional): The fixture already loaded.

    Returns:
        dict: See :func:`compare`.
    """
    if rec is None:
        rec = safe_torch_load(path, map_location='cpu')
    if rec.get('format') != FORMAT:
        raise ValueError(f'{path}: not a parity fixture (format {rec.get("format")!r}, expected {FORMAT!r})')
    torch.manual_seed(rec['config'].get('seed', 0))
    model = build_parity_model(rec, emulate_fp16_prompt_grads)
    load_fixture_weights(model, rec)
    return compare(compute_outputs(model, rec), rec['outputs'])
