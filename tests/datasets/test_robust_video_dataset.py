"""RobustVideoDataset: every bad-video kind under 'raise' and 'skip' (each under a harness timeout),
deterministic substitutes, pipeline bugs not mistaken for bad videos, per-sample seeded augmentation."""
import os.path as osp

import numpy as np
import pytest
import torch

import ga2clip_mmaction  # noqa: F401
from ga2clip_mmaction.datasets import BadVideoError, RobustVideoDataset
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


@pytest.fixture
def world(tmp_path):
    """4 readable videos and one of each bad kind; returns ``(root, {kind: line index})``."""
    lines = []
    for i in range(4):
        write_video(str(tmp_path / f'good_{i}.mp4'), seed=i, label=i)
        lines.append(f'good_{i}.mp4 {i % 2}')
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
    path, inputs, bad = run_with_timeout(lambda: _fetch(ds, index[kind]), timeout=60)
    assert path.startswith(osp.join(root, 'good_'))  # a readable substitute
    assert inputs == (1, 3, 2, 16, 16)
    assert [p for p, _ in bad][0] == osp.join(root, f'bad_{kind}.mp4')
    assert __import__('re').search(REASONS[kind], bad[0][1])
    # the substitute is a function of the index, not of the process' random state
    np.random.seed(123)
    assert run_with_timeout(lambda: _fetch(ds, index[kind]), timeout=60)[0] == path


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
    with pytest.raises(Exception) as err:
        ds[0]
    assert not isinstance(err.value, BadVideoError)


def test_sample_seed_makes_augmentation_a_function_of_seed_epoch_index(world):
    root, _ = world
    ds = dataset(root)

    def clips(epoch, burn):
        ds.set_sample_seed(7, epoch=epoch, stream=0)
        np.random.seed(burn)  # process history must not matter
        torch.manual_seed(burn)
        return [ds[i]['inputs'] for i in range(4)]

    a, b = clips(0, burn=1), clips(0, burn=2)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    draws = {tuple(float(x.float().sum()) for x in clips(e, burn=3)) for e in range(6)}
    assert len(draws) > 1  # epochs draw anew (frame choice, flip)
    state = np.random.get_state()[1].copy()
    ds[0]
    assert np.array_equal(np.random.get_state()[1], state)  # the global generator is left as it was


def test_persistent_workers_follow_the_epoch_seed(world):
    """The sample seed lives in shared memory: a persistent DataLoader worker sees each new epoch."""
    from mmengine.dataset import pseudo_collate
    from torch.utils.data import DataLoader
    root, _ = world
    ds = dataset(root)
    good = list(range(4))

    def in_process(epoch):
        ds.set_sample_seed(5, epoch=epoch)
        return [ds[i]['inputs'] for i in good]

    expected = {epoch: in_process(epoch) for epoch in (0, 1)}
    loader = DataLoader(torch.utils.data.Subset(ds, good), batch_size=4, num_workers=1, persistent_workers=True,
                        collate_fn=pseudo_collate, multiprocessing_context='fork')

    def run():
        got = {}
        for epoch in (0, 1):
            ds.set_sample_seed(5, epoch=epoch)  # what ResumableRandomnessHook does before each epoch
            (batch, ) = list(loader)
            got[epoch] = [t.numpy().copy() for t in batch['inputs']]  # numpy: plain pickles to the parent
        return got

    got = run_with_timeout(run, timeout=120)
    for epoch in (0, 1):
        assert all(np.array_equal(a, b.numpy()) for a, b in zip(got[epoch], expected[epoch]))
    assert not all(torch.equal(a, b) for a, b in zip(expected[0], expected[1]))
