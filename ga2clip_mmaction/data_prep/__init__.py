"""Data-preparation helpers shared by ``tools/data/*`` (probing videos, checking a config's videos, class
folders -> annotation files, dataset fingerprints and their diff). Imported explicitly; ``import ga2clip_mmaction``
does not load it."""
from .video_probe import probe_all

__all__ = ['probe_all']
