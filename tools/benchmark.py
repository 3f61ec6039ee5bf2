"""Speed, memory and FLOPs of GA2-CLIP at the real architecture (random weights, no downloads), and the data path.

Thin script; the code is :mod:`ga2clip_mmaction.benchmark.speed` (``--help`` lists the options).
"""
from ga2clip_mmaction.benchmark.speed import main

if __name__ == '__main__':
    main()
