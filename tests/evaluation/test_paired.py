"""Paired differences with a Student-t 95 % interval."""
import math
import statistics

import pytest
from scipy import stats

from ga2clip_mmaction.evaluation import paired_difference


def test_paired_difference_against_a_hand_computation():
    a, b = [0.75, 0.80, 0.71], [0.70, 0.72, 0.70]
    got = paired_difference(a, b)
    diffs = [0.05, 0.08, 0.01]
    mean, sd = statistics.mean(diffs), statistics.stdev(diffs)  # 0.046667, 0.035119
    # df = 2 has a closed form: t_p = (2p - 1) / sqrt(2 p (1 - p)) = 4.3027 at p = 0.975
    half = (2 * 0.975 - 1) / math.sqrt(2 * 0.975 * 0.025) * sd / math.sqrt(3)
    assert got['n'] == 3
    assert got['values'] == pytest.approx(diffs)
    assert got['mean'] == pytest.approx(mean)
    assert got['std'] == pytest.approx(sd)
    assert (got['ci_low'], got['ci_high']) == pytest.approx((mean - half, mean + half), rel=1e-9)
    assert (got['ci_low'], got['ci_high']) == pytest.approx((-0.040573, 0.133907), abs=1e-6)


@pytest.mark.parametrize('diffs', [[1.0, 3.0], [2.0, -1.0, 3.5, 0.5, 1.0], [0.1 * k for k in range(12)]])
def test_interval_is_scipys_t_interval(diffs):
    """What a user reads (the interval of the differences) equals scipy's t interval of that sample."""
    got = paired_difference([d + 10.0 for d in diffs], [10.0] * len(diffs))
    low, high = stats.t.interval(0.95, len(diffs) - 1, loc=statistics.mean(diffs), scale=stats.sem(diffs))
    assert (got['ci_low'], got['ci_high']) == pytest.approx((low, high), rel=1e-9, abs=1e-12)


def test_one_pair_has_no_interval():
    assert paired_difference([0.6], [0.5]) == dict(mean=pytest.approx(0.1), std=None, n=1, ci_low=None,
                                                   ci_high=None, values=[pytest.approx(0.1)])


def test_mismatched_and_empty_inputs_are_errors():
    with pytest.raises(ValueError, match='3 values against 2'):
        paired_difference([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match='no pairs'):
        paired_difference([], [])
