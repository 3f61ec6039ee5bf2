"""``start_batch`` of SeededBatchSampler / AnchorBatchSampler: a pass that starts at batch k yields exactly the
batches k, k+1, ... of a full pass (same indices, same anchors, same draw coordinates), and ``len()`` counts them.
"""
import pytest
from mmengine.dataset import DefaultSampler
from mmaction.registry import DATA_SAMPLERS

import ga2clip_mmaction  # noqa: F401
from tests.datasets.samplers.test_anchor_batch_sampler import _dataset


def _draws(batches):
    return [[(int(i), i.draw) for i in batch] for batch in batches]


def _batch_sampler(dataset, kind, batch_size, drop_last, start_batch=0):
    sampler = DefaultSampler(dataset, shuffle=True, seed=7)
    sampler.set_epoch(2)
    extra = dict(num_anchors=2) if kind == 'AnchorBatchSampler' else {}
    return DATA_SAMPLERS.build(dict(type=kind, drop_last=drop_last, start_batch=start_batch, **extra),
                               default_args=dict(sampler=sampler, batch_size=batch_size))


@pytest.mark.parametrize('kind', ['SeededBatchSampler', 'AnchorBatchSampler'])
@pytest.mark.parametrize('drop_last', [False, True])
def test_a_pass_from_batch_k_is_the_tail_of_a_full_pass(tmp_path, kind, drop_last):
    dataset = _dataset(tmp_path)  # 10 main samples: batches of 4, 4 and 2 (the last dropped with drop_last)
    full_sampler = _batch_sampler(dataset, kind, 4, drop_last)
    full = _draws(full_sampler)
    assert len(full) == len(full_sampler) == (2 if drop_last else 3)
    for k in range(len(full) + 2):
        skipping = _batch_sampler(dataset, kind, 4, drop_last, start_batch=k)
        tail = _draws(skipping)
        assert tail == full[k:], k
        assert len(skipping) == len(tail), k


def test_start_batch_is_set_for_one_pass_and_put_back(tmp_path):
    """As PreemptionHook uses it: set for the resumed epoch, back to 0 after it."""
    batch_sampler = _batch_sampler(_dataset(tmp_path), 'AnchorBatchSampler', 4, False)
    full = _draws(batch_sampler)
    batch_sampler.start_batch = 1
    assert _draws(batch_sampler) == full[1:] and len(batch_sampler) == 2
    batch_sampler.start_batch = 0
    assert _draws(batch_sampler) == full and len(batch_sampler) == 3


@pytest.mark.parametrize('value', [-1, 1.5, None])
def test_start_batch_must_be_a_non_negative_int(tmp_path, value):
    with pytest.raises(ValueError, match='start_batch must be an int >= 0'):
        _batch_sampler(_dataset(tmp_path), 'SeededBatchSampler', 4, False, start_batch=value)
