"""Recognizers."""
from .ga2clip import FREEZE_POLICIES, GA2CLIPRecognizer

__all__ = ['GA2CLIPRecognizer', 'FREEZE_POLICIES']
