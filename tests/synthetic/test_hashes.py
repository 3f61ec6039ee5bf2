"""World fingerprints: regenerating a world reproduces its sha256s, the committed grid's worlds included."""
import importlib
import json
import os.path as osp

import pytest

from ga2clip_demo.synthetic.hashes import world_hashes

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
GRID = osp.join(REPO, 'docs', 'results', 'demo_full_grid.json')
SMALL = ['--shots', '2', '--base-pool', '3', '--val-per-class', '1', '--stage1-per-class', '1',
         '--anchors-per-class', '1', '--frames', '4', '--size', '32']


@pytest.fixture(scope='module')
def tool():
    return importlib.import_module('ga2clip_demo.make_synthetic_videos')


def test_same_seed_same_hashes_other_seed_other_annotations(tool, tmp_path):
    roots = {}
    for name, seed in (('a', 5), ('b', 5), ('c', 6)):
        roots[name] = str(tmp_path / name)
        tool.main(['--out', roots[name], '--seed', str(seed)] + SMALL)
    a, b, c = (world_hashes(roots[k]) for k in 'abc')
    assert a == b
    assert a['num_videos'] == 72 and len(a['annotations']) == 10 and len(a['class_names']) == 6
    assert 'splits/base2novel_splits/synth_splits/fs_base_s1_train.txt' in a['annotations']
    # the class names are the same in every world, the lists, captions and clips are not
    assert a['class_names'] == c['class_names']
    assert a['annotations']['videos/captions.tsv'] != c['annotations']['videos/captions.tsv']
    assert a['videos_sha256'] != c['videos_sha256']


def test_annotations_do_not_depend_on_the_clips(tool, tmp_path):
    full, bare = str(tmp_path / 'full'), str(tmp_path / 'bare')
    tool.main(['--out', full, '--seed', '9'] + SMALL)
    tool.main(['--out', bare, '--seed', '9', '--no-videos'] + SMALL)
    assert world_hashes(bare, videos=False) == {k: v for k, v in world_hashes(full).items()
                                                 if k in ('annotations', 'class_names')}
    assert world_hashes(bare)['num_videos'] == 0
    # the stamp tells a world without clips from a full one: asking for the clips writes them
    tool.main(['--out', bare, '--seed', '9'] + SMALL)
    assert world_hashes(bare) == world_hashes(full)


def test_no_world_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='no synthetic world'):
        world_hashes(str(tmp_path))


def test_the_committed_grid_worlds_regenerate(tool, tmp_path):
    """Every world of docs/results/demo_full_grid.json regenerates with the annotation and class-name files whose
    sha256 it records (the clips are not rewritten here: regenerating world 22001 with them gave the recorded
    videos_sha256 once, by hand, docs/synthetic_world.md)."""
    with open(GRID) as f:
        worlds = json.load(f)['worlds']
    assert [w['seed'] for w in worlds] == [22001, 22002, 22003]
    for w in worlds:
        root = str(tmp_path / f'w{w["seed"]}')
        tool.main(['--out', root, '--seed', str(w['seed']), '--no-videos'])
        got = world_hashes(root, videos=False)
        assert got['annotations'] == w['annotations'], w['seed']
        assert got['class_names'] == w['class_names'], w['seed']
