"""Prompt-coupling text head: class names -> coupled prompts -> CLIP text features -> cosine logits -> losses."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmaction.models.heads import BaseHead
from mmaction.registry import MODELS
from mmaction.utils import SampleList
from open_clip.model import CLIP

from ...utils.io import resolve_class_names
from ...utils.randomness import STREAM_SHARED_TEXT, derive_seed
from ...utils.tensor_cache import TensorCache
from ..clip_text import CLIPTextTower
from ..clip_weights import build_clip
from ..prompt_utils import autocast_off
from .text_prompt_learner import TextPromptLearner
from .text_sharding import sharded_encode, sharding_active


@MODELS.register_module()
class PromptCouplingHead(BaseHead):
    """GA2-CLIP text head (IVLP deep text prompts + hard-prompt coupling).

    Each class prompt is ``"X X ... X <name>."`` (one ``X`` per context token, ``_`` in names turned into
    spaces). The ``X`` embeddings are replaced by the coupled layer-0 context and, at the input of blocks
    ``1 .. language_depth-1``, by that block's prompts. Class features are the EOT token projected; logits are
    ``exp(logit_scale) * cos(video, class)``. CLIP's text weights (``self.text``) are frozen.

    The head owns the training step's text side and every loss (MMAction2's contract: the recognizer calls
    ``cls_head.loss(feats, data_samples, **loss_kwargs)`` and ``cls_head.predict(feats, data_samples,
    **predict_kwargs)``): the class features, the cosine, the logit scale, ``loss_cls``, the anchor term
    (``anchor_loss``, built like ``loss_cls``) and ViLT-CLIP's consistency term (``consistency_loss``). Stock
    recognizers (``Recognizer3D``...) use the same :meth:`loss` and :meth:`predict`.

    In evaluation (grad disabled) the class features are cached (in float32) and recomputed only when the class
    names, any prompt parameter/buffer, a trainable text weight or the autocast state changes (the rule of
    :mod:`~ga2clip_mmaction.utils.tensor_cache`); the caches are also dropped explicitly on ``load_state_dict``,
    on every ``train()``/``eval()`` call (MMEngine's loops call ``eval()`` after ``EMAHook`` swaps in the
    averaged parameters with ``.data.copy_``, which bumps no version counter) and by :meth:`invalidate_cache`.
    Repeated test batches run the text tower once. Cosine logits are computed in float32 also under autocast
    (``100 * cos`` in bf16 is quantised to ~0.2).

    The head counts its training steps itself: the buffer ``shared_text_step`` (int64, in the state dict, so the
    checkpoint carries it) is the number of :meth:`loss` calls made in training mode, on every rank alike. A step
    whose class prompts are sharded across ranks draws their coupling dropout from ``(shared_text_seed, step)``
    (:meth:`shared_text_step_seed`, equal on every rank), so a resumed run draws the uninterrupted run's masks.
    A checkpoint without the buffer (written before it existed) loads with the count at 0: after a resume from
    one, only the dropout masks of sharded multi-rank steps differ from the uninterrupted run's.

    Args:
        classnames (str | Sequence[str]): Class names, or a class-name file (``id,name`` csv or one per line).
        clip (dict | CLIP): ``dict(arch=..., weights=...)`` for
            :func:`~ga2clip_mmaction.models.clip_weights.build_clip`, or a CLIP model already built (the recognizer
            builds one CLIP for backbone and head and hands it to both); only its text tower is kept.
        language_ctx (int): Context tokens per layer. Defaults to 16.
        language_depth (int): Blocks ``0 .. language_depth-1`` get prompts. Defaults to 9.
        coupling (str): ``'concat_mlp'`` (released), ``'add'``, ``'seq_concat'`` or ``'none'`` (IVLP).
            Defaults to ``'concat_mlp'``.
        coupling_dropout (float): Dropout of ``concat_mlp``. Defaults to 0.5.
        hard_prompt (str, optional): Hard-prompt file (``{'hard_prompt': Tensor[n, w]}``). Defaults to None.
        prompt_init_std (float): Std of the prompt init. Defaults to 0.02.
        grad_checkpointing (bool): Checkpoint text blocks in training. Defaults to False.
        emulate_fp16_prompt_grads (bool): Released fp16 round trip on deep prompts (parity). Defaults to False.
        shard_text_across_ranks (bool): In a distributed (DDP) training step, each rank encodes about C/W of
            the class prompts and the features are all-gathered with autograd (same loss and gradients as
            unsharded, see :mod:`.text_sharding`); no effect in one process or without gradients.
            Defaults to True.
        shared_text_seed (int): Seed of the sharded text encoding's random draws: step ``n`` uses
            ``derive_seed(STREAM_SHARED_TEXT, shared_text_seed, n)`` on every rank (:meth:`shared_text_step_seed`).
            The rank's own draws (``ResumableRandomnessHook``) follow the runner's seed instead. Defaults to 0.
        loss_cls (dict): Classification loss. Defaults to ``dict(type='CrossEntropyLoss')``.
        anchor_loss (dict, optional): :class:`~ga2clip_mmaction.models.losses.AnchorLoss` config; needs anchor
            clips in training batches (``anchor_feats`` in :meth:`loss`: ``AnchorSetDataset`` +
            ``AnchorBatchSampler``). Defaults to None (no anchor term, anchors off).
        consistency_loss (dict, optional): :class:`~ga2clip_mmaction.models.losses.HandcraftedConsistencyLoss`
            config (ViLT-CLIP), logged as ``loss_consistency``. Defaults to None.
        topk (tuple[int]): Top-k accuracies logged in training. Defaults to ``(1, 5)``.
        init_cfg (dict, optional): MMEngine init config. Defaults to None.

    Shapes:
        - Input: video embeddings ``[N, D]``.
        - Output: logits ``[N, C]`` (scaled cosine similarities).
    """

    def __init__(self,
                 classnames: Union[str, Sequence[str]],
                 clip: Union[Dict, CLIP],
                 language_ctx: int = 16,
                 language_depth: int = 9,
                 coupling: str = 'concat_mlp',
                 coupling_dropout: float = 0.5,
                 hard_prompt: Optional[str] = None,
                 prompt_init_std: float = 0.02,
                 grad_checkpointing: bool = False,
                 emulate_fp16_prompt_grads: bool = False,
                 shard_text_across_ranks: bool = True,
                 shared_text_seed: int = 0,
                 loss_cls: Dict = dict(type='CrossEntropyLoss'),
                 anchor_loss: Optional[Dict] = None,
                 consistency_loss: Optional[Dict] = None,
                 topk: Tuple[int, ...] = (1, 5),
                 init_cfg: Optional[Dict] = None) -> None:
        names = resolve_class_names(classnames, key='cls_head.classnames')
        model = clip if isinstance(clip, CLIP) else build_clip(**clip)
        arch = getattr(clip, 'get', dict().get)('arch')
        text = CLIPTextTower(model, tokenizer=arch if isinstance(arch, str) else None)
        num_layers = len(text.transformer.resblocks)
        if language_depth > num_layers:
            raise ValueError(f'cls_head.language_depth={language_depth} exceeds the {num_layers} '
                             f'text layers of the CLIP model')
        super().__init__(num_classes=len(names), in_channels=text.text_projection.shape[-1],
                         loss_cls=loss_cls, topk=tuple(k for k in topk if k <= len(names)) or (1, ),
                         init_cfg=init_cfg)
        self.text = text
        self.prompt_learner = TextPromptLearner(
            language_ctx, language_depth, text.width, coupling=coupling,
            coupling_dropout=coupling_dropout, hard_prompt=hard_prompt, init_std=prompt_init_std)
        self.grad_checkpointing = grad_checkpointing
        self.emulate_fp16_prompt_grads = emulate_fp16_prompt_grads
        self.shard_text_across_ranks = shard_text_across_ranks
        self.shared_text_seed = int(shared_text_seed)
        # training loss calls so far (see the class docstring); persistent: resumed runs continue the count
        self.register_buffer('shared_text_step', torch.zeros((), dtype=torch.long), persistent=True)
        self.register_load_state_dict_pre_hook(_count_steps_from_zero_without_a_count)
        self.placeholder = ' '.join(['X'] * self.prompt_learner.num_tokens)
        self._cache = TensorCache()  # class features (eval)
        self._frozen_cache = TensorCache(max_entries=4)  # frozen features: anchor and hand-crafted prompts
        self._token_cache = TensorCache()  # tokens of encode_prompted's names
        self.set_class_names(names)
        self.anchor_loss = MODELS.build(anchor_loss) if anchor_loss is not None else None
        if self.anchor_loss is not None:
            self.anchor_loss.check_broadcast(self.num_classes)
        self.consistency_loss = MODELS.build(consistency_loss) if consistency_loss is not None else None
        self.register_load_state_dict_post_hook(lambda module, incompatible: module.invalidate_cache())

    def init_weights(self) -> None:
        """Keep CLIP weights and the N(0, std) prompt init."""

    def invalidate_cache(self) -> None:
        """Drop the cached class and frozen-prompt text features (recomputed on next use)."""
        self._cache.clear()
        self._frozen_cache.clear()

    def train(self, mode: bool = True) -> 'PromptCouplingHead':
        """Switch train/eval mode and drop the feature caches (see the class docstring)."""
        self.invalidate_cache()
        return super().train(mode)

    # ------------------------------------------------------------------ class names and prompts
    def class_prompt(self, name: str) -> str:
        """The prompt string of one class: ``"X X ... X <name with spaces>."``."""
        return f'{self.placeholder} {name.replace("_", " ")}.'

    def set_class_names(self, classnames: Union[str, Sequence[str]]) -> None:
        """Switch the class list (e.g. base -> base+novel at test time); no retraining needed.

        Args:
            classnames (str | Sequence[str]): Names or a class-name file.
        """
        self.classnames: List[str] = resolve_class_names(classnames)
        self.num_classes = len(self.classnames)
        tokens = self.text.tokenize([self.class_prompt(n) for n in self.classnames])
        self.register_buffer('class_tokens', tokens, persistent=False)
        self._cache.clear()

    # ------------------------------------------------------------------ text features
    def prompt_embeddings(self, tokens: torch.Tensor) -> torch.Tensor:
        """Text-tower input of tokenized class prompts, before the positional embedding.

        Position 0 is the SOT embedding, positions ``1 .. num_tokens`` the coupled layer-0 context, the rest
        the token embeddings.

        Args:
            tokens (Tensor): ``[N, L]`` tokens of ``"X ... X <name>."`` prompts.

        Returns:
            Tensor: ``[N, L, w]``.
        """
        emb = self.text.embed(tokens)
        ctx = self.prompt_learner.context().to(emb.dtype)
        n = ctx.shape[0]
        return torch.cat([emb[:, :1], ctx.unsqueeze(0).expand(emb.shape[0], -1, -1), emb[:, 1 + n:]], 1)

    def encode_prompted_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        """Text features of tokenized class prompts under the tuned prompts.

        Args:
            tokens (Tensor): ``[N, L]`` tokens of ``"X ... X <name>."`` prompts.

        Returns:
            Tensor: ``[N, D]`` features, not normalised.
        """
        learner = self.prompt_learner
        return self.text.encode(
            self.prompt_embeddings(tokens), tokens, deep_prompts=learner.deep_prompts(),
            prompt_start=learner.deep_start,
            grad_checkpointing=self.grad_checkpointing and self.training,
            emulate_fp16_prompt_grads=self.emulate_fp16_prompt_grads)

    def encode_prompted(self, names: Sequence[str]) -> torch.Tensor:
        """Text features of arbitrary names built into prompts like the classes (tuned model).

        The tokens of a name list are computed once (the kl/negative anchor term asks every step; tokenising in
        the step would also break a ``torch.compile`` graph).
        """
        device = self.class_tokens.device
        tokens = self._token_cache.get((tuple(names), device), (), lambda: self.text.tokenize(
            [self.class_prompt(n) for n in names]).to(device))
        return self.encode_prompted_tokens(tokens)

    def _autocast_state(self) -> tuple:
        """Whether autocast is on for the head's device, and its dtype (part of the text-feature cache keys)."""
        device = self.class_tokens.device.type
        return (True, torch.get_autocast_dtype(device)) if torch.is_autocast_enabled(device) else (False, )

    def class_features(self, shard: bool = False) -> torch.Tensor:
        """Class text features ``[C, D]`` (not normalised); cached while gradients are disabled.

        Args:
            shard (bool): Encode this rank's share of the classes and all-gather them (a collective: every rank
                must make the same call). Only the training loss path passes True, and only with gradients and
                ``shard_text_across_ranks``; a call from anywhere else encodes all classes locally.
                Defaults to False.
        """
        if torch.is_grad_enabled():
            self._cache.clear()
            if shard and self.shard_text_across_ranks and sharding_active(self.num_classes):
                return sharded_encode(self.encode_prompted_tokens, self.class_tokens, self.shared_text_step_seed())
            return self.encode_prompted_tokens(self.class_tokens)
        tensors = [self.class_tokens] + list(self.prompt_learner.parameters()) + \
            list(self.prompt_learner.buffers()) + [p for p in self.text.parameters() if p.requires_grad]
        return self._cache.get((self.training, self._autocast_state()), tensors,
                               lambda: self.encode_prompted_tokens(self.class_tokens).float())

    def shared_text_step_seed(self) -> int:
        """The seed of this step's sharded class-prompt encoding, equal on every rank.

        Reads the step count (one scalar copied to the host, on CUDA a sync; only sharded steps ask for it).

        Returns:
            int: ``derive_seed(STREAM_SHARED_TEXT, shared_text_seed, shared_text_step)``.
        """
        return derive_seed(STREAM_SHARED_TEXT, self.shared_text_seed, int(self.shared_text_step))

    def frozen_text_features(self, prompts: Sequence[str]) -> torch.Tensor:
        """Plain (prompt-free) CLIP text features ``[len(prompts), D]`` of prompt strings, no grad, cached.

        The one place frozen text features are computed: the anchor prompts (:class:`AnchorLoss`) and
        ViLT-CLIP's hand-crafted class prompts share it. Cached per prompt list and autocast state; recomputed
        only if a text-tower weight changes (``freeze`` policies that train the text tower) or the cache is
        invalidated.

        Args:
            prompts (Sequence[str]): Full prompt strings (e.g. ``'a video of a person else.'``).

        Returns:
            Tensor: float32, not normalised.
        """
        def encode() -> torch.Tensor:
            with torch.no_grad():
                return self.text.encode_text(list(prompts)).float()

        return self._frozen_cache.get((tuple(prompts), self._autocast_state()), self.text.parameters(), encode)

    def cosine(self, video_emb: torch.Tensor, text_feats: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Unscaled cosine similarities ``[N, C]`` in float32 (also under autocast).

        Args:
            video_emb (Tensor): ``[N, D]`` video embeddings (any float dtype).
            text_feats (Tensor, optional): ``[C, D]`` class features; :meth:`class_features` when omitted.

        Returns:
            Tensor: float32 ``[N, C]``.
        """
        text_feats = self.class_features() if text_feats is None else text_feats
        with autocast_off(video_emb.device.type):
            return F.normalize(video_emb.float(), dim=-1) @ F.normalize(text_feats.float(), dim=-1).t()

    @property
    def logit_scale(self) -> torch.Tensor:
        """``exp(logit_scale)`` of the CLIP model (frozen)."""
        return self.text.logit_scale.float().exp()

    @property
    def needs_frozen_anchor_feats(self) -> bool:
        """Whether :meth:`loss` needs ``frozen_anchor_feats`` (anchor embeddings of the prompt-free image tower,
        ``anchor_loss.mode='kl'``); the recognizer reads it once, at build."""
        return self.anchor_loss is not None and self.anchor_loss.needs_frozen_video

    def loss(self,
             feats: torch.Tensor,
             data_samples: SampleList,
             anchor_feats: Optional[torch.Tensor] = None,
             frozen_anchor_feats: Optional[torch.Tensor] = None,
             **kwargs) -> Dict[str, torch.Tensor]:
        """The training losses: ``loss_cls`` on the scaled cosine logits, the anchor term, the consistency term.

        The one training loss path, for :class:`GA2CLIPRecognizer` and stock MMAction2 recognizers alike. The
        class features are encoded here, sharded across ranks in a distributed step (the one place where text
        sharding's collective runs, see :meth:`class_features`). In training mode the call advances the step
        count ``shared_text_step`` (the class docstring), on every rank, sharded or not.

        Args:
            feats (Tensor): ``[B, D]`` video embeddings of the main clips.
            data_samples (list[ActionDataSample]): Their samples (``gt_label``).
            anchor_feats (Tensor, optional): ``[A, D]`` embeddings of the anchor clips (tuned model); required
                when ``anchor_loss`` is set. Defaults to None.
            frozen_anchor_feats (Tensor, optional): ``[A, D]`` embeddings of the anchor clips by the prompt-free
                image tower (``anchor_loss.mode='kl'``). Defaults to None.
            **kwargs: Other keys of the recognizer's ``loss_kwargs`` (e.g. MMAction2's ``loss_aux``), unused.

        Returns:
            dict[str, Tensor]: ``loss_anchor`` (kl/negative), ``loss_cls``, top-k accuracies, ``loss_consistency``.

        Raises:
            ValueError: Anchor clips without an anchor term, or an anchor term without anchor clips.
        """
        if self.anchor_loss is not None and anchor_feats is None:
            raise ValueError('cls_head.anchor_loss is set but the batch has no anchor clips: wrap the train dataset '
                             'in AnchorSetDataset and use batch_sampler=AnchorBatchSampler (anchors on), or set '
                             'cls_head.anchor_loss=None (anchors off)')
        if self.anchor_loss is None and anchor_feats is not None:
            raise ValueError('the batch has anchor clips but cls_head.anchor_loss is None (no anchor term uses '
                             'them): set cls_head.anchor_loss, or train without AnchorSetDataset/AnchorBatchSampler')
        text_feats = self.class_features(shard=True)
        if self.training:
            self.shared_text_step.add_(1)  # in place, on the buffer's device: no host sync
        cos = self.cosine(feats, text_feats)
        losses: Dict[str, torch.Tensor] = {}
        if self.anchor_loss is not None:
            losses, cos = self._anchor_term(anchor_feats, frozen_anchor_feats, text_feats, cos)
        losses.update(self.loss_by_feat(self.logit_scale * cos, data_samples))
        if self.consistency_loss is not None:
            losses['loss_consistency'] = self.consistency_loss(text_feats, self.handcrafted_features())
        return losses

    def _anchor_term(self, anchors: torch.Tensor, frozen_anchors: Optional[torch.Tensor],
                     text_feats: torch.Tensor,
                     cos: torch.Tensor) -> Tuple[Dict[str, torch.Tensor], torch.Tensor]:
        """Apply the anchor term: ``official`` biases the cosine logits, ``kl``/``negative`` return
        ``loss_anchor``.

        Args:
            anchors (Tensor): ``[A, D]`` anchor embeddings (tuned model).
            frozen_anchors (Tensor, optional): ``[A, D]`` anchor embeddings of the prompt-free tower (``kl``).
            text_feats (Tensor): ``[C, D]`` class features.
            cos (Tensor): ``[B, C]`` float32 cosine logits of the main clips.

        Returns:
            tuple: ``losses`` and the (official: biased) cosine logits.
        """
        loss = self.anchor_loss
        anchor_text = self.frozen_text_features(loss.prompts)
        if loss.mode == 'official':
            return {}, cos + loss.logit_bias(anchors, anchor_text)
        if loss.needs_frozen_video and frozen_anchors is None:
            raise ValueError(f'anchor_loss.mode="{loss.mode}" needs frozen_anchor_feats (the recognizer gives '
                             'them when its backbone can run without prompts)')
        tuned = self.encode_prompted(loss.anchor_names) if loss.needs_tuned_text else None
        return loss(anchors, anchor_text, self.logit_scale, class_features=text_feats,
                    tuned_anchor_text=tuned, frozen_anchor_emb=frozen_anchors), cos

    def handcrafted_features(self) -> torch.Tensor:
        """Frozen CLIP text features ``[C, D]`` (float32, autocast off) of ``consistency_loss``'s hand-crafted
        prompts of the current classes (cached by :meth:`frozen_text_features`)."""
        with autocast_off(self.class_tokens.device.type):
            return self.frozen_text_features(self.consistency_loss.prompts(self.classnames))

    def predict(self,
                feats: torch.Tensor,
                data_samples: SampleList,
                num_views: Optional[int] = None,
                view_average: str = 'feature',
                **kwargs) -> SampleList:
        """Fill ``pred_score`` (class probabilities) and ``pred_label`` of each sample.

        Args:
            feats (Tensor): ``[B * V, D]`` per-view video embeddings (views of a sample adjacent).
            data_samples (list[ActionDataSample]): The ``B`` samples.
            num_views (int, optional): ``V``; ``len(feats) // B`` when omitted (stock recognizers).
            view_average (str): ``'feature'`` (mean embedding, released), ``'score'`` (mean logits) or ``'prob'``
                (mean softmax); the recognizer's ``view_average``. Defaults to ``'feature'``.
            **kwargs: Other keys of the recognizer's ``predict_kwargs`` (e.g. MMAction2's ``fcn_test``), unused.

        Returns:
            list[ActionDataSample]: The samples with predictions.
        """
        v = num_views or max(feats.shape[0] // max(len(data_samples), 1), 1)
        emb = feats.reshape(-1, v, feats.shape[-1])
        if view_average == 'feature':
            probs = F.softmax(self(emb.mean(dim=1)), dim=-1)
        else:
            logits = self(emb.flatten(0, 1)).view(emb.shape[0], v, -1)
            probs = F.softmax(logits, dim=-1).mean(dim=1) if view_average == 'prob' else \
                F.softmax(logits.mean(dim=1), dim=-1)
        for sample, score in zip(data_samples, probs):
            sample.set_pred_score(score)
            sample.set_pred_label(score.argmax(dim=-1, keepdim=True))
        return data_samples

    def forward(self, x: torch.Tensor, **kwargs) -> torch.Tensor:
        """Scaled cosine logits.

        Args:
            x (Tensor): Video embeddings ``[N, D]``.

        Returns:
            Tensor: ``[N, C]``.
        """
        return self.logit_scale * self.cosine(x)


def _count_steps_from_zero_without_a_count(module: PromptCouplingHead, state_dict: Dict[str, torch.Tensor],
                                           prefix: str, *args) -> None:
    """``load_state_dict`` pre-hook: a state dict written before the head counted its steps (no
    ``shared_text_step``) loads, strictly too, with the count at 0 (see :class:`PromptCouplingHead`)."""
    state_dict.setdefault(prefix + 'shared_text_step', torch.zeros((), dtype=torch.long))
