"""Map the released GA2-CLIP parameter names (and its CLIP weights) onto this package's recognizer.

Official trainable parameters (all contain ``VPT``) and their names here:

==========================================================  =====================================================
official                                                    ours
==========================================================  =====================================================
``prompt_learner.ctx_VPT``                                  ``cls_head.prompt_learner.ctx``
``prompt_learner.proj_b2n_VPT.0.{weight,bias}``             ``cls_head.prompt_learner.coupling.mlp.0.{weight,bias}``
``image_encoder.VPT``                                       ``backbone.prompt``
``image_encoder.transformer.resblocks.{i}.VPT_shallow``     ``backbone.deep_prompts.{i-1}``
``text_encoder.transformer.resblocks.{i}.VPT_shallow``      ``cls_head.prompt_learner.deep_ctx.{i-1}``
hard prompt (``prompt_learner.ctx_txt_vpt``, not saved)     ``cls_head.prompt_learner.hard_prompt``
CLIP ``visual.*``                                           ``backbone.visual.*``
CLIP text keys (``token_embedding.*``, ``transformer.*``,   ``cls_head.text.*``
``ln_final.*``, ``positional_embedding``, ``text_projection``,
``logit_scale``)
==========================================================  =====================================================
"""
import re
from typing import Dict, List, Optional, Tuple

import torch

_RULES: List[Tuple[str, str]] = [
    (r'^prompt_learner\.ctx_VPT$', 'cls_head.prompt_learner.ctx'),
    (r'^prompt_learner\.proj_b2n_VPT\.0\.(weight|bias)$', r'cls_head.prompt_learner.coupling.mlp.0.\1'),
    (r'^image_encoder\.VPT$', 'backbone.prompt'),
]
_DEEP_RULES: List[Tuple[str, str]] = [
    (r'^image_encoder\.transformer\.resblocks\.(\d+)\.VPT_shallow$', 'backbone.deep_prompts.{}'),
    (r'^text_encoder\.transformer\.resblocks\.(\d+)\.VPT_shallow$', 'cls_head.prompt_learner.deep_ctx.{}'),
]


def official_to_ours_name(name: str) -> str:
    """Our parameter name for an official GA2-CLIP parameter name.

    Args:
        name (str): Official name (a ``module.`` prefix is ignored).

    Returns:
        str: Our name.

    Raises:
        KeyError: The name is not a known GA2-CLIP parameter.
    """
    name = name[len('module.'):] if name.startswith('module.') else name
    for pattern, repl in _RULES:
        if re.match(pattern, name):
            return re.sub(pattern, repl, name)
    for pattern, template in _DEEP_RULES:
        match = re.match(pattern, name)
        if match:
            layer = int(match.group(1))
            if layer < 1:
                raise KeyError(f'{name}: deep prompts start at block 1')
            return template.format(layer - 1)
    raise KeyError(f'Unknown official GA2-CLIP parameter {name!r}')


def clip_to_ours_name(name: str) -> str:
    """Our name of a CLIP (OpenAI/open_clip format) weight."""
    return f'backbone.{name}' if name.startswith('visual.') else f'cls_head.text.{name}'


def convert_official_state_dict(official: Dict[str, torch.Tensor],
                                clip_state_dict: Optional[Dict[str, torch.Tensor]] = None,
                                hard_prompt: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
    """Convert released GA2-CLIP weights (+ CLIP weights + hard prompt) to our state-dict names.

    Args:
        official (dict[str, Tensor]): Official state dict; keys containing ``VPT`` are converted, other keys
            (e.g. a frozen copy of CLIP inside a full-model dump) are ignored.
        clip_state_dict (dict[str, Tensor], optional): The CLIP weights the model was trained from.
        hard_prompt (Tensor, optional): ``[n_ctx, w]`` hard prompt.

    Returns:
        dict[str, Tensor]: Our state dict (float32).
    """
    ours: Dict[str, torch.Tensor] = {}
    for name, value in official.items():
        if 'VPT' in name:
            ours[official_to_ours_name(name)] = value.float()
    if clip_state_dict is not None:
        for name, value in clip_state_dict.items():
            if name not in ('input_resolution', 'context_length', 'vocab_size'):
                ours[clip_to_ours_name(name)] = value.float()
    if hard_prompt is not None:
        ours['cls_head.prompt_learner.hard_prompt'] = hard_prompt.float()
    return ours
