"""The synthetic world: roles, captions and rendering."""
from itertools import product

import numpy as np
import pytest

from ga2clip_mmaction.synthetic import world


def test_roles_partition_the_pairs():
    roles = {r: world.role_pairs(r) for r in ('base', 'novel', 'stage1', 'anchor')}
    every = [p for pairs in roles.values() for p in pairs]
    assert sorted(every) == sorted(product(world.COLOURS, world.SHAPES))
    for role in ('base', 'novel'):
        colours = [c for c, _ in roles[role]]
        shapes = [s for _, s in roles[role]]
        # every colour and shape twice: no novel class is decided by colour or shape alone
        assert all(colours.count(c) == 2 for c in world.COLOURS)
        assert all(shapes.count(s) == 2 for s in world.SHAPES)
    assert set(world.pretrain_pairs()).isdisjoint(roles['novel'])
    with pytest.raises(KeyError, match='Unknown role'):
        world.role_pairs('test')


def test_caption_constraints_match_attributes():
    red_star = world.Attributes('red', 'star', size='small', texture='striped', background='white')
    caps = dict(world.pretrain_captions())
    assert world.caption_matches(caps['a small striped red star on a white background'], red_star)
    assert world.caption_matches(caps['red object'], red_star)
    assert world.caption_matches(caps['a photo of a star'], red_star)
    assert not world.caption_matches(caps['a large red star'], red_star)
    assert not world.caption_matches(caps['a plain star'], red_star)
    assert red_star.caption() == 'a small striped red star standing still on a white background'


def test_render_video_moves_the_object():
    rng = np.random.default_rng(0)
    attrs = world.Attributes('blue', 'square', size='small', background='black', motion='right')
    clip = world.render_video(attrs, 8, 64, rng)
    assert clip.shape == (8, 64, 64, 3) and clip.dtype == np.uint8
    # blue channel mass (the object) moves to the right
    xs = [np.nonzero(f[..., 2].astype(int) - f[..., 0] > 100)[1].mean() for f in clip]
    assert xs[-1] - xs[0] > 10
    # the object keeps its colour: blue dominates inside it
    obj = clip[0][clip[0][..., 2].astype(int) - clip[0][..., 0] > 100]
    assert obj[:, 2].mean() > 150 > obj[:, 0].mean()


def test_render_is_deterministic_and_shapes_differ():
    a = world.render_image(world.Attributes('red', 'circle'), 64, np.random.default_rng(3))
    b = world.render_image(world.Attributes('red', 'circle'), 64, np.random.default_rng(3))
    c = world.render_image(world.Attributes('red', 'cross'), 64, np.random.default_rng(3))
    assert np.array_equal(a, b)
    area = lambda img: int((img[..., 0].astype(int) - img[..., 1] > 100).sum())  # noqa: E731
    assert area(a) > 1.3 * area(c)  # a disc covers more than a cross of the same radius
