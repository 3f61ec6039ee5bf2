"""Inter-modal prompt mapping (ViLT-CLIP's part (2), our design): text prompts -> offsets of the vision prompts.

For every shared prompted layer ``l`` (``l < min(language_depth, vision_depth)``) a learnable linear projection
``W_l: text width -> vision width`` maps that layer's *soft* text prompt tokens (layer 0: the learnable context
``TextPromptLearner.ctx``, taken before any GA2 coupling with the hard prompt; layer ``l >= 1``: the deep prompt
``deep_ctx[l-1]``) to an offset that is **added** to the vision prompt of layer ``l``. The vision prompts stay
independent parameters (ViLT-CLIP's "independent" prompts); the mapping only couples them to the text side.
Weights and biases start at zero, so at initialisation the model is exactly IVLP. See docs/vilt_clip.md.

The mapping takes tensors only; :func:`text_layer_prompts` reads them from a prompt learner and
:func:`build_prompt_mapping` fills the sizes from a backbone and head (what :class:`ViLTCLIPRecognizer` does).
"""
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from torch import nn


def text_layer_prompts(learner: nn.Module) -> List[torch.Tensor]:
    """The soft text prompt tokens of each prompted layer of a :class:`TextPromptLearner`.

    Args:
        learner (TextPromptLearner): The head's prompt learner.

    Returns:
        list[Tensor]: ``[ctx] + deep_prompts`` (``[n_ctx, text_width]`` each); layer 0 is the soft context
        before coupling (its token count is ``language_ctx`` for every coupling variant).
    """
    return [learner.ctx] + list(learner.deep_prompts())


@MODELS.register_module()
class InterModalPromptMapping(nn.Module):
    """Per-layer linear maps from text prompts to additive offsets of the vision prompts.

    Args:
        text_width (int): Width of the text prompt tokens (text transformer width).
        vision_width (int): Width of the vision prompt tokens (image transformer width).
        num_layers (int): Number of mapped layers ``0 .. num_layers-1``.
        text_ctx (int): Text prompt tokens per layer (``cls_head.language_ctx``).
        vision_ctx (int): Vision prompt tokens per layer (``backbone.vision_ctx``); must equal ``text_ctx``
            (token ``i`` of the text prompt maps to token ``i`` of the vision prompt).

    Parameters:
        - ``weight`` ``[num_layers, vision_width, text_width]`` and ``bias`` ``[num_layers, vision_width]``,
          zero-initialised (no random numbers are drawn, so building the mapping leaves the RNG untouched).
    """

    def __init__(self, text_width: int, vision_width: int, num_layers: int, text_ctx: int,
                 vision_ctx: int) -> None:
        super().__init__()
        if text_ctx != vision_ctx:
            raise ValueError(
                f'prompt_mapping maps text prompt token i to vision prompt token i, so '
                f'cls_head.language_ctx ({text_ctx}) must equal backbone.vision_ctx ({vision_ctx})')
        if num_layers < 1:
            raise ValueError(f'prompt_mapping.num_layers must be >= 1, got {num_layers}')
        self.num_layers = int(num_layers)
        self.num_tokens = int(text_ctx)
        self.weight = nn.Parameter(torch.zeros(num_layers, vision_width, text_width))
        self.bias = nn.Parameter(torch.zeros(num_layers, vision_width))

    def forward(self, text_prompts: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        """Offsets of the vision prompts.

        Args:
            text_prompts (Sequence[Tensor]): Soft text prompts per layer (``[n, text_width]``); at least
                ``num_layers`` of them (extra deeper layers are not mapped).

        Returns:
            list[Tensor]: ``num_layers`` offsets ``[n, vision_width]`` (layer ``l`` for vision layer ``l``).
        """
        if len(text_prompts) < self.num_layers:
            raise ValueError(f'InterModalPromptMapping maps {self.num_layers} layers but got '
                             f'{len(text_prompts)} text prompts')
        return [F.linear(p, self.weight[i].to(p.dtype), self.bias[i].to(p.dtype))
                for i, p in enumerate(text_prompts[:self.num_layers])]


def build_prompt_mapping(cfg: Dict, backbone: nn.Module, head: nn.Module) -> nn.Module:
    """Build ``model.prompt_mapping`` with its sizes taken from the backbone and the head.

    ``text_width``, ``vision_width``, ``text_ctx`` and ``vision_ctx`` are filled in; ``num_layers`` defaults
    to the shared prompted depth ``min(language_depth, vision_depth)`` and may not exceed it.

    Args:
        cfg (dict): MODELS config (e.g. ``dict(type='InterModalPromptMapping')``).
        backbone (nn.Module): A backbone with per-layer prompt offsets (``supports_prompt_offsets``, e.g.
            :class:`PromptedCLIPVision`).
        head (nn.Module): A head with a ``prompt_learner`` (:class:`PromptCouplingHead`).

    Returns:
        nn.Module: The mapping.

    Raises:
        TypeError: The backbone or the head lacks the prompt interfaces.
        ValueError: ``num_layers`` too large, or no prompts on one side.
    """
    if not getattr(backbone, 'supports_prompt_offsets', False):
        raise TypeError(f'model.prompt_mapping needs a backbone with per-layer prompt offsets '
                        f'(PromptedCLIPVision); {type(backbone).__name__} has none')
    learner = getattr(head, 'prompt_learner', None)
    if learner is None:
        raise TypeError(f'model.prompt_mapping needs a head with a prompt_learner (PromptCouplingHead); '
                        f'{type(head).__name__} has none')
    text_depth = 1 + len(learner.deep_ctx)
    vision_depth = backbone.vision_depth
    if vision_depth < 1:
        raise ValueError('model.prompt_mapping needs vision prompts (backbone.vision_ctx > 0 and '
                         'backbone.vision_depth > 0)')
    shared = min(text_depth, vision_depth)
    cfg = dict(cfg)
    layers: Optional[int] = cfg.pop('num_layers', None)
    if layers is not None and not 1 <= layers <= shared:
        raise ValueError(f'model.prompt_mapping.num_layers must be in [1, {shared}] (min of '
                         f'cls_head.language_depth={text_depth} and backbone.vision_depth={vision_depth}), '
                         f'got {layers}')
    cfg.update(text_width=learner.ctx.shape[-1], vision_width=backbone.prompt.shape[-1],
               num_layers=layers or shared, text_ctx=learner.n_ctx, vision_ctx=backbone.vision_ctx)
    return MODELS.build(cfg)
