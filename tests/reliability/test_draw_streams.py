"""Per-draw augmentation through a config's real train dataloader (tiny GA2-CLIP world, CPU).

The batch sampler the config declares tags every index with (seed, rank, epoch, position); the dataset seeds
each draw's pipeline from it. So the same anchor clip drawn twice in one epoch gives two clips, and under an
iteration-based loop (``InfiniteSampler``: one endless epoch) a sample's second visit is augmented anew. Before
this design the pipeline was seeded by (seed, epoch, stream, index): both repeats were the identical clip.
"""
import pytest
import torch

from tests.reliability.world import make_world


def _loader(config: str, **train_dataloader):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    cfg = Config.fromfile(config)
    cfg.train_dataloader.update(train_dataloader)
    init_default_scope('mmaction')
    return Runner.build_dataloader(cfg.train_dataloader, seed=0)


@pytest.fixture(scope='module')
def config(tmp_path_factory):
    return make_world(str(tmp_path_factory.mktemp('streams') / 'w'), num_train=4, epochs=1)


def test_the_same_anchor_drawn_twice_in_an_epoch_gives_two_different_clips(config):
    loader = _loader(config, batch_size=1)  # 4 batches of 1 main sample + 1 anchor, from 3 anchor clips
    dataset = loader.dataset
    draws = {}
    for batch in loader.batch_sampler:
        assert len(batch) == 2 and dataset.is_anchor_index(batch[1])
        draws.setdefault(int(batch[1]), []).append(batch[1])
    first, second = next(d for d in draws.values() if len(d) >= 2)[:2]  # 4 draws of 3 clips: one repeats
    assert int(first) == int(second) and first.draw != second.draw
    clip_a, clip_b = dataset[first]['inputs'], dataset[second]['inputs']
    assert not torch.equal(clip_a, clip_b)
    assert torch.equal(dataset[first]['inputs'], clip_a)  # and each draw is reproducible


def test_under_an_infinite_sampler_a_samples_second_visit_is_augmented_anew(config):
    loader = _loader(config, sampler=dict(type='InfiniteSampler', shuffle=True))
    dataset, batches = loader.dataset, iter(loader.batch_sampler)
    visits = {}
    while not any(len(v) >= 2 for v in visits.values()):
        for idx in next(batches)[:2]:  # the main samples of the batch
            visits.setdefault(int(idx), []).append(idx)
    first, second = next(v for v in visits.values() if len(v) >= 2)[:2]
    assert first.draw[:3] == second.draw[:3] == (0, 0, 0)  # seed, rank, epoch: one endless epoch
    assert first.draw[3] < second.draw[3]  # the position advanced
    assert not torch.equal(dataset[first]['inputs'], dataset[second]['inputs'])
