"""Necks: temporal pooling of per-frame embeddings, projection of other backbones' features."""
from .embedding_projection import EmbeddingProjection
from .mean_temporal_pooling import MeanTemporalPooling
from .temporal_transformer_pooling import TemporalTransformerPooling

__all__ = ['EmbeddingProjection', 'MeanTemporalPooling', 'TemporalTransformerPooling']
