"""The synthetic world: roles, captions and rendering."""
from itertools import product

import numpy as np
import pytest

from ga2clip_demo.synthetic import render, world


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
    clip = render.render_video(attrs, 8, 64, rng)
    assert clip.shape == (8, 64, 64, 3) and clip.dtype == np.uint8
    # blue channel mass (the object) moves to the right
    xs = [np.nonzero(f[..., 2].astype(int) - f[..., 0] > 100)[1].mean() for f in clip]
    assert xs[-1] - xs[0] > 10
    # the object keeps its colour: blue dominates inside it
    obj = clip[0][clip[0][..., 2].astype(int) - clip[0][..., 0] > 100]
    assert obj[:, 2].mean() > 150 > obj[:, 0].mean()


def test_render_is_deterministic_and_shapes_differ():
    a = render.render_image(world.Attributes('red', 'circle'), 64, np.random.default_rng(3))
    b = render.render_image(world.Attributes('red', 'circle'), 64, np.random.default_rng(3))
    c = render.render_image(world.Attributes('red', 'cross'), 64, np.random.default_rng(3))
    assert np.array_equal(a, b)
    area = lambda img: int((img[..., 0].astype(int) - img[..., 1] > 100).sum())  # noqa: E731
    assert area(a) > 1.3 * area(c)  # a disc covers more than a cross of the same radius


def test_habitats_are_distinct_inside_a_role_and_shared_across_roles():
    assert len(set(world.HABITATS)) == len(world.HABITATS) == 12
    per_role = {r: world.class_habitats(r) for r in ('base', 'novel', 'stage1', 'anchor')}
    for role, habitats in per_role.items():
        assert len(habitats) == len(world.role_pairs(role))
        assert len(set(habitats)) == len(habitats), role  # a role's scene decides its class
    assert set(per_role['base']) == set(per_role['novel']) == set(world.HABITATS)
    assert world.class_habitats('base', seed=0) == per_role['base']
    assert world.class_habitats('base', seed=1) != per_role['base']


def test_habitat_probability_sets_how_often_a_clip_shows_its_habitat():
    habitat = ('white', 'striped', 'small')

    def draw(prob, n=2000):
        rng = np.random.default_rng(11)
        return [world.sample_nuisance(rng, 'red', 'star', habitat=habitat, habitat_prob=prob)
                for _ in range(n)]

    def share(attrs):
        return np.mean([(a.background, a.texture, a.size) == habitat for a in attrs])

    assert share(draw(1.0)) == 1.0
    # 0.8 in the habitat plus 0.2 x 1/12 by chance
    assert share(draw(0.8)) == pytest.approx(0.8 + 0.2 / 12, abs=0.03)
    assert share(draw(0.0)) == pytest.approx(1 / 12, abs=0.02)
    # probability 0 draws nothing extra: the stream of the world without habitats
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    plain = [world.sample_nuisance(rng_a, 'red', 'star') for _ in range(20)]
    off = [world.sample_nuisance(rng_b, 'red', 'star', habitat=habitat, habitat_prob=0.0) for _ in range(20)]
    assert plain == off
    assert all(a.colour == 'red' and a.shape == 'star' for a in draw(1.0, 10))


def test_captions_parse_back():
    rng = np.random.default_rng(2)
    for colour, shape in world.role_pairs('novel'):
        attrs = world.sample_nuisance(rng, colour, shape)
        assert world.parse_caption(attrs.caption()) == attrs
    with pytest.raises(ValueError, match='Not a clip caption'):
        world.parse_caption('a red star')
    with pytest.raises(ValueError, match='Not a clip caption'):
        world.parse_caption('a large red star moving left on a black floor')
