"""Losses."""
from .anchor_loss import AnchorLoss

__all__ = ['AnchorLoss']
