"""Registered runners."""
from .ga2clip_runner import GA2CLIPRunner

__all__ = ['GA2CLIPRunner']
