"""Write the synthetic video world of the embedded demo (deterministic, a few seconds).

Thin script; the code is :mod:`ga2clip_demo.make_synthetic_videos`.
"""
from ga2clip_demo.make_synthetic_videos import main

if __name__ == '__main__':
    main()
