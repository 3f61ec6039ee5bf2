"""utils/randomness: seeds depend on every coordinate; a DrawIndex keeps its draw through pickling, integer
arithmetic and MMEngine's index-mapping wrappers; the forked RNG restores every generator it touched."""
import pickle
import random

import numpy as np
import torch
from mmengine.dataset import BaseDataset, ConcatDataset, RepeatDataset

from ga2clip_mmaction.utils.randomness import DrawIndex, derive_seed, draw_of, forked_cpu_rng


def test_derive_seed_keeps_every_bit_of_large_integers_and_the_earlier_seeds():
    assert derive_seed(3, 2**64 + 5, 0) != derive_seed(3, 5, 0)
    assert len({derive_seed(2**64 + 5), derive_seed(2**96 + 5), derive_seed(-(2**64 + 5)), derive_seed(2, 1, 5),
                derive_seed(5), derive_seed(2**64), derive_seed(0)}) == 7
    # seeds of integers below 2**64 are those of earlier versions (runs resumed across the change stay exact)
    assert derive_seed(1, 0, 0, 5) == 4355077346751336513
    assert derive_seed(3, -7, 2**64 - 1) == 3538467293803619246
    assert derive_seed(4, 123456789, 2, 10**12) == 1797544622970118365


def test_derive_seed_depends_on_every_coordinate_and_their_order():
    seeds = {derive_seed(1, 2, 3), derive_seed(1, 3, 2), derive_seed(1, 2, 4), derive_seed(1, 2, 3, 0),
             derive_seed(-1, 2, 3), derive_seed(1 + 2**40, 2, 3)}
    assert len(seeds) == 6 and derive_seed(1, 2, 3) == derive_seed(1, 2, 3)
    assert all(0 <= s < 2**63 for s in seeds)


def test_draw_index_is_an_int_that_keeps_its_draw():
    idx = DrawIndex(7, (0, 1, 2, 3))
    assert idx == 7 and [10, 11, 12, 13, 14, 15, 16, 17][idx] == 17
    for other in (pickle.loads(pickle.dumps(idx)), idx + 1, 1 + idx, idx - 2, idx % 4):
        assert isinstance(other, DrawIndex) and other.draw == (0, 1, 2, 3)
    assert (idx - 2, idx % 4) == (5, 3) and draw_of(5) is None


class _Recorder(BaseDataset):
    """A minimal MMEngine dataset that returns the index it was asked for."""

    def __init__(self, n):  # noqa: no annotation file to load
        self.n, self._metainfo, self._fully_initialized = n, {}, True

    def full_init(self):
        pass

    def __len__(self):
        return self.n

    def __getitem__(self, idx):
        return idx


def test_mmengine_wrappers_pass_the_draw_on():
    repeat = RepeatDataset(_Recorder(3), times=4)
    concat = ConcatDataset([_Recorder(3), _Recorder(5)])
    for wrapper, outer, inner in ((repeat, 7, 1), (concat, 4, 1)):
        got = wrapper[DrawIndex(outer, (9, 0, 0, 5))]
        assert got == inner and draw_of(got) == (9, 0, 0, 5)


def test_forked_cpu_rng_restores_python_numpy_and_torch():
    states = random.getstate(), np.random.get_state()[1].copy(), torch.get_rng_state()
    with forked_cpu_rng(123):
        inside = (random.random(), np.random.rand(), float(torch.rand(1)))
    assert random.getstate() == states[0] and np.array_equal(np.random.get_state()[1], states[1])
    assert torch.equal(torch.get_rng_state(), states[2])
    with forked_cpu_rng(123):
        assert (random.random(), np.random.rand(), float(torch.rand(1))) == inside
