"""Losses."""
from .anchor_loss import AnchorLoss
from .handcrafted_consistency_loss import HandcraftedConsistencyLoss

__all__ = ['AnchorLoss', 'HandcraftedConsistencyLoss']
