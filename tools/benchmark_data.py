"""Clips/s per core of the released 32-frame data pipelines: decoding backend x video source, one interleaved run.

Thin script; the code is :mod:`ga2clip_mmaction.benchmark.data_loading` (``--help`` lists the options).
"""
from ga2clip_mmaction.benchmark.data_loading import main

if __name__ == '__main__':
    main()
