"""RobustVideoDataset: every bad-video kind under 'raise' and 'skip' (each under a harness timeout),
deterministic substitutes, pipeline bugs not mistaken for bad videos, per-sample seeded augmentation."""
import os.path as osp

import numpy as np
import pytest
import torch

import ga2clip_mmaction  # noqa: F401
from ga2clip_mmaction.datasets import BadVideoError, RobustVideoDataset
from ga2clip_mmaction.utils.randomness import DrawIndex
from tests.reliability.harness import ChildError, run_with_timeout
from tests.reliability.world import BAD_KINDS, write_bad_video, write_video

PIPELINE = [
    dict(type='DecordInit'), dict(type='SegmentSample', num_segments=2), dict(type='DecordDecode'),
    dict(type='Resize', scale=(16, 16), keep_ratio=False), dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW'), dict(type='PackActionInputs', meta_keys=('filename', ))]

#: What the user reads for each kind (after the path).
REASONS = {
    'missing': 'file not found',
    'empty': r'empty file \(0 bytes\)',
    'truncated': 'DecordInit: RuntimeError: Error reading',
    'random_bytes': 'DecordInit: RuntimeError: Error reading',
    'too_few_frames': '1 frames, the pipeline needs at least 2 \\(min_frames\\)',
}

#: The readable substitute (good_<i>.mp4) of a bad class-0 index drawn at positions 0..11 (seed, rank, epoch 0).
SUBSTITUTES_AT_POSITIONS = [2, 1, 3, 2, 1, 3, 2, 3, 1, 1, 3, 3]


@pytest.fixture
def world(tmp_path):
    """4 readable videos of class 0, 2 of class 1 and one of each bad kind (class 0); returns
    ``(root, {kind: line index})``."""
    lines = []
    for i in range(6):
        write_video(str(tmp_path / f'good_{i}.mp4'), seed=i, label=i)
        lines.append(f'good_{i}.mp4 {int(i >= 4)}')
    index = {}
    for kind in BAD_KINDS:
        write_bad_video(str(tmp_path / f'bad_{kind}.mp4'), kind, str(tmp_path / 'good_0.mp4'))
        index[kind] = len(lines)
        lines.append(f'bad_{kind}.mp4 0')
    (tmp_path / 'ann.txt').write_text('\n'.join(lines) + '\n')
    return str(tmp_path), index


def dataset(root, **kwargs):
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmaction'):
        return RobustVideoDataset(ann_file=osp.join(root, 'ann.txt'), data_prefix=dict(video=root),
                                  pipeline=PIPELINE, min_frames=2, **kwargs)


@pytest.mark.parametrize('kind', BAD_KINDS)
def test_raise_names_the_file_and_the_reason(world, kind):
    root, index = world
    ds = dataset(root, test_mode=True)  # val/test default: raise
    assert ds.bad_video == 'raise'
    with pytest.raises(ChildError) as err:
        run_with_timeout(lambda: ds[index[kind]], timeout=60)
    assert err.value.type_name == 'BadVideoError'
    assert err.value.message.startswith(osp.join(root, f'bad_{kind}.mp4: '))
    assert __import__('re').search(REASONS[kind], err.value.message), err.value.message


@pytest.mark.parametrize('kind', BAD_KINDS)
def test_skip_substitutes_and_records_the_bad_video(world, kind):
    root, index = world
    ds = dataset(root)  # training default: skip
    assert ds.bad_video == 'skip'
    draw = DrawIndex(index[kind], (0, 0, 0, 3))
    path, inputs, bad = run_with_timeout(lambda: _fetch(ds, draw), timeout=60)
    assert path.startswith(osp.join(root, 'good_'))  # a readable substitute
    assert inputs == (1, 3, 2, 16, 16)
    assert [p for p, _ in bad][0] == osp.join(root, f'bad_{kind}.mp4')
    assert __import__('re').search(REASONS[kind], bad[0][1])
    # the substitute is a function of the draw, not of the process' random state
    np.random.seed(123)
    assert run_with_timeout(lambda: _fetch(ds, draw), timeout=60)[0] == path
    # and each draw of the bad index gets its own substitute, from the bad video's class only (class 0: good_0..3,
    # so a few-shot list keeps its class balance). Pinned: the substitute of each position (seed 0, rank 0,
    # epoch 0) is fixed by the draw alone, for every kind (a bad substitute is itself replaced at the next attempt).
    paths = run_with_timeout(lambda: [_fetch(ds, DrawIndex(index[kind], (0, 0, 0, p)))[0] for p in range(12)],
                             timeout=120)
    assert paths == [osp.join(root, f'good_{i}.mp4') for i in SUBSTITUTES_AT_POSITIONS]


def _fetch(ds, idx):
    out = ds[idx]
    sample = out['data_samples']
    return sample.metainfo['filename'], tuple(out['inputs'].shape), sample.metainfo.get('bad_videos')


def test_readable_samples_carry_no_bad_list(world):
    root, _ = world
    out = dataset(root)[1]
    assert 'bad_videos' not in out['data_samples'].metainfo


def test_skip_in_test_mode_is_refused(world):
    with pytest.raises(ValueError, match="bad_video='skip' is for training"):
        dataset(world[0], test_mode=True, bad_video='skip')
    with pytest.raises(ValueError, match="bad_video must be one of"):
        dataset(world[0], bad_video='ignore')


def test_only_bad_files_stop_after_max_refetch(tmp_path):
    write_bad_video(str(tmp_path / 'a.mp4'), 'empty', __file__)
    (tmp_path / 'ann.txt').write_text('a.mp4 0\n')
    ds = dataset(str(tmp_path), max_refetch=3)
    with pytest.raises(BadVideoError, match=r'no readable video after 3 substitutions .*a.mp4 \(empty file'):
        ds[0]


def test_an_error_after_decoding_is_a_pipeline_bug_not_a_bad_video(world):
    root, _ = world
    from mmengine.registry import DefaultScope
    bad_pipeline = PIPELINE[:3] + [dict(type='PackActionInputs', collect_keys=('no_such_key', ))]
    with DefaultScope.overwrite_default_scope('mmaction'):
        ds = RobustVideoDataset(ann_file=osp.join(root, 'ann.txt'), data_prefix=dict(video=root),
                                pipeline=bad_pipeline)
    with pytest.raises(KeyError, match='no_such_key') as err:  # PackActionInputs' own error, not BadVideoError
        ds[0]
    assert type(err.value) is KeyError


def test_a_draw_seeds_its_augmentation_and_leaves_every_generator_alone(world, monkeypatch):
    """Augmentation is a function of the draw (seed, rank, epoch, position), not of process history; each
    draw of the same index gets its own clip; no global generator, CPU or CUDA, is reseeded or changed."""
    root, _ = world
    ds = dataset(root)

    def clip(index, position, burn, rank=0, epoch=0):
        np.random.seed(burn)  # process history must not matter
        torch.manual_seed(burn)
        return ds[DrawIndex(index, (7, rank, epoch, position))]['inputs']

    assert torch.equal(clip(2, 5, burn=1), clip(2, 5, burn=2))
    base = clip(2, 0, burn=0)
    assert not torch.equal(base, clip(2, 1, burn=0))  # the same index drawn again in the epoch
    assert not torch.equal(base, clip(2, 0, burn=0, rank=1))  # another rank
    assert not torch.equal(base, clip(2, 0, burn=0, epoch=1))  # another epoch
    reseeded = []
    monkeypatch.setattr(torch.cuda, 'manual_seed_all', lambda seed: reseeded.append(seed))
    state, torch_state = np.random.get_state()[1].copy(), torch.get_rng_state()
    ds[DrawIndex(0, (7, 0, 0, 0))]
    assert np.array_equal(np.random.get_state()[1], state) and torch.equal(torch.get_rng_state(), torch_state)
    assert reseeded == []  # torch.manual_seed would reseed every CUDA generator


class _EpochSampler:
    """Indices 0..3 in order, with the seed and epoch a DefaultSampler has."""
    seed, epoch = 5, 0

    def __iter__(self):
        return iter(range(4))

    def __len__(self):
        return 4

    def set_epoch(self, epoch):
        self.epoch = epoch


def test_persistent_workers_augment_each_draw_as_the_main_process_does(world):
    """The draw travels with the index, so a persistent DataLoader worker augments as the main process and
    follows each new epoch."""
    from mmengine.dataset import pseudo_collate
    from torch.utils.data import DataLoader
    from ga2clip_mmaction.datasets import SeededBatchSampler
    root, _ = world
    ds = dataset(root)
    expected = {epoch: [ds[DrawIndex(i, (5, 0, epoch, i))]['inputs'] for i in range(4)] for epoch in (0, 1)}
    batch_sampler = SeededBatchSampler(_EpochSampler(), batch_size=4)
    loader = DataLoader(ds, batch_sampler=batch_sampler, num_workers=1, persistent_workers=True,
                        collate_fn=pseudo_collate, multiprocessing_context='fork')

    def run():
        got = {}
        for epoch in (0, 1):
            batch_sampler.set_epoch(epoch)  # what DistSamplerSeedHook does before each epoch
            (batch, ) = list(loader)
            got[epoch] = [t.numpy().copy() for t in batch['inputs']]  # numpy: plain pickles to the parent
        return got

    got = run_with_timeout(run, timeout=120)
    for epoch in (0, 1):
        assert all(np.array_equal(a, b.numpy()) for a, b in zip(got[epoch], expected[epoch]))
    assert not all(torch.equal(a, b) for a, b in zip(expected[0], expected[1]))


class MemoryBackend(__import__('mmengine').fileio.BaseStorageBackend):
    """A file backend holding files in a dict (stands for petrel, http, ...: no local path exists)."""
    files = {}

    def __init__(self, **kwargs):
        pass

    def exists(self, filepath):
        return str(filepath) in self.files

    def isfile(self, filepath):
        return self.exists(filepath)

    def get(self, filepath):
        return self.files[str(filepath)]

    def get_text(self, filepath, encoding='utf-8'):
        return self.get(filepath).decode(encoding)


def test_existence_checks_go_through_the_file_backend(world):
    from mmengine.fileio import register_backend

    from ga2clip_mmaction.datasets.robust_video_dataset import file_problem
    register_backend('ga2test_mem', MemoryBackend, force=True, prefixes='ga2testmem')
    root, _ = world
    MemoryBackend.files['ga2testmem://bucket/good.mp4'] = open(osp.join(root, 'good_0.mp4'), 'rb').read()
    assert file_problem('ga2testmem://bucket/good.mp4') is None  # osp.exists would call it missing
    assert file_problem('ga2testmem://bucket/gone.mp4') == 'file not found'
    assert file_problem(osp.join(root, 'bad_empty.mp4')) == 'empty file (0 bytes)'  # local: size checked
