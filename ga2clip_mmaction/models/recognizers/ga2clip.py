"""GA2-CLIP recognizer: backbone -> neck (temporal pooling) -> prompt-coupling head (which owns the losses)."""
import contextlib
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmaction.models.recognizers import BaseRecognizer
from mmaction.registry import MODELS
from mmaction.utils import SampleList
from torch import nn

from ...registry import FREEZE_POLICIES
from ...utils.small_checkpoint import refill_small_checkpoints_on_load
from ..clip_weights import build_clip
from . import freeze_policies  # noqa: F401  (registers the policies)

#: ``test_cfg.precision`` values and their autocast dtypes.
TEST_PRECISIONS = {'fp32': None, 'bf16': torch.bfloat16, 'fp16': torch.float16}

VIEW_AVERAGES = ('feature', 'score', 'prob')

#: Recognizer arguments that moved, and where to (refused with this message).
MOVED_ARGS = {
    'anchor_loss': 'model.cls_head.anchor_loss (the head owns every loss; anchors on also needs AnchorSetDataset '
                   'and AnchorBatchSampler, anchors off neither)',
    'temporal_pooling': "model.neck (temporal pooling is the neck: neck=dict(type='MeanTemporalPooling') or "
                        "dict(type='TemporalTransformerPooling', embed_dim=...))",
    'consistency_loss': 'model.cls_head.consistency_loss (the head owns every loss)',
}


def build_shared_clip(backbone: Dict, cls_head: Dict) -> Tuple[Dict, Dict]:
    """Build CLIP once when backbone and head name the same ``clip`` config, and hand the model to both.

    Args:
        backbone (dict): Backbone config.
        cls_head (dict): Head config.

    Returns:
        tuple[dict, dict]: The configs, with ``clip`` replaced by the built model where they shared one (each part
        keeps only its own tower); unchanged otherwise.
    """
    clip_cfg = backbone.get('clip')
    if isinstance(clip_cfg, dict) and clip_cfg == cls_head.get('clip'):
        model = build_clip(**clip_cfg)
        return {**backbone, 'clip': model}, {**cls_head, 'clip': model}
    return backbone, cls_head


def old_key_renames(keys: Sequence[str], prefix: str, neck: nn.Module) -> Dict[str, str]:
    """Renames of state-dict keys saved before temporal pooling became the neck.

    The old layout had the pooling at ``temporal_pooling.*`` and an optional projection at ``neck.*``; the new neck
    is the pooling (``neck.*``) or the list ``[pooling, projection]`` (``neck.0.*``, ``neck.1.*``).

    Args:
        keys (Sequence[str]): The state dict's keys.
        prefix (str): The recognizer's prefix in it.
        neck (nn.Module): This model's neck.

    Returns:
        dict[str, str]: old key -> new key (empty for a current state dict).

    Raises:
        KeyError: An old state dict that this model's neck cannot hold.
    """
    pool, proj = prefix + 'temporal_pooling.', prefix + 'neck.'
    pairs = isinstance(neck, nn.Sequential) and len(neck) == 2
    renames = {k: (proj + '0.' if pairs else proj) + k[len(pool):] for k in keys if k.startswith(pool)}
    old_proj = [k for k in keys if k.startswith(proj) and isinstance(neck, nn.Sequential)
                and not k[len(proj):].split('.')[0].isdigit()]
    if old_proj and not pairs:
        raise KeyError(f'checkpoint keys {old_proj[:2]} come from a recognizer with a projection neck, saved '
                       'before temporal pooling became the neck: build the model with '
                       "neck=[dict(type='MeanTemporalPooling'), <the projection>] to load it")
    renames.update({k: proj + '1.' + k[len(proj):] for k in old_proj})
    if renames and not pairs and isinstance(neck, nn.Sequential):
        raise KeyError(f'checkpoint keys {sorted(renames)[:2]} (saved before temporal pooling became the neck) '
                       'do not fit this model\'s neck list')
    return renames


@MODELS.register_module()
class GA2CLIPRecognizer(BaseRecognizer):
    """Video recognizer of GA2-CLIP: MMAction2's recognizer contract, one direction.

    ``loss`` = ``feats, loss_kwargs = extract_feat(...)`` then ``cls_head.loss(feats, data_samples,
    **loss_kwargs)``; ``predict`` = ``extract_feat(..., test_mode=True)`` then ``cls_head.predict``. The recognizer
    computes visual features only (main clips, anchor clips); the head owns the text side, the cosine, the logit
    scale and every loss.

    The backbone may be any MMAction2 backbone: frame-wise ones return ``[N, T, D]`` (e.g.
    :class:`PromptedCLIPVision`), clip-wise ones ``[N, D, t, h, w]`` (averaged over space) or ``[N, D]`` (one time
    step). The ``neck`` pools time, ``[N, T, D] -> [N, D]`` (a list of necks runs in order, e.g. pooling then
    :class:`EmbeddingProjection` for a non-CLIP backbone). When backbone and head name the same ``clip`` config,
    CLIP is built once here and handed to both.

    Args:
        backbone (dict): Backbone config.
        cls_head (dict): Head config (:class:`PromptCouplingHead`).
        neck (dict | list[dict]): Temporal pooling (and projection). Defaults to
            ``dict(type='MeanTemporalPooling')`` (released).
        freeze (str): Trainable parts: ``'prompts'`` (prompts + coupling, default), ``'prompts+vision'``,
            ``'prompts+text'``, ``'all'``. CLIP's logit scale always stays frozen.
        view_average (str): How the V test views of a sample are merged (passed to ``cls_head.predict``):
            ``'feature'`` (mean embedding, released), ``'score'`` (mean logits) or ``'prob'`` (mean softmax).
            Defaults to ``'feature'``.
        train_cfg (dict, optional): Unused, for MMAction2 compatibility.
        test_cfg (dict, optional): ``max_testing_views`` (views per backbone pass at test time, MMAction2's
            key; default all at once) and ``precision`` (``'fp32'`` default, ``'bf16'`` or ``'fp16'``: the
            test-time backbone runs under autocast; logits stay float32). Defaults to None.
        data_preprocessor (dict, optional): Data preprocessor config.

    Shapes:
        - ``inputs``: ``[B, V, C, T, H, W]`` (``format_shape='NCTHW'``); ``anchor_inputs``: ``[A, V, C, T, H, W]``.
        - ``predict`` sets ``pred_score`` ``[C]`` (probabilities over the head's current class list).

    Extension point (what :class:`~ga2clip_mmaction.models.recognizers.ViLTCLIPRecognizer` overrides):
    :meth:`prompt_offsets` (offsets added to the backbone's vision prompts, once per forward).

    State dicts saved before temporal pooling became the neck (``temporal_pooling.*``, a projection at ``neck.*``)
    are renamed when loaded.
    """

    def __init__(self,
                 backbone: Dict,
                 cls_head: Dict,
                 neck: Optional[Dict] = dict(type='MeanTemporalPooling'),
                 freeze: str = 'prompts',
                 view_average: str = 'feature',
                 train_cfg: Optional[Dict] = None,
                 test_cfg: Optional[Dict] = None,
                 data_preprocessor: Optional[Dict] = None,
                 **kwargs) -> None:
        for key in kwargs:
            if key in MOVED_ARGS:
                raise TypeError(f'model.{key} is no longer a recognizer argument: use {MOVED_ARGS[key]}')
            raise TypeError(f'{type(self).__name__}: unexpected argument model.{key}')
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
        backbone, cls_head = build_shared_clip(dict(backbone), dict(cls_head))
        super().__init__(backbone=backbone, cls_head=cls_head, neck=neck, train_cfg=train_cfg,
                         test_cfg=test_cfg, data_preprocessor=data_preprocessor)
        refill_small_checkpoints_on_load(self)  # loads complete small checkpoints (frozen_parameter_names)
        self.frozen_anchor_feats = bool(getattr(self.cls_head, 'needs_frozen_anchor_feats', False))
        if self.frozen_anchor_feats and not getattr(self.backbone, 'supports_prompt_free', False):
            mode = self.cls_head.anchor_loss.mode
            raise TypeError(f'anchor_loss.mode="{mode}" needs a backbone that can run without prompts '
                            f'(forward(x, prompts=False)); {type(self.backbone).__name__} cannot')
        self.freeze = freeze
        self.view_average = view_average
        self.apply_freeze_policy()
        self._register_load_state_dict_pre_hook(self._rename_old_keys)

    def _rename_old_keys(self, state_dict: Dict, prefix: str, *args) -> None:
        """Load-time renames of state dicts saved before temporal pooling became the neck."""
        for old, new in old_key_renames(list(state_dict), prefix, self.neck).items():
            state_dict[new] = state_dict.pop(old)

    def apply_freeze_policy(self) -> None:
        """Apply the ``FREEZE_POLICIES`` entry ``self.freeze`` to the CLIP towers; prompts and coupling stay
        trainable, and so does a backbone without a CLIP tower (``visual``)."""
        towers = {'vision': getattr(self.backbone, 'visual', None), 'text': getattr(self.cls_head, 'text', None)}
        FREEZE_POLICIES.get(self.freeze)(towers)
        text = towers['text']
        if text is not None and hasattr(text, 'logit_scale'):
            text.logit_scale.requires_grad_(False)

    # ------------------------------------------------------------------ features
    @staticmethod
    def _as_frames(feats: torch.Tensor) -> torch.Tensor:
        """Backbone output -> ``[N, T, D]``: frame-wise ``[N, T, D]``, clip-wise ``[N, D, t, h, w]`` (averaged
        over space) or a clip embedding ``[N, D]`` (e.g. TimeSformer's CLS token, one time step)."""
        if isinstance(feats, (tuple, list)):
            feats = feats[-1]
        if feats.dim() == 2:
            feats = feats.unsqueeze(1)
        if feats.dim() == 5:  # [N, D, t, h, w] -> [N, t, D]
            feats = feats.mean(dim=(3, 4)).transpose(1, 2)
        if feats.dim() != 3:
            raise ValueError(f'Backbone output must be [N, T, D], [N, D, t, h, w] or [N, D], '
                             f'got {tuple(feats.shape)}')
        return feats

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
        """Backbone -> neck (temporal pooling) of clips ``[N, C, T, H, W]``: ``[N, D]``."""
        if not prompts:
            feats = self.backbone(x, prompts=False)
        elif offsets is not None:
            feats = self.backbone(x, prompt_offsets=offsets)
        else:
            feats = self.backbone(x)
        emb = self.neck(self._as_frames(feats)) if self.with_neck else None
        if emb is None or emb.dim() != 2:
            raise ValueError('model.neck must pool time, [N, T, D] -> [N, D] (e.g. '
                             "neck=dict(type='MeanTemporalPooling'), or a list [pooling, projection]); got "
                             f'{None if emb is None else tuple(emb.shape)}')
        return emb

    def extract_feat(self,
                     inputs: torch.Tensor,
                     stage: str = 'neck',
                     data_samples: Optional[SampleList] = None,
                     test_mode: bool = False,
                     anchor_inputs: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, Dict]:
        """Visual features and the keyword arguments of the head (MMAction2's convention).

        Training: main and anchor clips go through the backbone in one pass (anchors appended, as released),
        their views averaged; the anchors also through the prompt-free tower when the head needs them
        (``cls_head.needs_frozen_anchor_feats``, read at build). Test: per-view embeddings under the autocast
        of ``test_cfg.precision`` (float32 out).

        Args:
            inputs (Tensor): ``[B, V, C, T, H, W]`` main clips.
            stage (str): Unused (the features are the neck's). Defaults to ``'neck'``.
            data_samples (list[ActionDataSample], optional): Unused.
            test_mode (bool): Test-time features. Defaults to False.
            anchor_inputs (Tensor, optional): ``[A, V, C, T, H, W]`` anchor clips (training). Defaults to None.

        Returns:
            tuple: ``feats`` (training: ``[B, D]``; test: ``[B * V, D]``) and the head's kwargs (training:
            ``anchor_feats`` / ``frozen_anchor_feats`` with anchor clips; test: ``num_views``, ``view_average``).
        """
        if test_mode:
            dtype = TEST_PRECISIONS[self.test_cfg.get('precision', 'fp32')]
            ctx = torch.autocast(inputs.device.type, dtype=dtype) if dtype is not None else \
                contextlib.nullcontext()
            with ctx:
                emb = self.embed(inputs).float()
            return emb.flatten(0, 1), dict(num_views=emb.shape[1], view_average=self.view_average)
        b = inputs.shape[0]
        x = torch.cat([inputs, anchor_inputs.to(inputs.dtype)]) if anchor_inputs is not None else inputs
        emb = self.embed(x).mean(dim=1)
        if anchor_inputs is None:
            return emb, {}
        kwargs = dict(anchor_feats=emb[b:])
        if self.frozen_anchor_feats:
            with torch.no_grad():
                kwargs['frozen_anchor_feats'] = self.embed(anchor_inputs, prompts=False).mean(dim=1)
        return emb[:b], kwargs

    def loss(self,
             inputs: torch.Tensor,
             data_samples: SampleList,
             anchor_inputs: Optional[torch.Tensor] = None,
             **kwargs) -> Dict[str, torch.Tensor]:
        """The head's losses on this batch's features.

        Args:
            inputs (Tensor): ``[B, V, C, T, H, W]`` main clips.
            data_samples (list[ActionDataSample]): Their samples (``gt_label``).
            anchor_inputs (Tensor, optional): ``[A, V, C, T, H, W]`` anchor clips.

        Returns:
            dict[str, Tensor]: :meth:`PromptCouplingHead.loss`.
        """
        feats, loss_kwargs = self.extract_feat(inputs, data_samples=data_samples, anchor_inputs=anchor_inputs)
        return self.cls_head.loss(feats, data_samples, **loss_kwargs)

    def predict(self, inputs: torch.Tensor, data_samples: SampleList, **kwargs) -> SampleList:
        """Fill ``pred_score`` (probabilities) and ``pred_label`` of each sample (:meth:`PromptCouplingHead.predict`).

        Args:
            inputs (Tensor): ``[B, V, C, T, H, W]``.
            data_samples (list[ActionDataSample]): The samples.

        Returns:
            list[ActionDataSample]: The samples with predictions.
        """
        feats, predict_kwargs = self.extract_feat(inputs, test_mode=True)
        return self.cls_head.predict(feats, data_samples, **predict_kwargs)

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
