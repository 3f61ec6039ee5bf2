"""Backbones."""
from .prompted_clip_vision import PromptedCLIPVision

__all__ = ['PromptedCLIPVision']
