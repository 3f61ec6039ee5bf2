"""Data-preparation code shared by the ``tools/data`` scripts (probing, fingerprints and their diff; imported by
them, not by ``import ga2clip_mmaction``)."""
