"""The released GA2-CLIP training computation, re-implemented on our modules' weights (a verification reference).

The released code itself is not a dependency. This module runs its computation with the weights of a built
:class:`GA2CLIPRecognizer`, so its loss can be compared with ours (:func:`released_loss` vs the recognizer's
``loss``) and its step timed against ours (``tools/benchmark.py``'s ``released`` variant):

* OpenAI CLIP's sequence-first layout (``[L, N, w]`` through every block), with
  ``nn.MultiheadAttention(batch_first=False)`` semantics via ``F.multi_head_attention_forward``;
* the text tower on all ``context_length`` tokens with the float causal mask;
* the class prompts re-encoded every step, the anchor-prompt text re-encoded (frozen) every step;
* the anchor clips forwarded and backpropagated with the main clips (the official anchor logit term).

Beside :mod:`.parity` (numerical parity with fixtures of the released code) it is the second model-verification
reference; it needs no fixture.
"""
from typing import Callable, Optional

import torch
import torch.nn.functional as F
import torch.utils.checkpoint


def released_block(block: torch.nn.Module, x_lnd: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor:
    """One residual block as OpenAI CLIP runs it.

    Args:
        block (nn.Module): An open_clip ``ResidualAttentionBlock`` (its weights are used).
        x_lnd (Tensor): Tokens ``[L, N, w]`` (sequence first).
        mask (Tensor, optional): Additive float attention mask ``[L, L]``.

    Returns:
        Tensor: ``[L, N, w]``.
    """
    attn = block.attn
    y = block.ln_1(x_lnd)
    a = F.multi_head_attention_forward(
        y, y, y, attn.embed_dim, attn.num_heads, attn.in_proj_weight, attn.in_proj_bias, None, None, False,
        0.0, attn.out_proj.weight, attn.out_proj.bias, training=attn.training, need_weights=False,
        attn_mask=mask)[0]
    x_lnd = x_lnd + block.ls_1(a)
    return x_lnd + block.ls_2(block.mlp(block.ln_2(x_lnd)))


def _maybe_checkpoint(fn: Callable, use: bool, x: torch.Tensor) -> torch.Tensor:
    """``fn(x)``, under ``torch.utils.checkpoint`` (as released) when ``use`` and ``x`` needs a gradient."""
    if use and x.requires_grad:
        return torch.utils.checkpoint.checkpoint(fn, x, use_reentrant=False)
    return fn(x)


def released_frames(backbone: torch.nn.Module, frames: torch.Tensor) -> torch.Tensor:
    """The released prompted image tower with ``backbone``'s weights.

    Args:
        backbone (nn.Module): A :class:`PromptedCLIPVision`.
        frames (Tensor): Frames ``[M, C, H, W]``.

    Returns:
        Tensor: Frame embeddings ``[M, D]``.
    """
    v = backbone.visual
    x = backbone._embed_frames(frames)
    n, m = backbone.vision_ctx, x.shape[0]
    x = torch.cat([x, backbone.prompt.unsqueeze(0).expand(m, -1, -1)], dim=1)
    x = v.ln_pre(x).permute(1, 0, 2)  # NLD -> LND, once, as released
    use = backbone.grad_checkpointing and backbone.training
    for i, block in enumerate(v.transformer.resblocks):
        if 1 <= i < backbone.vision_depth:
            x = torch.cat([x[:-n], backbone.deep_prompts[i - 1].unsqueeze(1).expand(-1, m, -1)], dim=0)
        x = _maybe_checkpoint(lambda t, b=block: released_block(b, t, None), use, x)
    x = x.permute(1, 0, 2)
    return v.ln_post(x[:, 0]) @ v.proj


def released_text(head: torch.nn.Module, tokens: torch.Tensor, prompted: bool = True) -> torch.Tensor:
    """The released text encoder: all tokens, float causal mask, sequence first.

    Args:
        head (nn.Module): A :class:`PromptCouplingHead` (text tower and prompt learner).
        tokens (Tensor): Token ids ``[N, context_length]``.
        prompted (bool): Use the tuned (deep) prompts; ``False`` is the frozen CLIP. Defaults to True.

    Returns:
        Tensor: Text features ``[N, D]``.
    """
    text, learner = head.text, head.prompt_learner
    x = head.prompt_embeddings(tokens) if prompted else text.embed(tokens)
    x = (x + text.positional_embedding).permute(1, 0, 2)
    mask = text.attn_mask
    deep = learner.deep_prompts() if prompted else []
    start = learner.deep_start
    use = head.grad_checkpointing and head.training and prompted
    for i, block in enumerate(text.transformer.resblocks):
        if 1 <= i <= len(deep):
            p = deep[i - 1]
            x = torch.cat([x[:start], p.unsqueeze(1).expand(-1, x.shape[1], -1), x[start + p.shape[0]:]], 0)
        x = _maybe_checkpoint(lambda t, b=block: released_block(b, t, mask), use, x)
    x = text.ln_final(x.permute(1, 0, 2))
    x = x[torch.arange(x.shape[0]), tokens.argmax(dim=-1)]
    return x @ text.text_projection


def released_loss(model: torch.nn.Module, clips: torch.Tensor, labels: torch.Tensor,
                  anchor: torch.Tensor) -> torch.Tensor:
    """The released training loss on ``model``'s weights.

    Main and anchor clips go through the image tower in one pass, the class prompts and (frozen) anchor prompts
    are re-encoded, and the anchor cosine is added to the class cosine (official mode) before the cross entropy.

    Args:
        model (nn.Module): A :class:`GA2CLIPRecognizer` (``anchor_loss`` official or ``None``).
        clips (Tensor): Main clips ``[B, C, T, H, W]``.
        labels (Tensor): Labels ``[B]``.
        anchor (Tensor): Anchor clips ``[A, C, T, H, W]``.

    Returns:
        Tensor: The scalar loss.
    """
    head, b = model.cls_head, clips.shape[0]
    x = torch.cat([clips, anchor])
    n, c, t, h, w = x.shape
    emb = released_frames(model.backbone, x.permute(0, 2, 1, 3, 4).reshape(n * t, c, h, w)).view(n, t, -1)
    emb = emb.mean(dim=1)
    text = released_text(head, head.class_tokens)
    cos = F.normalize(emb[:b], dim=-1) @ F.normalize(text, dim=-1).t()
    anchor_loss = model.anchor_loss
    if anchor_loss is not None:
        tokens = head.text.tokenize(anchor_loss.prompts)
        with torch.no_grad():  # the released code re-encodes the anchor prompts with a frozen CLIP each step
            anchor_text = released_text(head, tokens, prompted=False)
        cos = cos + anchor_loss.loss_weight * (F.normalize(emb[b:], dim=-1) @ F.normalize(anchor_text, dim=-1).t())
    return F.cross_entropy(head.logit_scale * cos, labels)
