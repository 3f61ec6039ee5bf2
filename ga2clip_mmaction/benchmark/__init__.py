"""Parts of ``tools/benchmark.py``: model variants and their steps, timing, FLOP counts, the data path."""
