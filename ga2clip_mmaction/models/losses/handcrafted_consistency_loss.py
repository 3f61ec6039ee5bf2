"""Hand-crafted prompt consistency (ViLT-CLIP's part (3), our design).

The tuned class text features (those the logits use, training classes) are pulled towards the frozen CLIP text
features of a hand-crafted prompt, ``template.format(name)`` (default ``'a video of a person doing {}.'``, the
prompt ViLT-CLIP's abstract names):

* ``cos``: ``mean_c (1 - cos(t_c, f_c))``;
* ``l2``: ``mean_c ||t_c / |t_c| - f_c / |f_c| ||^2`` (the squared distance of the L2-normalised features,
  ``= 2 (1 - cos)``; KgCoOp's form).

The result is multiplied by ``loss_weight``. Everything is computed in float32, also under autocast. The loss
takes tensors only: the frozen features are the head's
(:meth:`~ga2clip_mmaction.models.heads.PromptCouplingHead.frozen_text_features` of :meth:`prompts`, encoded once
without gradients, autocast off, and cached until the class names or a text-tower weight change), which
:class:`~ga2clip_mmaction.models.recognizers.ViLTCLIPRecognizer` passes in. See docs/vilt_clip.md.
"""
from typing import List, Sequence

import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from torch import nn

from ..prompt_utils import autocast_off

MODES = ('cos', 'l2')


@MODELS.register_module()
class HandcraftedConsistencyLoss(nn.Module):
    """Consistency between the tuned class text features and frozen CLIP features of a hand-crafted prompt.

    Args:
        mode (str): ``'cos'`` or ``'l2'``. Defaults to ``'l2'``.
        loss_weight (float): Weight (>= 0). Defaults to 8.0 (KgCoOp's weight of the same ``l2`` term; the
            ViLT-CLIP abstract gives none, see docs/vilt_clip.md).
        template (str): Hand-crafted prompt with one ``{}`` for the class name. Defaults to
            ``'a video of a person doing {}.'``.
        underscore_to_space (bool): Write ``_`` in names as spaces, as the tuned class prompts do.
            Defaults to True.
    """

    def __init__(self,
                 mode: str = 'l2',
                 loss_weight: float = 8.0,
                 template: str = 'a video of a person doing {}.',
                 underscore_to_space: bool = True) -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f'consistency_loss.mode must be one of {MODES}, got {mode!r}')
        if isinstance(loss_weight, bool) or not isinstance(loss_weight, (int, float)) or not loss_weight >= 0:
            raise ValueError(f'consistency_loss.loss_weight must be a number >= 0, got {loss_weight!r}')
        if not isinstance(template, str) or template.count('{}') != 1:
            raise ValueError(f'consistency_loss.template must contain "{{}}" once, got {template!r}')
        self.mode = mode
        self.loss_weight = float(loss_weight)
        self.template = template
        self.underscore_to_space = bool(underscore_to_space)

    def prompts(self, classnames: Sequence[str]) -> List[str]:
        """Hand-crafted prompt strings of the classes."""
        return [self.template.format(n.replace('_', ' ') if self.underscore_to_space else n) for n in classnames]

    def forward(self, tuned: torch.Tensor, frozen: torch.Tensor) -> torch.Tensor:
        """The weighted loss.

        Args:
            tuned (Tensor): ``[C, D]`` tuned class features (any float dtype; gradients flow).
            frozen (Tensor): ``[C, D]`` frozen hand-crafted features.

        Returns:
            Tensor: float32 scalar.
        """
        if tuned.shape != frozen.shape:
            raise ValueError(f'HandcraftedConsistencyLoss: tuned features {tuple(tuned.shape)} and frozen '
                             f'features {tuple(frozen.shape)} differ in shape')
        with autocast_off(tuned.device.type):
            t = F.normalize(tuned.float(), dim=-1)
            f = F.normalize(frozen.float().to(t.device), dim=-1)
            if self.mode == 'cos':
                loss = (1.0 - (t * f).sum(dim=-1)).mean()
            else:
                loss = (t - f).pow(2).sum(dim=-1).mean()
        return self.loss_weight * loss
