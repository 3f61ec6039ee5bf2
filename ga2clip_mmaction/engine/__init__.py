"""Registered engine components (hooks)."""
from .hooks import ClassNamesHook

__all__ = ['ClassNamesHook']
