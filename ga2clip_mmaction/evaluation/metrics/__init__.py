"""Registered metrics."""
from .base_novel_metric import BaseNovelMetric, base_novel_accuracy, harmonic_mean

__all__ = ['BaseNovelMetric', 'base_novel_accuracy', 'harmonic_mean']
