"""Contrastive pretraining of the tiny CLIP (``GA2-Tiny``) on the synthetic world, on CPU.

Thin script; the code is :mod:`ga2clip_demo.pretrain_tiny_clip`.
"""
from ga2clip_demo.pretrain_tiny_clip import main

if __name__ == '__main__':
    main()
