"""Tests for AnchorBatchSampler: batches, determinism, epochs, ranks and the runner's build path."""
import pytest
import torch
from mmengine.dataset import DefaultSampler
from mmengine.hooks import DistSamplerSeedHook
from mmengine.runner import Runner
from mmaction.registry import DATA_SAMPLERS, DATASETS
from mmaction.structures import ActionDataSample
from mmaction.utils import register_all_modules

import ga2clip_mmaction  # noqa: F401
from ga2clip_mmaction.datasets.samplers import anchor_batch_sampler, seeded_batch_sampler  # noqa: F401

register_all_modules(init_default_scope=True)

NUM_MAIN, NUM_ANCHORS = 10, 30


def _dataset(tmp_path):
    main = tmp_path / 'main.txt'
    main.write_text(''.join(f'm{i}.mp4 1\n' for i in range(NUM_MAIN)))
    anchors = tmp_path / 'anchors.txt'
    anchors.write_text(''.join(f'a{i}.mp4 0\n' for i in range(NUM_ANCHORS)))
    return DATASETS.build(dict(
        type='AnchorSetDataset',
        dataset=dict(type='VideoDataset', ann_file=str(main), pipeline=[]),
        anchor_dataset=dict(type='VideoDataset', ann_file=str(anchors), pipeline=[])))


def _batches(dataset, seed=0, epoch=0, batch_size=4, num_anchors=1, **kwargs):
    sampler = DefaultSampler(dataset, shuffle=True, seed=seed)
    batch_sampler = DATA_SAMPLERS.build(dict(type='AnchorBatchSampler', num_anchors=num_anchors,
                                             **kwargs),
                                        default_args=dict(sampler=sampler, batch_size=batch_size))
    sampler.set_epoch(epoch)
    return list(batch_sampler), batch_sampler


def _anchors(batches):
    return [tuple(i for i in b if i >= NUM_MAIN) for b in batches]


def test_batches_hold_main_samples_then_anchors(tmp_path):
    ds = _dataset(tmp_path)
    batches, bs = _batches(ds, batch_size=4, num_anchors=2)
    assert len(batches) == len(bs) == 3
    assert [len(b) for b in batches] == [6, 6, 4]
    main = [i for b in batches for i in b[:-2]]
    assert sorted(main) == list(range(NUM_MAIN))
    for b in batches:
        assert all(NUM_MAIN <= i < NUM_MAIN + NUM_ANCHORS for i in b[-2:]) and b[-2] != b[-1]
    dropped, bs = _batches(ds, batch_size=4, drop_last=True)
    assert len(dropped) == len(bs) == 2
    no_anchors, _ = _batches(ds, batch_size=4, num_anchors=0)
    assert [len(b) for b in no_anchors] == [4, 4, 2] and max(i for b in no_anchors for i in b) < NUM_MAIN


def test_same_seed_repeats_and_epochs_reshuffle(tmp_path):
    ds = _dataset(tmp_path)
    first, _ = _batches(ds, seed=3)
    assert _batches(ds, seed=3)[0] == first
    other_epoch, _ = _batches(ds, seed=3, epoch=1)
    assert _anchors(other_epoch) != _anchors(first)
    assert _anchors(_batches(ds, seed=4)[0]) != _anchors(first)


def test_ranks_draw_different_anchors(tmp_path, monkeypatch):
    ds = _dataset(tmp_path)
    per_rank = []
    for rank in (0, 1):
        monkeypatch.setattr('mmengine.dataset.sampler.get_dist_info', lambda r=rank: (r, 2))
        monkeypatch.setattr(seeded_batch_sampler, 'get_dist_info', lambda r=rank: (r, 2))
        per_rank.append(_batches(ds, seed=7, batch_size=2, num_anchors=3)[0])
    mains = [{i for b in batches for i in b if i < NUM_MAIN} for batches in per_rank]
    assert not mains[0] & mains[1] and len(mains[0] | mains[1]) == NUM_MAIN
    assert _anchors(per_rank[0]) != _anchors(per_rank[1])


def test_needs_the_anchor_wrapper(tmp_path):
    plain = tmp_path / 'plain.txt'
    plain.write_text('x.mp4 0\n')
    ds = DATASETS.build(dict(type='VideoDataset', ann_file=str(plain), pipeline=[]))
    with pytest.raises(TypeError, match='must be an AnchorSetDataset'):
        DATA_SAMPLERS.build(dict(type='AnchorBatchSampler'),
                            default_args=dict(sampler=DefaultSampler(ds, seed=0), batch_size=2))


class _Identity:
    """Pipeline step returning a fixed tensor and the label (no decoding)."""

    def __call__(self, results):
        return dict(inputs=torch.zeros(1, 3, 1, 2, 2),
                    data_samples=ActionDataSample().set_gt_label(results['label']))


def test_runner_dataloader_and_seed_hook(tmp_path):
    ds = _dataset(tmp_path)
    ds.dataset.pipeline.transforms.append(_Identity())
    ds.anchor_dataset.pipeline.transforms.append(_Identity())
    loader = Runner.build_dataloader(
        dict(batch_size=3, num_workers=0, dataset=ds,
             sampler=dict(type='DefaultSampler', shuffle=True),
             batch_sampler=dict(type='AnchorBatchSampler', num_anchors=1)), seed=11)
    assert type(loader.batch_sampler).__name__ == 'AnchorBatchSampler'
    batch = next(iter(loader))
    flags = [s.metainfo.get('is_anchor', False) for s in batch['data_samples']]
    assert flags == [False, False, False, True]
    assert [s.gt_label.item() for s in batch['data_samples']] == [1, 1, 1, 0]

    class _Loop:
        dataloader = loader

    class _Runner:
        train_loop = _Loop()
        epoch = 5

    DistSamplerSeedHook().before_train_epoch(_Runner())
    assert loader.batch_sampler.epoch == 5
