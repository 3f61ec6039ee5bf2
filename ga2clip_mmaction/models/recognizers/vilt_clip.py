"""ViLT-CLIP recognizer (our design from its abstract, docs/vilt_clip.md): GA2-CLIP's recognizer with an
inter-modal prompt mapping (the hand-crafted-prompt consistency loss is the head's ``consistency_loss``)."""
from typing import Dict, List, Optional

import torch
from mmaction.registry import MODELS

from ..mappings import build_prompt_mapping, text_layer_prompts
from .ga2clip import GA2CLIPRecognizer


@MODELS.register_module()
class ViLTCLIPRecognizer(GA2CLIPRecognizer):
    """:class:`GA2CLIPRecognizer` plus ViLT-CLIP's part (2), through its extension point.

    Without a mapping it is :class:`GA2CLIPRecognizer`; ViLT-CLIP's part (1), independent prompts, is the IVLP
    setting of the head and the backbone (``cls_head.coupling='none'``, no hard prompt, no anchor term), and its
    part (3) is the head's ``consistency_loss`` (:class:`HandcraftedConsistencyLoss`).

    Args:
        prompt_mapping (dict, optional): Inter-modal prompt mapping (:class:`InterModalPromptMapping`): offsets
            computed from the head's soft text prompts once per forward (:meth:`prompt_offsets`) and added to
            the backbone's vision prompts. Defaults to None (independent prompts).
        **kwargs: The arguments of :class:`GA2CLIPRecognizer`.
    """

    def __init__(self, prompt_mapping: Optional[Dict] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.prompt_mapping = build_prompt_mapping(prompt_mapping, self.backbone, self.cls_head) \
            if prompt_mapping is not None else None

    def prompt_offsets(self) -> Optional[List[torch.Tensor]]:
        """Per-layer vision-prompt offsets of the inter-modal prompt mapping (None without one)."""
        if self.prompt_mapping is None:
            return None
        return self.prompt_mapping(text_layer_prompts(self.cls_head.prompt_learner))
