"""The embedded demo: base-to-novel on synthetic worlds with the tiny CLIP, on a CPU, as repeated runs.

Thin script; the code is :mod:`ga2clip_demo.run_demo`.
"""
from ga2clip_demo.run_demo import main

if __name__ == '__main__':
    main()
