"""Utilities: checkpoint loading and helpers shared by tools and components."""
from .checkpoint import SAFE_GLOBALS, UntrustedCheckpointError, allow_mmengine_globals, safe_torch_load

__all__ = ['SAFE_GLOBALS', 'UntrustedCheckpointError', 'allow_mmengine_globals', 'safe_torch_load']
