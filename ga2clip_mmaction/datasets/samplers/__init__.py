"""Registered data samplers."""
from .anchor_batch_sampler import AnchorBatchSampler

__all__ = ['AnchorBatchSampler']
