"""projects/ga2clip_demo/tools/make_synthetic_videos.py: deterministic files in the real protocols' formats."""
import importlib
import os
import os.path as osp

import decord
import pytest

from ga2clip_mmaction.datasets.split_files import read_video_list
from ga2clip_demo.synthetic import world
from ga2clip_mmaction.utils.io import read_class_names

SMALL = ['--shots', '2', '--base-pool', '3', '--val-per-class', '1', '--stage1-per-class', '1',
         '--anchors-per-class', '1', '--frames', '6', '--size', '32']


def _files(root):
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            path = osp.join(d, n)
            with open(path, 'rb') as f:
                out[osp.relpath(path, root)] = f.read()
    return out


@pytest.fixture(scope='module')
def tool():
    return importlib.import_module('ga2clip_demo.make_synthetic_videos')


@pytest.fixture(scope='module')
def world_dir(tool, tmp_path_factory):
    root = str(tmp_path_factory.mktemp('synth') / 'a')
    tool.main(['--out', root] + SMALL)
    return root


def test_same_seed_same_bytes(tool, world_dir, tmp_path):
    other = str(tmp_path / 'b')
    tool.main(['--out', other] + SMALL)
    a, b = _files(world_dir), _files(other)
    assert sorted(a) == sorted(b)
    annotations = [k for k in a if not k.endswith('.mp4')]
    assert len(annotations) >= 15
    for key in annotations:
        assert a[key] == b[key], key


def test_other_seed_other_lists(tool, world_dir, tmp_path):
    other = str(tmp_path / 'c')
    tool.main(['--out', other, '--seed', '1'] + SMALL)
    rel = osp.join('splits', 'base2novel_splits', 'synth_splits', 'fs_base_s1_train.txt')
    captions = osp.join('videos', 'captions.tsv')
    a, c = _files(world_dir), _files(other)
    assert a[rel] != c[rel] or a[captions] != c[captions]


def test_second_run_is_skipped(tool, world_dir, capsys):
    tool.main(['--out', world_dir] + SMALL)
    assert 'already generated' in capsys.readouterr().out


def test_protocol_files(world_dir):
    labels = osp.join(world_dir, 'labels')
    base = read_class_names(osp.join(labels, 'synth_base_labels.csv'))
    novel = read_class_names(osp.join(labels, 'synth_novel_labels.csv'))
    assert len(base) == len(novel) == 12 and not set(base) & set(novel)
    assert read_class_names(osp.join(labels, 'synth_all_labels.csv')) == base + novel
    stage1 = read_class_names(osp.join(labels, 'synth_stage1_labels.csv'))
    anchors = read_class_names(osp.join(labels, 'synth_anchor_labels.csv'))
    assert not set(stage1) & set(base + novel + anchors)
    assert len(read_class_names(osp.join(labels, 'synth_generic_attributes.csv'))) == 12

    splits = osp.join(world_dir, 'splits', 'base2novel_splits', 'synth_splits')
    pool = read_video_list(osp.join(splits, 'base_train.txt'))
    assert len(pool) == 12 * 3
    for s in (1, 2, 3):
        fs = read_video_list(osp.join(splits, f'fs_base_s{s}_train.txt'))
        assert len(fs) == 12 * 2 and {e.path for e in fs} <= {e.path for e in pool}
        # every clip of class c lies in the folder of class c
        assert all(e.path.split('/')[1] == base[e.label].replace(' ', '_') for e in fs)
    base_val = read_video_list(osp.join(splits, 'base_val.txt'))
    novel_val = read_video_list(osp.join(splits, 'novel_val.txt'))
    both = read_video_list(osp.join(splits, 'base_novel_val.txt'))
    assert [e.path for e in both] == [e.path for e in base_val + novel_val]
    assert [e.label for e in both] == [e.label for e in base_val] + [e.label + 12 for e in novel_val]
    assert not {e.path for e in base_val} & {e.path for e in pool}
    anchor_list = read_video_list(osp.join(world_dir, 'anchors', 'anchor_clips.txt'))
    assert len(anchor_list) == 6 and all(e.label == 0 for e in anchor_list)
    assert {e.path.split('/')[1].replace('_', ' ') for e in anchor_list} == set(anchors)


def test_videos_decode(world_dir):
    splits = osp.join(world_dir, 'splits', 'base2novel_splits', 'synth_splits')
    entry = read_video_list(osp.join(splits, 'novel_val.txt'))[0]
    reader = decord.VideoReader(osp.join(world_dir, 'videos', entry.path))
    assert len(reader) == 6
    assert reader[0].shape == (32, 32, 3)


def test_pretraining_captions_hold_out_novel_pairs(world_dir):
    with open(osp.join(world_dir, 'pretrain', 'captions.tsv')) as f:
        rows = [line.rstrip('\n').split('\t') for line in f]
    assert rows[0] == ['caption', 'colour', 'shape', 'size', 'texture', 'background']
    named = {(r[1], r[2]) for r in rows[1:] if r[1] != '-' and r[2] != '-'}
    assert named == set(world.pretrain_pairs())
    assert not named & set(world.role_pairs('novel'))
    values = {v for r in rows[1:] for v in r[1:]}
    for vocab in (world.COLOURS, world.SHAPES, world.SIZES, world.TEXTURES, world.BACKGROUNDS):
        assert set(vocab) <= values


def test_clips_show_their_class_habitat(tool, tmp_path):
    root = str(tmp_path / 'h')
    tool.main(['--out', root, '--habitat-prob', '1'] + SMALL)
    with open(osp.join(root, 'videos', 'captions.tsv')) as f:
        captions = dict(line.rstrip('\n').split('\t') for line in list(f)[1:])
    assert len(captions) == 12 * 3 + 12 + 12 + 6 + 6  # base pool, base_val, novel_val, stage 1, anchors
    for role in ('base', 'novel', 'stage1', 'anchor'):
        for (colour, shape), (bg, texture, size) in zip(world.role_pairs(role), world.class_habitats(role)):
            clips = [c for p, c in captions.items() if p.startswith(f'{role}/{colour}_{shape}/')]
            assert clips, (role, colour, shape)
            for caption in clips:
                assert caption.startswith(f'a {size} ') and caption.endswith(f'on a {bg} background')
                assert ('striped' in caption) == (texture == 'striped')
