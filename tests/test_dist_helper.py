"""tests.helpers.dist: results by rank, and a failing rank named with its traceback or signal."""
import faulthandler
import os

import pytest

from tests.helpers.dist import RankFailure, run_ranks


def _sum_of_ranks(rank: int, world_size: int, scale: int) -> int:
    import torch
    import torch.distributed as dist
    value = torch.tensor([rank * scale])
    dist.all_reduce(value)
    return int(value)


def _rank_one_raises(rank: int, world_size: int) -> int:
    if rank == 1:
        raise ValueError('bad input on rank one')
    return rank


def _rank_zero_aborts(rank: int, world_size: int) -> int:
    if rank == 0:
        faulthandler.disable()  # pytest's faulthandler would dump this expected abort into the suite's output
        os.abort()
    return rank


def test_results_come_back_by_rank():
    assert run_ranks(_sum_of_ranks, 3, 10) == [30, 30, 30]


def test_a_raising_rank_is_reported_with_its_traceback():
    with pytest.raises(RankFailure) as err:
        run_ranks(_rank_one_raises, 2)
    msg = str(err.value)
    assert '1 of 2 ranks failed' in msg and '--- rank 1: exit code 0' in msg
    assert "ValueError: bad input on rank one" in msg and '_rank_one_raises' in msg


def test_an_aborted_rank_is_reported_with_its_signal():
    with pytest.raises(RankFailure, match=r'--- rank 0: killed by SIGABRT, no result written'):
        run_ranks(_rank_zero_aborts, 2, timeout=60)
