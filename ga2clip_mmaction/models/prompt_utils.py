"""Small helpers shared by the prompted vision and text towers."""
import contextlib
from typing import Optional

import torch
import torch.nn.functional as F
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


def _is_plain_block(block: nn.Module) -> bool:
    """Whether ``block`` is an open_clip ``ResidualAttentionBlock`` with a fused-QKV self-attention."""
    attn = getattr(block, 'attn', None)
    return (isinstance(attn, nn.MultiheadAttention) and attn.batch_first and attn.in_proj_weight is not None
            and attn.kdim == attn.vdim == attn.embed_dim
            and attn.in_proj_bias is not None and attn.bias_k is None
            and not hasattr(block, 'ln_1_kv') and all(hasattr(block, n) for n in ('ln_1', 'ls_1', 'ln_2',
                                                                                  'mlp', 'ls_2')))


def self_attention(attn: nn.MultiheadAttention, x: torch.Tensor, attn_mask: Optional[torch.Tensor] = None,
                   is_causal: bool = False) -> torch.Tensor:
    """Batch-first self-attention with the weights of ``attn``, through ``scaled_dot_product_attention``.

    Computes what ``attn(x, x, x, need_weights=False, attn_mask=attn_mask)[0]`` computes, but keeps the
    ``[N, L, w]`` layout: the input projection is one matrix multiplication over ``N * L`` rows (PyTorch's
    batch-first ``MultiheadAttention`` transposes to ``[L, N, w]`` first, which makes the projection a
    broadcast ``bmm`` when the weights are frozen) and the attention is PyTorch's fused kernel (flash /
    memory-efficient on GPUs when ``attn_mask`` is None, e.g. ``is_causal=True``).

    Args:
        attn (nn.MultiheadAttention): The block's attention (``batch_first``, fused QKV projection).
        x (Tensor): ``[N, L, w]``.
        attn_mask (Tensor, optional): Additive mask ``[L, L]``. Defaults to None.
        is_causal (bool): Causal attention (instead of a causal ``attn_mask``). Defaults to False.

    Returns:
        Tensor: ``[N, L, w]``.
    """
    n, length, width = x.shape
    heads = attn.num_heads
    qkv = F.linear(x, attn.in_proj_weight, attn.in_proj_bias)
    q, k, v = qkv.view(n, length, 3, heads, width // heads).permute(2, 0, 3, 1, 4).unbind(0)
    if attn_mask is not None:
        attn_mask = attn_mask.to(q.dtype)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=is_causal,
                                         dropout_p=attn.dropout if attn.training else 0.0)
    out = out.transpose(1, 2).reshape(n, length, width)
    return F.linear(out, attn.out_proj.weight, attn.out_proj.bias)


def block_forward(block: nn.Module, x: torch.Tensor, attn_mask: Optional[torch.Tensor] = None,
                  is_causal: bool = False) -> torch.Tensor:
    """One open_clip ``ResidualAttentionBlock`` on batch-first tokens, attention via :func:`self_attention`.

    ``x + ls_1(attn(ln_1(x)))`` then ``+ ls_2(mlp(ln_2(.)))`` with the block's own modules; blocks of
    another kind are called as they are (``is_causal`` then needs ``attn_mask``).

    Args:
        block (nn.Module): The block.
        x (Tensor): ``[N, L, w]``.
        attn_mask (Tensor, optional): Additive mask ``[L, L]``. Defaults to None.
        is_causal (bool): Causal self-attention. Defaults to False.

    Returns:
        Tensor: ``[N, L, w]``.
    """
    if not _is_plain_block(block):
        if is_causal and attn_mask is None:
            raise ValueError(f'{type(block).__name__}: is_causal needs an explicit attn_mask')
        return block(x, attn_mask=attn_mask)
    x = x + block.ls_1(self_attention(block.attn, block.ln_1(x), attn_mask, is_causal))
    return x + block.ls_2(block.mlp(block.ln_2(x)))


def run_block(block: nn.Module, x: torch.Tensor, attn_mask: Optional[torch.Tensor],
              use_checkpoint: bool, is_causal: bool = False) -> torch.Tensor:
    """Run one open_clip ``ResidualAttentionBlock`` (batch-first), with optional gradient checkpointing.

    Args:
        block (nn.Module): The block.
        x (Tensor): Tokens ``[N, L, w]``.
        attn_mask (Tensor, optional): Additive attention mask ``[L, L]``.
        use_checkpoint (bool): Recompute the block in backward instead of storing activations.
        is_causal (bool): Causal self-attention (the text tower); ``attn_mask`` is then only used for
            blocks that :func:`block_forward` does not drive itself. Defaults to False.

    Returns:
        Tensor: ``[N, L, w]``.
    """
    if is_causal and _is_plain_block(block):
        attn_mask = None
    if use_checkpoint and x.requires_grad:
        return checkpoint(block_forward, block, x, attn_mask, is_causal, use_reentrant=False)
    return block_forward(block, x, attn_mask, is_causal)


def init_prompt(num_tokens: int, width: int, std: float = 0.02) -> nn.Parameter:
    """Create a prompt parameter ``[num_tokens, width]`` drawn from N(0, std)."""
    param = nn.Parameter(torch.empty(num_tokens, width))
    nn.init.normal_(param, std=std)
    return param


def autocast_off(device_type: str):
    """A context that disables autocast on ``device_type`` (a no-op where autocast does not exist, e.g. meta).

    Args:
        device_type (str): ``tensor.device.type``.

    Returns:
        A context manager.
    """
    if torch.amp.is_autocast_available(device_type):
        return torch.autocast(device_type, enabled=False)
    return contextlib.nullcontext()
