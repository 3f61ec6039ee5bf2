"""Learnable text context (layer 0 and deep) plus the frozen hard prompt and its coupling."""
import os.path as osp
import warnings
from typing import List, Optional, Union

import torch
from torch import nn

from ...utils.checkpoint import safe_torch_load
from ..prompt_utils import init_prompt
from .coupling import build_coupling


def load_hard_prompt(source: Union[str, torch.Tensor], shape: torch.Size) -> torch.Tensor:
    """Load a hard prompt from a file (``{'hard_prompt': T}`` or a bare tensor) or take a tensor.

    Args:
        source (str | Tensor): File path or tensor.
        shape (torch.Size): Expected ``[n_ctx, width]``.

    Returns:
        Tensor: float32 ``[n_ctx, width]``.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: Wrong content or shape (the message names the file).
    """
    name = source if isinstance(source, str) else '<tensor>'
    if isinstance(source, str):
        if not osp.isfile(osp.expanduser(source)):
            raise FileNotFoundError(f'cls_head.hard_prompt: file not found: {source}')
        source = safe_torch_load(osp.expanduser(source), map_location='cpu')
        if isinstance(source, dict):
            if 'hard_prompt' not in source:
                raise ValueError(f'{name}: expected a dict with key `hard_prompt`, '
                                 f'got keys {sorted(source)[:8]}')
            source = source['hard_prompt']
    if not torch.is_tensor(source) or tuple(source.shape) != tuple(shape):
        got = tuple(source.shape) if torch.is_tensor(source) else type(source).__name__
        raise ValueError(f'{name}: hard prompt must be a tensor of shape {tuple(shape)} '
                         f'(language_ctx x text width), got {got}')
    return source.detach().float().clone()


class TextPromptLearner(nn.Module):
    """Soft text context, deep text prompts, hard prompt buffer and coupling.

    Parameter names (used by checkpoints and the official-key converter):

    * ``ctx`` ``[n, w]``: layer-0 soft context (official ``prompt_learner.ctx_VPT``);
    * ``deep_ctx.{i-1}`` ``[n, w]`` for blocks ``i = 1 .. depth-1`` (official
      ``text_encoder.transformer.resblocks.{i}.VPT_shallow``);
    * ``coupling.mlp.0.{weight,bias}`` for ``concat_mlp`` (official ``prompt_learner.proj_b2n_VPT.0.*``);
    * buffer ``hard_prompt`` ``[n, w]`` (persistent, so a trained checkpoint is self-contained).

    Args:
        n_ctx (int): Context tokens per layer (``language_ctx``).
        depth (int): Blocks ``0 .. depth-1`` get their own prompts (``language_depth``).
        width (int): Text width.
        coupling (str): Coupling variant, see :mod:`.coupling`. Defaults to ``'concat_mlp'``.
        coupling_dropout (float): Dropout of ``concat_mlp``. Defaults to 0.5.
        hard_prompt (str | Tensor, optional): Hard prompt file or tensor. Defaults to None (zeros, expected
            to come from a checkpoint).
        init_std (float): Std of the N(0, std) init. Defaults to 0.02.
    """

    def __init__(self,
                 n_ctx: int,
                 depth: int,
                 width: int,
                 coupling: str = 'concat_mlp',
                 coupling_dropout: float = 0.5,
                 hard_prompt: Optional[Union[str, torch.Tensor]] = None,
                 init_std: float = 0.02) -> None:
        super().__init__()
        if n_ctx < 1 or depth < 1:
            raise ValueError(f'language_ctx and language_depth must be >= 1, got {n_ctx}, {depth}')
        self.n_ctx = n_ctx
        self.ctx = init_prompt(n_ctx, width, init_std)
        self.deep_ctx = nn.ParameterList([init_prompt(n_ctx, width, init_std) for _ in range(depth - 1)])
        self.coupling = build_coupling(coupling, width, coupling_dropout)
        if self.coupling.uses_hard_prompt:
            shape = torch.Size([n_ctx, width])
            if hard_prompt is None:
                warnings.warn(f'cls_head: coupling {coupling!r} without `hard_prompt`: the hard prompt '
                              f'is zeros unless a checkpoint provides it')
                value = torch.zeros(shape)
            else:
                value = load_hard_prompt(hard_prompt, shape)
            self.register_buffer('hard_prompt', value)
        elif hard_prompt is not None:
            raise ValueError("cls_head: coupling='none' takes no hard_prompt")
        else:
            self.hard_prompt = None

    @property
    def num_tokens(self) -> int:
        """Number of context tokens in the layer-0 prompt."""
        return self.coupling.num_tokens(self.n_ctx)

    @property
    def deep_start(self) -> int:
        """Token position (after SOT) where deep prompts start."""
        return 1 + self.coupling.deep_offset(self.n_ctx)

    def context(self) -> torch.Tensor:
        """Layer-0 context ``[num_tokens, w]`` (coupled soft + hard prompt)."""
        hard = self.hard_prompt if self.hard_prompt is not None else self.ctx
        return self.coupling(self.ctx, hard)

    def deep_prompts(self) -> List[torch.Tensor]:
        """Deep prompts for blocks ``1 .. depth-1``."""
        return list(self.deep_ctx)
