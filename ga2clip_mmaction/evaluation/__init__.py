"""Registered evaluation components and result helpers."""
from .metrics import BaseNovelMetric, base_novel_accuracy, harmonic_mean

__all__ = ['BaseNovelMetric', 'base_novel_accuracy', 'harmonic_mean']
