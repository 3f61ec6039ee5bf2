"""Registered data samplers."""
from .anchor_batch_sampler import AnchorBatchSampler
from .seeded_batch_sampler import SeededBatchSampler

__all__ = ['AnchorBatchSampler', 'SeededBatchSampler']
