"""The embedded demo of ga2clip_mmaction: a synthetic video world, the tiny CLIP pretrained on it, the demo's grid of
runs and its report (clustered statistics, tables, chart). Not part of the installed method package."""
