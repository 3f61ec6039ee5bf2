"""Registered runners."""
from .dist_backend_runner import DistBackendRunner

__all__ = ['DistBackendRunner']
