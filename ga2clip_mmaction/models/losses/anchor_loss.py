"""Generic-attribute anchor regularisation (GA2-CLIP's GAA) in three modes.

* ``official``: the released term, reproduced exactly. The training logits become
  ``cos(v_i, t_c) + alpha * cos(v_anchor, a_j)`` broadcast over ``[B, C]`` (``a`` = frozen-CLIP features of the
  anchor prompts, ``alpha`` = ``loss_weight``). With one anchor name (the shipped ``['else']``) this adds the same
  constant to a whole row and cross-entropy ignores it: **no effect** (a warning says so). With exactly C names
  it is a per-class bias (anchor j paired with class j); other counts cannot broadcast and are refused.
* ``kl``: ``KL(p_frozen || p_tuned)`` between the anchors' similarity distributions over the anchor prompts
  (generic attributes / negatives) under frozen CLIP (prompt-free image tower, template prompts) and under the
  tuned model (prompted towers, class-style prompts). Keeps the anchors' relations in the pre-trained space.
* ``negative``: anchor clips must score the negative prompt(s) above every training class:
  ``-log sum_j softmax([s cos(v_a, t_c)]_c ++ [s cos(v_a, a_j)]_j)_j`` with the frozen features ``a_j``.

Frozen-CLIP text features are computed once (recomputed only if the text tower's weights change in place).
"""
import warnings
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from torch import nn

from ...utils.io import resolve_class_names

MODES = ('official', 'kl', 'negative')


@MODELS.register_module()
class AnchorLoss(nn.Module):
    """Anchor regulariser of GA2-CLIP.

    Args:
        mode (str): ``'official'``, ``'kl'`` or ``'negative'``. Defaults to ``'official'``.
        loss_weight (float): The fusion factor: ``alpha`` of the official logit term, or the weight of the
            ``kl``/``negative`` loss. Defaults to 1.0.
        anchor_names (str | Sequence[str]): Anchor prompt names (list or class-name file). Defaults to
            ``('else',)``, the released list.
        template (str): Frozen-CLIP prompt template. Defaults to ``'a video of a person {}.'``.
        underscore_to_space (bool): Replace ``_`` in names inside the template (the released code does not).
            Defaults to False.
    """

    def __init__(self,
                 mode: str = 'official',
                 loss_weight: float = 1.0,
                 anchor_names: Union[str, Sequence[str]] = ('else', ),
                 template: str = 'a video of a person {}.',
                 underscore_to_space: bool = False) -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f'anchor_loss.mode must be one of {MODES}, got {mode!r}')
        if '{}' not in template:
            raise ValueError(f'anchor_loss.template must contain "{{}}", got {template!r}')
        self.mode = mode
        self.loss_weight = float(loss_weight)
        self.anchor_names: List[str] = resolve_class_names(anchor_names)
        self.prompts = [
            template.format(n.replace('_', ' ') if underscore_to_space else n) for n in self.anchor_names
        ]
        if mode == 'kl' and len(self.anchor_names) < 2:
            raise ValueError('anchor_loss.mode="kl" needs at least 2 anchor names (a distribution over '
                             f'them), got {self.anchor_names}')
        if mode == 'official' and len(self.anchor_names) == 1:
            warnings.warn('AnchorLoss(mode="official") with a single anchor name adds the same constant to '
                          'every logit of a row; cross-entropy is invariant to it, so the anchor term has '
                          'no effect (as in the released code). Use C anchor names, or mode "kl"/"negative".')
        self._frozen_cache: Optional[tuple] = None

    @property
    def needs_frozen_video(self) -> bool:
        """Whether the loss needs anchor embeddings from the prompt-free (frozen) image tower."""
        return self.mode == 'kl'

    def frozen_text_features(self, head: nn.Module) -> torch.Tensor:
        """Frozen-CLIP text features of the anchor prompts ``[n_a, D]``, computed once.

        Args:
            head (nn.Module): The text head (its ``text`` tower is used without prompts).

        Returns:
            Tensor: Not normalised, no grad.
        """
        params = list(head.text.parameters())
        key = tuple((id(p), p._version, p.device) for p in params)
        if self._frozen_cache is None or self._frozen_cache[0] != key:
            with torch.no_grad():
                feats = head.text.encode_text(self.prompts)
            self._frozen_cache = (key, feats)
        return self._frozen_cache[1]

    def check_broadcast(self, num_classes: int) -> None:
        """Refuse anchor counts that cannot broadcast over ``[B, C]`` in official mode."""
        n_a = len(self.anchor_names)
        if self.mode == 'official' and n_a not in (1, num_classes):
            raise ValueError(f'AnchorLoss(mode="official"): {n_a} anchor names cannot broadcast over '
                             f'{num_classes} classes; use 1 (released, no effect) or exactly {num_classes}')

    def logit_bias(self, anchor_emb: torch.Tensor, head: nn.Module) -> torch.Tensor:
        """The released anchor term ``alpha * cos(v_anchor, a_j)``, to add to the unscaled cosine logits.

        Args:
            anchor_emb (Tensor): ``[A, D]`` anchor video embeddings (tuned model); several anchors are averaged
                (the released code has exactly one).
            head (nn.Module): The text head.

        Returns:
            Tensor: ``[1, n_a]``, broadcastable over ``[B, C]``.
        """
        self.check_broadcast(head.num_classes)
        anchors = F.normalize(self.frozen_text_features(head), dim=-1).to(anchor_emb.dtype)
        cos = F.normalize(anchor_emb, dim=-1) @ anchors.t()
        return self.loss_weight * cos.mean(dim=0, keepdim=True)

    def forward(self,
                anchor_emb: torch.Tensor,
                head: nn.Module,
                class_features: Optional[torch.Tensor] = None,
                frozen_anchor_emb: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """The ``kl`` or ``negative`` anchor loss.

        Args:
            anchor_emb (Tensor): ``[A, D]`` anchor video embeddings of the tuned model.
            head (nn.Module): The text head (tuned prompts and frozen tower).
            class_features (Tensor, optional): ``[C, D]`` training class features (``negative``); computed by
                the head when omitted.
            frozen_anchor_emb (Tensor, optional): ``[A, D]`` anchor embeddings of the prompt-free image tower
                (``kl``).

        Returns:
            dict[str, Tensor]: ``{'loss_anchor': weighted loss}``.
        """
        scale = head.logit_scale
        frozen_text = F.normalize(self.frozen_text_features(head), dim=-1).to(anchor_emb.dtype)
        v = F.normalize(anchor_emb, dim=-1)
        if self.mode == 'kl':
            if frozen_anchor_emb is None:
                raise ValueError('AnchorLoss(mode="kl") needs frozen_anchor_emb')
            target = F.softmax(scale * F.normalize(frozen_anchor_emb, dim=-1) @ frozen_text.t(), dim=-1)
            tuned_text = F.normalize(head.encode_prompted(self.anchor_names), dim=-1).to(v.dtype)
            log_q = F.log_softmax(scale * v @ tuned_text.t(), dim=-1)
            loss = F.kl_div(log_q, target.detach(), reduction='batchmean')
        elif self.mode == 'negative':
            if class_features is None:
                class_features = head.class_features()
            classes = F.normalize(class_features, dim=-1).to(v.dtype)
            logits = scale * v @ torch.cat([classes, frozen_text], dim=0).t()
            neg = logits[:, classes.shape[0]:]
            loss = (torch.logsumexp(logits, dim=-1) - torch.logsumexp(neg, dim=-1)).mean()
        else:
            raise RuntimeError('mode "official" acts through logit_bias(), not as a separate loss')
        return {'loss_anchor': self.loss_weight * loss}
