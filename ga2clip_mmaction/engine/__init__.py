"""Registered engine components (hooks, runners)."""
from .hooks import ClassNamesHook
from .runners import GA2CLIPRunner

__all__ = ['ClassNamesHook', 'GA2CLIPRunner']
