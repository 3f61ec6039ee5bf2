"""CLIP image tower with deep visual prompts (IVLP / GA2-CLIP), as an MMAction2 backbone."""
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmaction.registry import MODELS
from mmengine.model import BaseModule
from open_clip.model import CLIP
from torch import nn

from ...utils.small_checkpoint import refill_small_checkpoints_on_load
from ..clip_weights import build_clip
from ..prompt_utils import expand_prompt, init_prompt, run_block


@MODELS.register_module()
class PromptedCLIPVision(BaseModule):
    """Frame-wise open_clip ViT image tower with deep visual prompt tokens.

    ``vision_ctx`` learnable tokens are appended after the CLS and patch tokens (after the positional
    embedding, before ``ln_pre``, which normalises them too). At the input of blocks ``1 .. vision_depth-1``
    the last ``vision_ctx`` tokens are replaced by that block's own learnable tokens; later blocks carry the
    previous outputs. Output = ``ln_post(CLS) @ proj``. Frames never interact. The CLIP weights live in
    ``self.visual`` (the open_clip ``VisionTransformer``, driven block by block here, not forked).

    Args:
        clip (dict | CLIP): ``dict(arch=..., weights=...)`` for
            :func:`~ga2clip_mmaction.models.clip_weights.build_clip`, or a CLIP model already built (the recognizer
            builds one CLIP for backbone and head and hands it to both); only its image tower is kept.
        vision_ctx (int): Number of prompt tokens per layer. 0 disables prompts. Defaults to 16.
        vision_depth (int): Layers ``0 .. vision_depth-1`` get their own prompts. Defaults to 9.
        grad_checkpointing (bool): Recompute blocks in backward to save memory. Defaults to False.
        prompt_init_std (float): Std of the N(0, std) prompt init. Defaults to 0.02.
        emulate_fp16_prompt_grads (bool): Reproduce the released code's fp16 cast of the prompt tokens,
            which rounds their gradients to fp16 (parity option). Defaults to False.
        feature_map (bool): Return MMAction2's feature-map layout for its stock heads: ``[N, D, T, 1, 1]``
            for clips (``Recognizer3D`` + ``I3DHead``), ``[M, D, 1, 1]`` for frames (``Recognizer2D`` +
            ``TSNHead``). Defaults to False (``[N, T, D]`` / ``[M, D]``, for :class:`GA2CLIPRecognizer`).
        init_cfg (dict, optional): MMEngine init config. Defaults to None.

    Shapes:
        - Input: ``[N, C, T, H, W]`` (N clips of T frames) or ``[M, C, H, W]`` (frames).
        - Output: ``[N, T, D]`` per-frame embeddings (D = CLIP embedding dim), not normalised; ``[M, D]`` for
          frames; see ``feature_map``.
    """

    #: Interface used by :class:`GA2CLIPRecognizer`: ``forward(x, prompts=False)`` runs the frozen, prompt-free
    #: CLIP image tower (the reference of ``AnchorLoss(mode='kl')``). Other backbones lack the attribute.
    supports_prompt_free: bool = True
    #: ``forward(x, prompt_offsets=[...])`` adds per-layer offsets to the prompts (used by
    #: :class:`InterModalPromptMapping` through :class:`GA2CLIPRecognizer`).
    supports_prompt_offsets: bool = True

    def __init__(self,
                 clip: Union[Dict, CLIP],
                 vision_ctx: int = 16,
                 vision_depth: int = 9,
                 grad_checkpointing: bool = False,
                 prompt_init_std: float = 0.02,
                 emulate_fp16_prompt_grads: bool = False,
                 feature_map: bool = False,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        refill_small_checkpoints_on_load(self)  # loads complete small checkpoints (frozen_parameter_names)
        visual = (clip if isinstance(clip, CLIP) else build_clip(**clip)).visual
        if not hasattr(visual, 'conv1') or getattr(visual, 'attn_pool', None) is not None:
            raise TypeError('PromptedCLIPVision supports plain ViT CLIP image towers only')
        self.visual = visual
        num_layers = len(visual.transformer.resblocks)
        if vision_ctx < 0 or not 0 <= vision_depth <= num_layers:
            raise ValueError(f'vision_ctx must be >= 0 and vision_depth in [0, {num_layers}], '
                             f'got {vision_ctx}, {vision_depth}')
        self.vision_ctx = vision_ctx if vision_depth > 0 else 0
        self.vision_depth = vision_depth if vision_ctx > 0 else 0
        self.grad_checkpointing = grad_checkpointing
        self.emulate_fp16_prompt_grads = emulate_fp16_prompt_grads
        self.feature_map = feature_map
        width = visual.class_embedding.shape[-1]
        self.embed_dim = visual.proj.shape[1]
        self.prompt = init_prompt(self.vision_ctx, width, prompt_init_std) \
            if self.vision_depth else None
        self.deep_prompts = nn.ParameterList(
            [init_prompt(self.vision_ctx, width, prompt_init_std)
             for _ in range(max(self.vision_depth - 1, 0))])
        self.visual.requires_grad_(False)

    def frozen_parameter_names(self) -> List[str]:
        """Declares the frozen part for small checkpoints (in any recognizer): the CLIP tower's frozen weights,
        re-read from ``clip.weights`` at build (``ga2clip_mmaction.utils.small_checkpoint.declared_frozen_names``)."""
        return ['visual.' + n for n, p in self.visual.named_parameters() if not p.requires_grad]

    def init_weights(self) -> None:
        """Keep the CLIP weights and the N(0, std) prompt init (nothing to re-initialise)."""

    def _embed_frames(self, frames: torch.Tensor) -> torch.Tensor:
        """Patch + CLS + positional embedding: ``[M, C, H, W] -> [M, 1 + g*g, w]``."""
        v = self.visual
        x = v.conv1(frames.to(v.conv1.weight.dtype))
        x = x.flatten(2).transpose(1, 2)
        cls = v.class_embedding.to(x.dtype).expand(x.shape[0], 1, -1)
        return torch.cat([cls, x], dim=1) + v.positional_embedding.to(x.dtype)

    def _check_offsets(self, offsets: Sequence[torch.Tensor]) -> None:
        """Refuse prompt offsets that do not fit the prompts (more layers or another shape)."""
        if self.prompt is None:
            raise ValueError('PromptedCLIPVision: prompt_offsets given but the backbone has no prompts')
        if len(offsets) > self.vision_depth:
            raise ValueError(f'PromptedCLIPVision: {len(offsets)} prompt offsets for '
                             f'vision_depth={self.vision_depth} prompted layers')
        shape = tuple(self.prompt.shape)
        for i, off in enumerate(offsets):
            if tuple(off.shape) != shape:
                raise ValueError(f'PromptedCLIPVision: prompt_offsets[{i}] has shape {tuple(off.shape)}, '
                                 f'the prompts are {shape}')

    def _layer_prompt(self, layer: int, batch: int, offsets: Optional[Sequence[torch.Tensor]]) -> torch.Tensor:
        """Prompt tokens of ``layer`` (plus its offset, if any) broadcast to ``[batch, n, w]``."""
        prompt = self.prompt if layer == 0 else self.deep_prompts[layer - 1]
        if offsets is not None and layer < len(offsets):
            prompt = prompt + offsets[layer]
        return expand_prompt(prompt, batch, self.emulate_fp16_prompt_grads)

    def encode_frames(self,
                      frames: torch.Tensor,
                      prompts: bool = True,
                      prompt_offsets: Optional[Sequence[torch.Tensor]] = None) -> torch.Tensor:
        """Encode independent frames.

        Args:
            frames (Tensor): ``[M, C, H, W]``.
            prompts (bool): Insert the visual prompts; ``False`` gives the plain CLIP image tower.
                Defaults to True.
            prompt_offsets (Sequence[Tensor], optional): ``prompt_offsets[l]`` (``[vision_ctx, width]``) is
                added to the prompt of layer ``l`` (layer 0 = the appended tokens, ``l >= 1`` = the deep
                prompts) for the first ``len(prompt_offsets)`` layers; ignored with ``prompts=False``.
                Defaults to None (the prompts as they are).

        Returns:
            Tensor: ``[M, D]``.
        """
        v = self.visual
        x = self._embed_frames(frames)
        if prompts and prompt_offsets is not None:
            self._check_offsets(prompt_offsets)
        offsets = prompt_offsets if prompts else None
        use_prompts = prompts and self.prompt is not None
        n, m = self.vision_ctx, x.shape[0]
        if use_prompts:
            x = torch.cat([x, self._layer_prompt(0, m, offsets).to(x.dtype)], dim=1)
        x = v.ln_pre(x)
        use_ckpt = self.grad_checkpointing and self.training
        for i, block in enumerate(v.transformer.resblocks):
            if use_prompts and 1 <= i < self.vision_depth:
                deep = self._layer_prompt(i, m, offsets).to(x.dtype)
                x = torch.cat([x[:, :-n], deep], dim=1)
            x = run_block(block, x, None, use_ckpt)
        pooled, _ = v._pool(x)
        return pooled @ v.proj

    def forward(self,
                x: torch.Tensor,
                prompts: bool = True,
                prompt_offsets: Optional[Sequence[torch.Tensor]] = None) -> torch.Tensor:
        """Encode the frames of N clips (or M independent frames).

        Args:
            x (Tensor): ``[N, C, T, H, W]`` or ``[M, C, H, W]``.
            prompts (bool): See :meth:`encode_frames`. Defaults to True.
            prompt_offsets (Sequence[Tensor], optional): See :meth:`encode_frames`. Defaults to None.

        Returns:
            Tensor: ``[N, T, D]`` or ``[M, D]``; with ``feature_map``, ``[N, D, T, 1, 1]`` or ``[M, D, 1, 1]``.
        """
        if x.dim() == 4:
            out = self.encode_frames(x, prompts=prompts, prompt_offsets=prompt_offsets)
            return out[..., None, None] if self.feature_map else out
        if x.dim() != 5:
            raise ValueError(f'PromptedCLIPVision expects [N, C, T, H, W] or [M, C, H, W], got {tuple(x.shape)}')
        n, c, t, h, w = x.shape
        frames = x.permute(0, 2, 1, 3, 4).reshape(n * t, c, h, w)
        out = self.encode_frames(frames, prompts=prompts, prompt_offsets=prompt_offsets).view(n, t, -1)
        return out.transpose(1, 2)[..., None, None] if self.feature_map else out
