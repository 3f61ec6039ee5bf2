"""Mean over time: per-frame embeddings -> video embedding (GA2-CLIP's released pooling)."""
import torch
from mmaction.registry import MODELS
from torch import nn

from ...registry import TEMPORAL_POOLINGS


@TEMPORAL_POOLINGS.register_module(name='mean')
@MODELS.register_module()
class MeanTemporalPooling(nn.Module):
    """Average frame embeddings over time.

    Shapes:
        - Input: ``[N, T, D]``.
        - Output: ``[N, D]``.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Mean over the time axis."""
        return x.mean(dim=1)
