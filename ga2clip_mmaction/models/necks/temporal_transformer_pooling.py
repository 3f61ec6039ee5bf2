"""A small temporal transformer over frame embeddings, then mean (the released unused option)."""
import torch
from mmaction.registry import MODELS
from mmengine.model import BaseModule
from torch import nn


@MODELS.register_module()
class TemporalTransformerPooling(BaseModule):
    """Frame embeddings + learnable time embedding -> transformer encoder -> residual -> mean over time.

    A residual path keeps the input frames; the transformer's output is added to them before the mean. Used as
    the recognizer's neck: ``neck=dict(type='TemporalTransformerPooling', embed_dim=512, num_layers=6)``.

    Args:
        embed_dim (int): Embedding width D (the backbone's output width, ``embed_dim`` of
            :class:`PromptedCLIPVision`).
        num_layers (int): Encoder layers. Defaults to 6.
        num_heads (int): Attention heads (``embed_dim // 64`` when None). Defaults to None.
        max_frames (int): Size of the time embedding table. Defaults to 64.
        init_cfg (dict, optional): MMEngine init config. Defaults to None.

    Shapes:
        - Input: ``[N, T, D]``, ``T <= max_frames``.
        - Output: ``[N, D]``.
    """

    def __init__(self, embed_dim: int, num_layers: int = 6, num_heads: int = None,
                 max_frames: int = 64, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        heads = num_heads or max(embed_dim // 64, 1)
        self.time_embed = nn.Parameter(torch.zeros(max_frames, embed_dim))
        layer = nn.TransformerEncoderLayer(embed_dim, heads, dim_feedforward=4 * embed_dim,
                                           dropout=0.0, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, T, D] -> [N, D]``."""
        t = x.shape[1]
        if t > self.time_embed.shape[0]:
            raise ValueError(f'TemporalTransformerPooling: {t} frames > max_frames={self.time_embed.shape[0]}')
        y = self.encoder(x + self.time_embed[:t].to(x.dtype))
        return (x + y).mean(dim=1)
