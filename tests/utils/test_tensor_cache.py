"""TensorCache: its one invalidation rule (same live tensors, unchanged version, storage, device and dtype)."""
import copy
import gc

import pytest
import torch

from ga2clip_mmaction.utils.tensor_cache import TensorCache


class Counter:
    """``compute`` callables that count their calls and return a fresh object each time."""

    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return object()


def test_a_value_is_reused_exactly_while_its_tensors_are_unchanged():
    cache, compute = TensorCache(max_entries=2), Counter()
    w, b = torch.nn.Parameter(torch.ones(3)), torch.zeros(2)

    def get(key='k', tensors=None):
        return cache.get(key, (w, b) if tensors is None else tensors, compute)

    first = get()
    assert get() is first and compute.calls == 1  # unchanged: reused
    with torch.no_grad():
        w.add_(1.0)  # an optimizer step (in place, no grad): the version counter moves
    assert get() is not first and compute.calls == 2
    b.fill_(0.0)  # same values, but written in place
    get()
    assert compute.calls == 3
    w.data = torch.ones(3)  # new storage behind the same Parameter (no version bump)
    get()
    assert compute.calls == 4
    w.data = w.data.double()  # .double()/.half() of a module
    get()
    assert compute.calls == 5
    get(tensors=(w[:1], b))  # a slice: same storage, version, device and dtype, but another object
    assert compute.calls == 6
    get(tensors=(w, b.clone()))  # another tensor object with the same values
    assert compute.calls == 7
    get(tensors=(w, ))  # another tensor list
    assert compute.calls == 8
    get(key='other')  # another key: its own entry, the first one stays
    assert get(key='other') is get(key='other') and compute.calls == 9
    w.data.copy_(torch.zeros(3))  # what EMAHook does: not seen by the version counter ...
    assert get(key='other') is get(key='other') and compute.calls == 9
    cache.clear()  # ... so owners clear at those points
    get(key='other')
    assert compute.calls == 10


def test_entries_die_with_their_tensors_and_the_oldest_goes_first():
    cache, compute = TensorCache(max_entries=2), Counter()
    kept, dropped = torch.ones(2), torch.ones(2)
    for key, t in (('kept', kept), ('dropped', dropped)):
        cache.get(key, (t, ), compute)
    assert len(cache) == 2
    del dropped, t
    gc.collect()
    assert len(cache) == 1  # the cache holds no tensor alive, and forgets what it cannot match again
    for key in ('a', 'b'):
        cache.get(key, (kept, ), compute)
    assert len(cache) == 2 and compute.calls == 4
    cache.get('kept', (kept, ), compute)  # evicted as the oldest entry: recomputed
    assert compute.calls == 5
    assert len(copy.deepcopy(cache)) == 0 and copy.deepcopy(cache).max_entries == 2
    with pytest.raises(ValueError, match='max_entries must be >= 1 or None'):
        TensorCache(max_entries=0)
