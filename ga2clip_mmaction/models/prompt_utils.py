"""Small helpers shared by the prompted vision and text towers."""
from typing import Optional

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint


def expand_prompt(prompt: torch.Tensor, batch: int, emulate_fp16_grad: bool = False) -> torch.Tensor:
    """Broadcast prompt tokens ``[n, w]`` to ``[batch, n, w]``.

    Args:
        prompt (Tensor): Prompt tokens ``[n, w]``.
        batch (int): Number of sequences.
        emulate_fp16_grad (bool): Insert the fp16 round trip of the released code (identity forward for
            fp16-representable values; rounds each copy's gradient to fp16 in backward). Defaults to False.

    Returns:
        Tensor: ``[batch, n, w]``.
    """
    out = prompt.unsqueeze(0).expand(batch, -1, -1)
    if emulate_fp16_grad:
        out = out.half().to(prompt.dtype)
    return out


def run_block(block: nn.Module, x: torch.Tensor, attn_mask: Optional[torch.Tensor],
              use_checkpoint: bool) -> torch.Tensor:
    """Run one open_clip ``ResidualAttentionBlock`` (batch-first), with optional gradient checkpointing.

    Args:
        block (nn.Module): The block.
        x (Tensor): Tokens ``[N, L, w]``.
        attn_mask (Tensor, optional): Additive attention mask ``[L, L]``.
        use_checkpoint (bool): Recompute the block in backward instead of storing activations.

    Returns:
        Tensor: ``[N, L, w]``.
    """
    if use_checkpoint and x.requires_grad:
        return checkpoint(block, x, None, None, attn_mask, use_reentrant=False)
    return block(x, attn_mask=attn_mask)


def init_prompt(num_tokens: int, width: int, std: float = 0.02) -> nn.Parameter:
    """Create a prompt parameter ``[num_tokens, width]`` drawn from N(0, std)."""
    param = nn.Parameter(torch.empty(num_tokens, width))
    nn.init.normal_(param, std=std)
    return param
