"""Utilities: secure checkpoint loading and helpers shared by tools and components."""
from .checkpoint import (SAFE_GLOBALS, TRUST_ENV, UntrustedCheckpointError,
                         load_local_checkpoint, safe_torch_load)

__all__ = [
    'SAFE_GLOBALS', 'TRUST_ENV', 'UntrustedCheckpointError', 'load_local_checkpoint',
    'safe_torch_load'
]
