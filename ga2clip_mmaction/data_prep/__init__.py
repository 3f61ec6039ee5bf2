"""Data-preparation code shared by the ``tools/data`` scripts (imported by them, not by ``import ga2clip_mmaction``)."""
