"""tests.helpers.dist: results by rank, a failing rank named with its traceback or signal, and a port clash
retried on a new port (any other failure raised at once)."""
import faulthandler
import os

import pytest

from tests.helpers.dist import RankFailure, run_ranks, with_free_port


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


def test_a_port_clash_starts_again_on_a_new_port():
    ports = []

    def launch(port):
        ports.append(port)
        if len(ports) == 1:
            raise RankFailure('node 0: exit 1\nRuntimeError: The server socket has failed to listen on any local '
                              'network address. port: 1234, useIpv6: 0, code: -98, name: EADDRINUSE')
        return 'done'

    assert with_free_port(launch) == 'done'
    assert len(ports) == 2 and all(0 < p < 65536 for p in ports)


def test_any_other_failure_is_raised_at_once():
    calls = []

    def launch(port):
        calls.append(port)
        raise RankFailure('rank 1: killed by SIGKILL')

    with pytest.raises(RankFailure, match='SIGKILL'):
        with_free_port(launch)
    assert len(calls) == 1


def test_a_clash_every_time_gives_up_after_the_tries():
    calls = []

    def launch(port):
        calls.append(port)
        raise RankFailure('OSError: [Errno 98] Address already in use')

    with pytest.raises(RankFailure, match='Address already in use'):
        with_free_port(launch, tries=3)
    assert len(calls) == 3
