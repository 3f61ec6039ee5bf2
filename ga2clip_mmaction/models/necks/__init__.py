"""Temporal pooling of per-frame embeddings."""
from .mean_temporal_pooling import MeanTemporalPooling
from .temporal_transformer_pooling import TemporalTransformerPooling

__all__ = ['MeanTemporalPooling', 'TemporalTransformerPooling']
