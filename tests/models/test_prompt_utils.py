"""prompt_utils: open_clip's blocks take the fused-QKV SDPA path, which equals the block's own forward; an
attention layout it does not handle (separate k/v widths) falls back to the block itself."""
import torch
from torch import nn

import ga2clip_mmaction  # noqa: F401
from ga2clip_mmaction.models.clip_weights import build_clip
from ga2clip_mmaction.models.prompt_utils import _is_plain_block, block_forward


def test_open_clip_blocks_take_the_fused_path_and_match_their_own_forward():
    torch.manual_seed(0)
    clip = build_clip(arch='GA2-Tiny-Random', weights=None)
    blocks = list(clip.visual.transformer.resblocks) + list(clip.transformer.resblocks)
    assert all(_is_plain_block(b) for b in blocks)
    block = blocks[0]
    x = torch.randn(2, 5, block.attn.embed_dim)
    with torch.no_grad():
        torch.testing.assert_close(block_forward(block, x), block(x), atol=1e-5, rtol=1e-5)


def test_attention_with_other_key_value_widths_is_not_taken_for_fused():
    torch.manual_seed(0)
    clip = build_clip(arch='GA2-Tiny-Random', weights=None)
    block = clip.visual.transformer.resblocks[0]
    width = block.attn.embed_dim
    block.attn = nn.MultiheadAttention(width, block.attn.num_heads, batch_first=True, kdim=width // 2,
                                       vdim=width // 2)
    assert block.attn.in_proj_weight is None and not _is_plain_block(block)
