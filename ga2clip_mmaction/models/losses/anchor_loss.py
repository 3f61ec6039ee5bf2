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

The loss takes tensors only and is built by the head (``cls_head.anchor_loss``), which hands it the anchor
embeddings (from the recognizer's ``extract_feat``) and the frozen-CLIP features of the anchor prompts (cached by
:meth:`~ga2clip_mmaction.models.heads.PromptCouplingHead.frozen_text_features`). With ``official`` mode and one
anchor name the term is inert: it is refused at build (anchors off does the same training without decoding anchor
clips) unless ``allow_inert=True``, which computes it as released, bit for bit.
"""
import warnings
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from torch import nn

from ...utils.io import resolve_class_names
from ..prompt_utils import autocast_off

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
        allow_inert (bool): Compute the inert term (``official``, one name) as the released code does; without
            it such a term is refused at build (turn anchors off instead: ``cls_head.anchor_loss=None`` and no
            anchor clips, the same training). Defaults to False.
    """

    def __init__(self,
                 mode: str = 'official',
                 loss_weight: float = 1.0,
                 anchor_names: Union[str, Sequence[str]] = ('else', ),
                 template: str = 'a video of a person {}.',
                 underscore_to_space: bool = False,
                 allow_inert: bool = False,
                 skip_inert: Optional[bool] = None) -> None:
        super().__init__()
        if skip_inert is not None:
            raise ValueError('anchor_loss.skip_inert is gone: an inert anchor term is refused unless '
                             'anchor_loss.allow_inert=True (the released computation); for anchors off set '
                             'cls_head.anchor_loss=None and train without anchor clips')
        if mode not in MODES:
            raise ValueError(f'anchor_loss.mode must be one of {MODES}, got {mode!r}')
        if '{}' not in template:
            raise ValueError(f'anchor_loss.template must contain "{{}}", got {template!r}')
        self.mode = mode
        self.loss_weight = float(loss_weight)
        self.allow_inert = bool(allow_inert)
        self.anchor_names: List[str] = resolve_class_names(anchor_names)
        self.prompts = [
            template.format(n.replace('_', ' ') if underscore_to_space else n) for n in self.anchor_names
        ]
        if mode == 'kl' and len(self.anchor_names) < 2:
            raise ValueError('anchor_loss.mode="kl" needs at least 2 anchor names (a distribution over '
                             f'them), got {self.anchor_names}')
        if self.is_inert and not self.allow_inert:
            raise ValueError(f'anchor_loss: mode="official" with one anchor name ({self.anchor_names[0]!r}) adds the '
                             'same constant to every logit of a row and has zero gradient, so anchor clips would be '
                             'decoded and forwarded for nothing. Turn anchors off (cls_head.anchor_loss=None, no '
                             'anchor clips: the same training), use C anchor names or mode "kl"/"negative", or set '
                             'anchor_loss.allow_inert=True to compute it as released')
        if self.is_inert:
            warnings.warn('AnchorLoss(mode="official") with a single anchor name adds the same constant to '
                          'every logit of a row; cross-entropy is invariant to it, so the anchor term has '
                          'no effect (as in the released code). Use C anchor names, or mode "kl"/"negative".')

    @property
    def is_inert(self) -> bool:
        """Whether the term provably changes nothing (``official`` mode with one anchor name)."""
        return self.mode == 'official' and len(self.anchor_names) == 1

    @property
    def needs_frozen_video(self) -> bool:
        """Whether the loss needs anchor embeddings from the prompt-free (frozen) image tower."""
        return self.mode == 'kl'

    @property
    def needs_tuned_text(self) -> bool:
        """Whether the loss needs the anchor names encoded by the tuned text prompts."""
        return self.mode == 'kl'

    def check_broadcast(self, num_classes: int) -> None:
        """Refuse anchor counts that cannot broadcast over ``[B, C]`` in official mode."""
        n_a = len(self.anchor_names)
        if self.mode == 'official' and n_a not in (1, num_classes):
            raise ValueError(f'AnchorLoss(mode="official"): {n_a} anchor names cannot broadcast over '
                             f'{num_classes} classes; use 1 (released, no effect) or exactly {num_classes}')

    def logit_bias(self, anchor_emb: torch.Tensor, anchor_text: torch.Tensor) -> torch.Tensor:
        """The released anchor term ``alpha * cos(v_anchor, a_j)``, to add to the unscaled cosine logits.

        Args:
            anchor_emb (Tensor): ``[A, D]`` anchor video embeddings (tuned model); several anchors are averaged
                (the released code has exactly one).
            anchor_text (Tensor): ``[n_a, D]`` frozen-CLIP features of :attr:`prompts`.

        Returns:
            Tensor: float32 ``[1, n_a]``, broadcastable over ``[B, C]``.
        """
        with autocast_off(anchor_emb.device.type):
            cos = _unit(anchor_emb) @ _unit(anchor_text).t()
            return self.loss_weight * cos.mean(dim=0, keepdim=True)

    def forward(self,
                anchor_emb: torch.Tensor,
                anchor_text: torch.Tensor,
                logit_scale: torch.Tensor,
                class_features: Optional[torch.Tensor] = None,
                tuned_anchor_text: Optional[torch.Tensor] = None,
                frozen_anchor_emb: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """The ``kl`` or ``negative`` anchor loss (tensors in, tensors out; computed in float32).

        Args:
            anchor_emb (Tensor): ``[A, D]`` anchor video embeddings of the tuned model.
            anchor_text (Tensor): ``[n_a, D]`` frozen-CLIP features of :attr:`prompts`.
            logit_scale (Tensor): ``exp(logit_scale)`` of CLIP.
            class_features (Tensor, optional): ``[C, D]`` training class features (``negative``).
            tuned_anchor_text (Tensor, optional): ``[n_a, D]`` features of :attr:`anchor_names` under the tuned
                text prompts, built like the class prompts (``kl``).
            frozen_anchor_emb (Tensor, optional): ``[A, D]`` anchor embeddings of the prompt-free image tower
                (``kl``).

        Returns:
            dict[str, Tensor]: ``{'loss_anchor': weighted loss}``.
        """
        with autocast_off(anchor_emb.device.type):
            scale = logit_scale.float()
            frozen_text = _unit(anchor_text)
            v = _unit(anchor_emb)
            if self.mode == 'kl':
                if frozen_anchor_emb is None or tuned_anchor_text is None:
                    raise ValueError('AnchorLoss(mode="kl") needs frozen_anchor_emb and tuned_anchor_text')
                target = F.softmax(scale * _unit(frozen_anchor_emb) @ frozen_text.t(), dim=-1)
                log_q = F.log_softmax(scale * v @ _unit(tuned_anchor_text).t(), dim=-1)
                loss = F.kl_div(log_q, target.detach(), reduction='batchmean')
            elif self.mode == 'negative':
                if class_features is None:
                    raise ValueError('AnchorLoss(mode="negative") needs class_features')
                classes = _unit(class_features)
                logits = scale * v @ torch.cat([classes, frozen_text], dim=0).t()
                neg = logits[:, classes.shape[0]:]
                loss = (torch.logsumexp(logits, dim=-1) - torch.logsumexp(neg, dim=-1)).mean()
            else:
                raise RuntimeError('mode "official" acts through logit_bias(), not as a separate loss')
        return {'loss_anchor': self.loss_weight * loss}


def _unit(x: torch.Tensor) -> torch.Tensor:
    """L2-normalised float32 copy of ``x`` along the last axis."""
    return F.normalize(x.float(), dim=-1)
