"""Mean over time: per-frame embeddings -> video embedding (GA2-CLIP's released pooling)."""
import torch
from mmaction.registry import MODELS
from torch import nn


@MODELS.register_module()
class MeanTemporalPooling(nn.Module):
    """Average frame embeddings over time: the recognizer's neck in the released setting
    (``neck=dict(type='MeanTemporalPooling')``).

    Shapes:
        - Input: ``[N, T, D]``.
        - Output: ``[N, D]``.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Mean over the time axis."""
        return x.mean(dim=1)
