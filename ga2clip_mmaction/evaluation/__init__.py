"""Registered evaluation components and result helpers."""
from .aggregate import aggregate_runs, format_mean_std, mean_std, split_run_indices, split_run_name
from .metrics import BaseNovelMetric, base_novel_accuracy, harmonic_mean
from .paired import paired_difference
from .published import BASE_TO_NOVEL, FEW_SHOT
from .summary import format_csv, format_markdown, read_run_metrics, summarize_runs
from .zero_shot import aggregate_zero_shot, format_zero_shot_markdown

__all__ = [
    'BASE_TO_NOVEL', 'FEW_SHOT', 'format_csv', 'format_markdown', 'read_run_metrics',
    'summarize_runs', 'BaseNovelMetric', 'aggregate_runs', 'aggregate_zero_shot', 'base_novel_accuracy',
    'format_mean_std', 'format_zero_shot_markdown', 'harmonic_mean', 'mean_std',
    'paired_difference', 'split_run_indices', 'split_run_name'
]
