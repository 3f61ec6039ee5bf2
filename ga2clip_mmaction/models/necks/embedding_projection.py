"""Projection of any backbone's video features to the text embedding size (mixing GA2-CLIP's head with
other MMAction2 backbones)."""
from typing import Optional

import torch
from mmaction.registry import MODELS
from mmengine.model import BaseModule
from torch import nn


@MODELS.register_module()
class EmbeddingProjection(BaseModule):
    """Map backbone features of width ``in_channels`` to the CLIP text embedding size ``out_channels``.

    One ``Linear`` (``hidden_channels=None``) or ``Linear -> GELU -> Linear``, with optional dropout before
    it, applied on the channel axis. It accepts the layouts MMAction2 backbones produce:

    * ``[N, C]`` (a clip embedding, e.g. ``TimeSformer``'s CLS token) -> ``[N, D]``;
    * ``[N, T, C]`` (frame-wise, e.g. :class:`PromptedCLIPVision`) -> ``[N, T, D]``;
    * ``[N, C, t, h, w]`` (clip-wise feature maps, e.g. ``ResNet3dSlowOnly``) -> averaged over ``h, w``,
      ``[N, t, D]``.

    In :class:`GA2CLIPRecognizer` (``neck=...``) it receives the temporally pooled ``[N, C]`` embedding.

    Args:
        in_channels (int): Feature width C of the backbone.
        out_channels (int): Text embedding size D (``text_projection`` width of the head's CLIP).
        hidden_channels (int, optional): Width of a hidden layer; None gives a single linear map.
            Defaults to None.
        dropout (float): Dropout on the input features. Defaults to 0.0.
        init_cfg (dict, optional): MMEngine init config. Defaults to truncated-normal linear weights.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 hidden_channels: Optional[int] = None,
                 dropout: float = 0.0,
                 init_cfg: Optional[dict] = dict(type='TruncNormal', layer='Linear', std=0.02, bias=0.0)
                 ) -> None:
        super().__init__(init_cfg=init_cfg)
        if in_channels <= 0 or out_channels <= 0:
            raise ValueError(f'EmbeddingProjection: in_channels and out_channels must be positive, '
                             f'got {in_channels}, {out_channels}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        layers = [nn.Dropout(dropout)] if dropout > 0 else []
        if hidden_channels is None:
            layers.append(nn.Linear(in_channels, out_channels))
        else:
            layers += [nn.Linear(in_channels, hidden_channels), nn.GELU(),
                       nn.Linear(hidden_channels, out_channels)]
        self.proj = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Project the channel axis (see the class docstring for the layouts).

        Args:
            x (Tensor): ``[N, C]``, ``[N, T, C]`` or ``[N, C, t, h, w]``.

        Returns:
            Tensor: ``[N, D]`` or ``[N, T, D]``.

        Raises:
            ValueError: Another rank, or a channel count other than ``in_channels``.
        """
        if x.dim() == 5:
            x = x.mean(dim=(3, 4)).transpose(1, 2)
        if x.dim() not in (2, 3):
            raise ValueError(f'EmbeddingProjection expects [N, C], [N, T, C] or [N, C, t, h, w], '
                             f'got {tuple(x.shape)}')
        if x.shape[-1] != self.in_channels:
            raise ValueError(f'EmbeddingProjection(in_channels={self.in_channels}) got features with '
                             f'{x.shape[-1]} channels ({tuple(x.shape)}): set neck.in_channels to the '
                             f'backbone output width')
        return self.proj(x)
