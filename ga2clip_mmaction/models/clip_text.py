"""The CLIP text tower of an open_clip model, driven from outside with optional deep prompts."""
from typing import Callable, List, Optional, Sequence

import open_clip
import torch
from open_clip.model import CLIP
from torch import nn

from .prompt_utils import expand_prompt, run_block


class CLIPTextTower(nn.Module):
    """Holds the text half of an open_clip :class:`~open_clip.model.CLIP` (weights frozen).

    The submodules keep open_clip's names (``token_embedding``, ``positional_embedding``, ``transformer``,
    ``ln_final``, ``text_projection``, ``logit_scale``), so CLIP state dicts map one to one.

    Sequences are cut after the last EOT token of the batch before they enter the blocks: with the causal
    mask and EOT pooling nothing after it can change the features (exact, see :meth:`encode`).

    Args:
        clip (CLIP): The model whose text tower to take (its image tower is not kept).
        tokenizer (str | callable, optional): An open_clip model name (``open_clip.get_tokenizer(name)``)
            or a tokenizer (``texts -> [N, context_length]`` ids). Defaults to None (CLIP's BPE tokenizer,
            what ``open_clip.get_tokenizer`` gives for OpenAI-style models).
    """

    def __init__(self, clip: CLIP, tokenizer: Optional[object] = None) -> None:
        super().__init__()
        if getattr(clip, 'text_pool_type', 'argmax') != 'argmax':
            raise TypeError('Only CLIP text towers pooled at the EOT (argmax) token are supported')
        self.token_embedding = clip.token_embedding
        self.positional_embedding = clip.positional_embedding
        self.transformer = clip.transformer
        self.ln_final = clip.ln_final
        self.text_projection = clip.text_projection
        self.logit_scale = clip.logit_scale
        self.register_buffer('attn_mask', clip.attn_mask.clone(), persistent=False)
        self.context_length = self.positional_embedding.shape[0]
        self.width = self.ln_final.weight.shape[0]
        if tokenizer is None or isinstance(tokenizer, str):
            tokenizer = open_clip.get_tokenizer(tokenizer or 'ViT-B-16', context_length=self.context_length)
        self.tokenizer: Callable = tokenizer
        self.truncate = True  # cut after the last EOT (exact); False runs all context_length tokens
        self.requires_grad_(False)

    def tokenize(self, texts: Sequence[str]) -> torch.Tensor:
        """Tokenize with CLIP's BPE (lower-cased, SOT/EOT, zero padding).

        Args:
            texts (Sequence[str]): Prompt strings.

        Returns:
            Tensor: ``[len(texts), context_length]`` int64 token ids.
        """
        return self.tokenizer(list(texts)).to(self.positional_embedding.device)

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        """Token embeddings ``[N, L] -> [N, L, w]`` (before the positional embedding)."""
        return self.token_embedding(tokens)

    def encode(self,
               embeddings: torch.Tensor,
               tokens: torch.Tensor,
               deep_prompts: Optional[List[torch.Tensor]] = None,
               prompt_start: int = 1,
               grad_checkpointing: bool = False,
               emulate_fp16_prompt_grads: bool = False) -> torch.Tensor:
        """Run the tower on given input embeddings, replacing prompt positions in early blocks.

        Args:
            embeddings (Tensor): ``[N, L, w]`` input embeddings (before the positional embedding).
            tokens (Tensor): ``[N, L]`` token ids (the EOT position is their argmax).
            deep_prompts (list[Tensor], optional): ``deep_prompts[i-1]`` (``[n, w]``) replaces positions
                ``prompt_start .. prompt_start+n-1`` at the input of block ``i``. Defaults to None.
            prompt_start (int): First prompt position. Defaults to 1 (right after SOT).
            grad_checkpointing (bool): Checkpoint the blocks. Defaults to False.
            emulate_fp16_prompt_grads (bool): fp16 round trip of the released code on deep prompts.

        Returns:
            Tensor: ``[N, D]`` text features (EOT token, projected), not normalised.

        Only positions ``0 .. max(EOT)`` are run: under the causal mask a position attends to earlier ones only,
        so the EOT features do not depend on the tokens after it (truncation is exact up to float rounding).
        Under ``torch.compile`` all ``L`` positions run: the cut depends on the token values, which would break the
        graph (``Tensor.item``), and the text tower is < 1 % of a training step's FLOPs at the released shape.
        """
        eot = tokens.argmax(dim=-1)
        if self.truncate and not torch.compiler.is_compiling():
            length = int(eot.max()) + 1
            embeddings = embeddings[:, :length]
        length = embeddings.shape[1]
        x = embeddings + self.positional_embedding[:length].to(embeddings.dtype)
        mask = self.attn_mask[:length, :length].to(x.dtype)
        deep_prompts = deep_prompts or []
        for i, block in enumerate(self.transformer.resblocks):
            if 1 <= i <= len(deep_prompts):
                prompt = deep_prompts[i - 1]
                end = prompt_start + prompt.shape[0]
                deep = expand_prompt(prompt, x.shape[0], emulate_fp16_prompt_grads).to(x.dtype)
                x = torch.cat([x[:, :prompt_start], deep, x[:, end:]], dim=1)
            x = run_block(block, x, mask, grad_checkpointing, is_causal=True)
        x = self.ln_final(x)
        x = x[torch.arange(x.shape[0], device=x.device), eot]
        proj = self.text_projection
        return proj(x) if isinstance(proj, nn.Linear) else x @ proj

    def encode_text(self, texts: Sequence[str]) -> torch.Tensor:
        """Plain CLIP text features of prompt strings (no prompts), as open_clip's ``encode_text``.

        Args:
            texts (Sequence[str]): Prompt strings.

        Returns:
            Tensor: ``[N, D]``, not normalised.
        """
        tokens = self.tokenize(texts)
        return self.encode(self.embed(tokens), tokens)
