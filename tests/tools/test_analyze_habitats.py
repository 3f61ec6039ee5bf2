"""projects/ga2clip_demo/tools/analyze_habitats.py: novel accuracy in and out of the class habitats."""
import importlib

import numpy as np
import pytest

from ga2clip_demo.synthetic import world


@pytest.fixture(scope='module')
def tool():
    return importlib.import_module('ga2clip_demo.analyze_habitats')


def _clip(label, habitat):
    colour, shape = world.role_pairs('novel')[label]
    bg, texture, size = habitat
    return world.Attributes(colour, shape, size=size, texture=texture, background=bg, motion='left').caption()


def test_split_counts_each_group(tool):
    habitats = world.class_habitats('novel')
    other = next(h for h in world.HABITATS if h != habitats[0])
    # four novel clips of class 0 (label 2 + 0 in a 2-base space): two in habitat, two outside
    captions = {'a': _clip(0, habitats[0]), 'b': _clip(0, habitats[0]), 'c': _clip(0, other), 'd': _clip(0, other),
                'base': 'unused'}
    scores = np.zeros((5, 2 + 12))
    scores[0, 2] = scores[2, 2] = scores[3, 2] = 1  # right
    scores[1, 3] = 1  # wrong novel class
    scores[4, 0] = 1  # a base clip, ignored
    labels = np.array([2, 2, 2, 2, 0])
    got = tool.habitat_split(scores, labels, ['a', 'b', 'c', 'd', 'base'], captions, num_base=2)
    assert got == dict(novel=0.75, in_habitat=0.5, off_habitat=1.0, n_in=2, n_off=2)


def test_split_uses_the_habitats_of_its_world_seed(tool):
    seed = next(s for s in range(1, 50) if world.class_habitats('novel', s)[0] != world.class_habitats('novel')[0])
    captions = {'a': _clip(0, world.class_habitats('novel', seed)[0])}
    scores = np.zeros((1, 2 + 12))
    scores[0, 2] = 1
    args = (scores, np.array([2]), ['a'], captions)
    assert tool.habitat_split(*args, num_base=2, seed=seed)['n_in'] == 1
    assert tool.habitat_split(*args, num_base=2)['n_in'] == 0  # world 0's habitat of that class is another


def test_zero_shot_on_a_generated_world(tool, tmp_path, monkeypatch):
    gen = importlib.import_module('ga2clip_demo.make_synthetic_videos')
    monkeypatch.chdir(tmp_path)
    gen.main(['--out', 'data/synthetic', '--shots', '1', '--base-pool', '1', '--val-per-class', '2',
              '--stage1-per-class', '1', '--anchors-per-class', '1', '--frames', '2'])
    out = tool.main(['--zero-shot'])['zero-shot CLIP']
    assert out['n_in'] + out['n_off'] == 24
    assert out['n_in'] > out['n_off']  # 80 % of the clips show their habitat
    weighted = (out['in_habitat'] * out['n_in'] + (out['off_habitat'] * out['n_off'] if out['n_off'] else 0)) / 24
    assert out['novel'] == pytest.approx(weighted)
    assert out['novel'] > 1 / 12  # the tiny CLIP knows unseen compositions
