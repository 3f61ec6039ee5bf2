"""Data-preparation helpers shared by ``tools/data/*`` (dataset fingerprints and their diff). Imported explicitly;
``import ga2clip_mmaction`` does not load it."""
