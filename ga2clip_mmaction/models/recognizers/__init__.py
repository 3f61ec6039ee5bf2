"""Recognizers."""
from .ga2clip import FREEZE_POLICIES, GA2CLIPRecognizer
from .vilt_clip import ViLTCLIPRecognizer

__all__ = ['GA2CLIPRecognizer', 'ViLTCLIPRecognizer', 'FREEZE_POLICIES']
