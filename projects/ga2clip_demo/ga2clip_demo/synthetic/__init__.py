"""The synthetic video world of the embedded demo (see ``docs/synthetic_world.md``)."""
from .render import render_image, render_video
from .world import (BACKGROUNDS, COLOURS, GENERIC_ATTRIBUTES, MOTIONS, SHAPES, SIZES, TEXTURES,
                    Attributes, caption_matches, pretrain_captions, pretrain_pairs, role_pairs,
                    sample_nuisance)

__all__ = [
    'BACKGROUNDS', 'COLOURS', 'GENERIC_ATTRIBUTES', 'MOTIONS', 'SHAPES', 'SIZES', 'TEXTURES',
    'Attributes', 'caption_matches', 'pretrain_captions', 'pretrain_pairs', 'render_image',
    'render_video', 'role_pairs', 'sample_nuisance'
]
