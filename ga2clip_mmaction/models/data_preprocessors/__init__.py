"""Registered data preprocessors."""
from .anchor_data_preprocessor import AnchorActionDataPreprocessor

__all__ = ['AnchorActionDataPreprocessor']
