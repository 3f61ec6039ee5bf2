"""Registered engine components (hooks, runners)."""
from .hooks import ClassNamesHook
from .runners import DistBackendRunner

__all__ = ['ClassNamesHook', 'DistBackendRunner']
