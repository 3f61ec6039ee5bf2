"""GA2-CLIP recognizer: backbone -> temporal pooling -> prompt-coupling head (+ anchor loss)."""
import contextlib
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmaction.models.recognizers import BaseRecognizer
from mmaction.registry import MODELS
from mmaction.utils import SampleList

from ...registry import FREEZE_POLICIES
from ...utils.small_checkpoint import refill_small_checkpoints_on_load
from ..clip_weights import shared_clip_builds
from . import freeze_policies  # noqa: F401  (registers the policies)
from .pooling_builder import build_temporal_pooling

#: ``test_cfg.precision`` values and their autocast dtypes.
TEST_PRECISIONS = {'fp32': None, 'bf16': torch.bfloat16, 'fp16': torch.float16}

VIEW_AVERAGES = ('feature', 'score', 'prob')


@MODELS.register_module()
class GA2CLIPRecognizer(BaseRecognizer):
    """Video recognizer of GA2-CLIP.

    The backbone may be any MMAction2 backbone: frame-wise ones return ``[N, T, D]`` (e.g.
    :class:`PromptedCLIPVision`), clip-wise ones ``[N, D, t, h, w]`` (averaged over space). The temporal pooling
    turns ``[N, T, D]`` into ``[N, D]``; an optional ``neck`` maps that to the head's embedding space.

    Args:
        backbone (dict): Backbone config.
        cls_head (dict): Head config (:class:`PromptCouplingHead`).
        temporal_pooling (str | dict): ``'mean'`` (released), ``'transformer'`` or a MODELS config
            (``embed_dim`` is filled from the backbone when it has ``embed_dim``). Defaults to ``'mean'``.
        anchor_loss (dict, optional): :class:`AnchorLoss` config; needs anchor clips in training batches
            (``AnchorSetDataset`` + ``AnchorBatchSampler``). Defaults to None.
        freeze (str): Trainable parts: ``'prompts'`` (prompts + coupling, default), ``'prompts+vision'``,
            ``'prompts+text'``, ``'all'``. CLIP's logit scale always stays frozen.
        view_average (str): How the V test views of a sample are merged: ``'feature'`` (mean embedding,
            released), ``'score'`` (mean logits) or ``'prob'`` (mean softmax). Defaults to ``'feature'``.
        neck (dict, optional): Module applied to the pooled video embedding. Defaults to None.
        train_cfg (dict, optional): Unused, for MMAction2 compatibility.
        test_cfg (dict, optional): ``max_testing_views`` (views per backbone pass at test time, MMAction2's
            key; default all at once) and ``precision`` (``'fp32'`` default, ``'bf16'`` or ``'fp16'``: the
            test-time backbone runs under autocast; logits stay float32). Defaults to None.
        data_preprocessor (dict, optional): Data preprocessor config.

    Shapes:
        - ``inputs``: ``[B, V, C, T, H, W]`` (``format_shape='NCTHW'``); ``anchor_inputs``: ``[A, V, C, T, H, W]``.
        - ``predict`` sets ``pred_score`` ``[C]`` (probabilities over the head's current class list).

    Extension points (what :class:`~ga2clip_mmaction.models.recognizers.ViLTCLIPRecognizer` overrides):
    :meth:`prompt_offsets` (offsets added to the backbone's vision prompts, once per forward) and
    :meth:`extra_losses` (terms on the step's class text features, added after ``loss_cls``).
    """

    def __init__(self,
                 backbone: Dict,
                 cls_head: Dict,
                 temporal_pooling: Union[str, Dict] = 'mean',
                 anchor_loss: Optional[Dict] = None,
                 freeze: str = 'prompts',
                 view_average: str = 'feature',
                 neck: Optional[Dict] = None,
                 train_cfg: Optional[Dict] = None,
                 test_cfg: Optional[Dict] = None,
                 data_preprocessor: Optional[Dict] = None) -> None:
        if FREEZE_POLICIES.get(freeze) is None:
            raise ValueError(f'model.freeze must be one of {sorted(FREEZE_POLICIES.module_dict)}, '
                             f'got {freeze!r}')
        if view_average not in VIEW_AVERAGES:
            raise ValueError(f'model.view_average must be one of {VIEW_AVERAGES}, got {view_average!r}')
        if data_preprocessor is None:
            data_preprocessor = dict(type='ActionDataPreprocessor', format_shape='NCTHW')
        test_cfg = dict(test_cfg or {})
        if test_cfg.get('precision', 'fp32') not in TEST_PRECISIONS:
            raise ValueError(f'model.test_cfg.precision must be one of {sorted(TEST_PRECISIONS)}, '
                             f'got {test_cfg["precision"]!r}')
        views = test_cfg.get('max_testing_views')
        if views is not None and (not isinstance(views, int) or views < 1):
            raise ValueError(f'model.test_cfg.max_testing_views must be a positive int, got {views!r}')
        with shared_clip_builds():  # backbone and head take their towers from one CLIP build
            super().__init__(backbone=backbone, cls_head=cls_head, neck=neck, train_cfg=train_cfg,
                             test_cfg=test_cfg, data_preprocessor=data_preprocessor)
        refill_small_checkpoints_on_load(self)  # loads complete small checkpoints (frozen_parameter_names)
        self.temporal_pooling = build_temporal_pooling(temporal_pooling, self.backbone)
        self.anchor_loss = MODELS.build(anchor_loss) if anchor_loss is not None else None
        if self.anchor_loss is not None:
            self.anchor_loss.check_broadcast(self.cls_head.num_classes)
            if self.anchor_loss.needs_frozen_video and \
                    not getattr(self.backbone, 'supports_prompt_free', False):
                raise TypeError(f'anchor_loss.mode="{self.anchor_loss.mode}" needs a backbone that can run '
                                f'without prompts (forward(x, prompts=False)); '
                                f'{type(self.backbone).__name__} cannot')
        self.freeze = freeze
        self.view_average = view_average
        if view_average != 'feature':
            self.cls_head.average_clips = view_average  # BaseHead.average_clip does 'score' / 'prob'
        self.apply_freeze_policy()

    @property
    def anchor_term_skipped(self) -> bool:
        """Whether the anchor term is inert and left out (no anchor clips needed, see :class:`AnchorLoss`).

        The run's one anchor decision: ``InertAnchorHook`` applies it to the batch sampler and logs it."""
        return self.anchor_loss is not None and self.anchor_loss.skipped

    def apply_freeze_policy(self) -> None:
        """Apply the ``FREEZE_POLICIES`` entry ``self.freeze`` to the CLIP towers; prompts and coupling stay
        trainable, and so does a backbone without a CLIP tower (``visual``)."""
        towers = {'vision': getattr(self.backbone, 'visual', None), 'text': getattr(self.cls_head, 'text', None)}
        FREEZE_POLICIES.get(self.freeze)(towers)
        text = towers['text']
        if text is not None and hasattr(text, 'logit_scale'):
            text.logit_scale.requires_grad_(False)

    # ------------------------------------------------------------------ features
    def _pool_frames(self, feats: torch.Tensor) -> torch.Tensor:
        """Backbone output -> ``[N, D]``: frame-wise ``[N, T, D]``, clip-wise ``[N, D, t, h, w]`` or a clip
        embedding ``[N, D]`` (e.g. TimeSformer's CLS token, taken as one time step)."""
        if isinstance(feats, (tuple, list)):
            feats = feats[-1]
        if feats.dim() == 2:
            feats = feats.unsqueeze(1)
        if feats.dim() == 5:  # [N, D, t, h, w] -> [N, t, D]
            feats = feats.mean(dim=(3, 4)).transpose(1, 2)
        if feats.dim() != 3:
            raise ValueError(f'Backbone output must be [N, T, D], [N, D, t, h, w] or [N, D], '
                             f'got {tuple(feats.shape)}')
        return self.temporal_pooling(feats)

    def embed(self, inputs: torch.Tensor, prompts: bool = True) -> torch.Tensor:
        """Video embeddings of every view.

        Args:
            inputs (Tensor): ``[B, V, C, T, H, W]``.
            prompts (bool): ``False`` runs the backbone without prompts (frozen CLIP). Defaults to True.

        Returns:
            Tensor: ``[B, V, D]``.
        """
        if inputs.dim() != 6:
            raise ValueError(f'GA2CLIPRecognizer expects inputs [B, V, C, T, H, W] (format_shape="NCTHW"), '
                             f'got {tuple(inputs.shape)}')
        b, v = inputs.shape[:2]
        x = inputs.flatten(0, 1)
        chunk = self.test_cfg.get('max_testing_views') if not torch.is_grad_enabled() else None
        chunks = x.split(chunk) if chunk else (x, )
        offsets = self.prompt_offsets() if prompts else None  # once per forward, shared by the chunks
        emb = torch.cat([self._embed_chunk(c, prompts, offsets) for c in chunks])
        return emb.view(b, v, -1)

    def prompt_offsets(self) -> Optional[List[torch.Tensor]]:
        """Per-layer offsets added to the backbone's vision prompts, computed once per forward (extension
        point). None: the backbone's own prompts."""
        return None

    def _embed_chunk(self, x: torch.Tensor, prompts: bool,
                     offsets: Optional[List[torch.Tensor]] = None) -> torch.Tensor:
        """Backbone -> temporal pooling -> neck of clips ``[N, C, T, H, W]``: ``[N, D]``."""
        if not prompts:
            feats = self.backbone(x, prompts=False)
        elif offsets is not None:
            feats = self.backbone(x, prompt_offsets=offsets)
        else:
            feats = self.backbone(x)
        emb = self._pool_frames(feats)
        if self.with_neck:
            emb = self.neck(emb)
        return emb

    def extract_feat(self, inputs: torch.Tensor, stage: str = 'neck', **kwargs) -> Tuple:
        """Per-view video embeddings ``[B * V, D]`` and ``dict(num_views=V)`` (MMAction2 convention)."""
        emb = self.embed(inputs)
        return emb.flatten(0, 1), dict(num_views=emb.shape[1])

    # ------------------------------------------------------------------ train
    def loss(self,
             inputs: torch.Tensor,
             data_samples: SampleList,
             anchor_inputs: Optional[torch.Tensor] = None,
             **kwargs) -> Dict[str, torch.Tensor]:
        """Cross-entropy over the head's classes plus the anchor term.

        Main and anchor clips go through the backbone in one pass (anchors appended, as released).

        Args:
            inputs (Tensor): ``[B, V, C, T, H, W]`` main clips.
            data_samples (list[ActionDataSample]): Their samples (``gt_label``).
            anchor_inputs (Tensor, optional): ``[A, V, C, T, H, W]`` anchor clips.

        Returns:
            dict[str, Tensor]: ``loss_cls``, top-k accuracies, with anchors ``loss_anchor`` (kl/negative), then
            the :meth:`extra_losses`.
        """
        head = self.cls_head
        use_anchor = self.anchor_loss is not None and not self.anchor_term_skipped
        if use_anchor and anchor_inputs is None:
            raise ValueError('model.anchor_loss is set but the batch has no anchor clips: wrap the train '
                             'dataset in AnchorSetDataset and use batch_sampler=AnchorBatchSampler')
        b = inputs.shape[0]
        x = torch.cat([inputs, anchor_inputs.to(inputs.dtype)]) if use_anchor else inputs
        emb = self.embed(x).mean(dim=1)
        main, anchors = emb[:b], emb[b:]
        text_feats = head.class_features(shard=True)  # the one place where text sharding's collective runs
        cos = head.cosine(main, text_feats)
        losses: Dict[str, torch.Tensor] = {}
        if use_anchor:
            losses, cos = self._anchor_term(anchors, anchor_inputs, text_feats, cos)
        losses.update(head.loss_by_feat(head.logit_scale * cos, data_samples))
        losses.update(self.extra_losses(text_feats))
        return losses

    def extra_losses(self, text_feats: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Terms on the class text features of a training step, added after ``loss_cls`` (extension point).

        Args:
            text_feats (Tensor): ``[C, D]`` the class features the step's logits use (gradients flow).

        Returns:
            dict[str, Tensor]: None here.
        """
        return {}

    def _anchor_term(self, anchors: torch.Tensor, anchor_inputs: torch.Tensor, text_feats: torch.Tensor,
                     cos: torch.Tensor) -> Tuple[Dict[str, torch.Tensor], torch.Tensor]:
        """Encode what the anchor loss needs and apply it.

        Args:
            anchors (Tensor): ``[A, D]`` anchor embeddings (tuned model).
            anchor_inputs (Tensor): ``[A, V, C, T, H, W]`` anchor clips (for the frozen tower in ``kl``).
            text_feats (Tensor): ``[C, D]`` class features.
            cos (Tensor): ``[B, C]`` float32 cosine logits of the main clips.

        Returns:
            tuple: ``losses`` (``loss_anchor`` for kl/negative) and the (official: biased) cosine logits.
        """
        head, loss = self.cls_head, self.anchor_loss
        anchor_text = head.frozen_text_features(loss.prompts)
        if loss.mode == 'official':
            return {}, cos + loss.logit_bias(anchors, anchor_text)
        frozen = tuned = None
        if loss.needs_frozen_video:
            with torch.no_grad():
                frozen = self.embed(anchor_inputs, prompts=False).mean(dim=1)
        if loss.needs_tuned_text:
            tuned = head.encode_prompted(loss.anchor_names)
        return loss(anchors, anchor_text, head.logit_scale, class_features=text_feats,
                    tuned_anchor_text=tuned, frozen_anchor_emb=frozen), cos

    # ------------------------------------------------------------------ test
    def merge_views(self, emb: torch.Tensor) -> torch.Tensor:
        """Class probabilities ``[B, C]`` from per-view embeddings ``[B, V, D]`` (see ``view_average``)."""
        head = self.cls_head
        b, v, d = emb.shape
        if self.view_average == 'feature':
            return F.softmax(head(emb.mean(dim=1)), dim=-1)
        # 'score' / 'prob': MMAction2's view averaging of the head (average_clips set in __init__)
        scores = head.average_clip(head(emb.reshape(b * v, d)), num_segs=v)
        return scores if self.view_average == 'prob' else F.softmax(scores, dim=-1)

    def predict(self, inputs: torch.Tensor, data_samples: SampleList, **kwargs) -> SampleList:
        """Fill ``pred_score`` (probabilities) and ``pred_label`` of each sample.

        Args:
            inputs (Tensor): ``[B, V, C, T, H, W]``.
            data_samples (list[ActionDataSample]): The samples.

        Returns:
            list[ActionDataSample]: The samples with predictions.
        """
        probs = self.merge_views(self._test_embed(inputs))
        for sample, score in zip(data_samples, probs):
            sample.set_pred_score(score)
            sample.set_pred_label(score.argmax(dim=-1, keepdim=True))
        return data_samples

    def _test_embed(self, inputs: torch.Tensor) -> torch.Tensor:
        """:meth:`embed` under the autocast of ``test_cfg.precision`` (float32 embeddings out)."""
        dtype = TEST_PRECISIONS[self.test_cfg.get('precision', 'fp32')]
        ctx = torch.autocast(inputs.device.type, dtype=dtype) if dtype is not None else contextlib.nullcontext()
        with ctx:
            return self.embed(inputs).float()

    def _forward(self, inputs: torch.Tensor, stage: str = 'backbone', **kwargs) -> torch.Tensor:
        """``mode='tensor'``: logits ``[B, C]`` of the view-averaged embeddings."""
        return self.cls_head(self.embed(inputs).mean(dim=1))

    # ------------------------------------------------------------------ small checkpoints
    def frozen_parameter_names(self) -> List[str]:
        """Declares the frozen part for small checkpoints: the state-dict names of the parameters the freeze
        policy froze (the CLIP weights, re-read from ``clip.weights``). Small checkpoints leave them out and
        record them in their ``meta`` (:func:`ga2clip_mmaction.utils.small_checkpoint.shrink_checkpoint`)."""
        return [name for name, p in self.named_parameters() if not p.requires_grad]


__all__: Sequence[str] = ['GA2CLIPRecognizer', 'FREEZE_POLICIES']
