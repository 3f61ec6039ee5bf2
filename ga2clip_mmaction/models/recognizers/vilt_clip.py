"""ViLT-CLIP recognizer (our design from its abstract, docs/vilt_clip.md): GA2-CLIP's recognizer with an
inter-modal prompt mapping and a hand-crafted-prompt consistency loss."""
from typing import Dict, List, Optional

import torch
from mmaction.registry import MODELS

from ..mappings import build_prompt_mapping, text_layer_prompts
from ..prompt_utils import autocast_off
from .ga2clip import GA2CLIPRecognizer


@MODELS.register_module()
class ViLTCLIPRecognizer(GA2CLIPRecognizer):
    """:class:`GA2CLIPRecognizer` plus ViLT-CLIP's parts (2) and (3), through its two extension points.

    With neither part it is :class:`GA2CLIPRecognizer`; ViLT-CLIP's part (1), independent prompts, is the IVLP
    setting of the head and the backbone (``cls_head.coupling='none'``, no hard prompt, ``anchor_loss=None``).

    Args:
        prompt_mapping (dict, optional): Inter-modal prompt mapping (:class:`InterModalPromptMapping`): offsets
            computed from the head's soft text prompts once per forward (:meth:`prompt_offsets`) and added to
            the backbone's vision prompts. Defaults to None (independent prompts).
        consistency_loss (dict, optional): :class:`HandcraftedConsistencyLoss` config, logged as
            ``loss_consistency`` (:meth:`extra_losses`). Defaults to None.
        **kwargs: The arguments of :class:`GA2CLIPRecognizer`.
    """

    def __init__(self, prompt_mapping: Optional[Dict] = None, consistency_loss: Optional[Dict] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.prompt_mapping = build_prompt_mapping(prompt_mapping, self.backbone, self.cls_head) \
            if prompt_mapping is not None else None
        self.consistency_loss = MODELS.build(consistency_loss) if consistency_loss is not None else None

    def prompt_offsets(self) -> Optional[List[torch.Tensor]]:
        """Per-layer vision-prompt offsets of the inter-modal prompt mapping (None without one)."""
        if self.prompt_mapping is None:
            return None
        return self.prompt_mapping(text_layer_prompts(self.cls_head.prompt_learner))

    def handcrafted_features(self) -> torch.Tensor:
        """Frozen CLIP text features ``[C, D]`` (float32, autocast off) of the hand-crafted prompts of the
        head's current classes: the head's cached
        :meth:`~ga2clip_mmaction.models.heads.PromptCouplingHead.frozen_text_features`, which the anchor
        prompts share."""
        head = self.cls_head
        with autocast_off(head.class_tokens.device.type):
            return head.frozen_text_features(self.consistency_loss.prompts(head.classnames))

    def extra_losses(self, text_feats: torch.Tensor) -> Dict[str, torch.Tensor]:
        """``loss_consistency`` between the step's class features and :meth:`handcrafted_features`.

        Args:
            text_feats (Tensor): ``[C, D]`` the class features the step's logits use.

        Returns:
            dict[str, Tensor]: ``loss_consistency`` with a ``consistency_loss``, else nothing.
        """
        if self.consistency_loss is None:
            return {}
        return dict(loss_consistency=self.consistency_loss(text_feats, self.handcrafted_features()))
