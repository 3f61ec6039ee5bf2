"""Paired differences with a Student-t 95 % interval."""
import math
import statistics

import pytest

from ga2clip_mmaction.evaluation import paired_difference, t_quantile_975


@pytest.mark.parametrize('df, expected', [(1, 12.706), (2, 4.303), (5, 2.571), (10, 2.228),
                                          (30, 2.042), (40, 2.021), (60, 2.000), (120, 1.980)])
def test_t_quantile_matches_the_textbook_table(df, expected):
    assert t_quantile_975(df) == pytest.approx(expected, abs=6e-4)


def test_t_quantile_df2_matches_its_closed_form():
    # df = 2: t_p = (2p - 1) / sqrt(2 p (1 - p))
    assert t_quantile_975(2) == pytest.approx(0.95 / math.sqrt(2 * 0.975 * 0.025), rel=1e-12)


def test_t_quantile_tends_to_the_normal_and_decreases():
    values = [t_quantile_975(df) for df in range(1, 200)]
    assert all(a > b for a, b in zip(values, values[1:]))
    assert t_quantile_975(10**6) == pytest.approx(1.95996, abs=1e-4)


@pytest.mark.parametrize('df', [0, -1, 2.5, True])
def test_t_quantile_rejects_bad_df(df):
    with pytest.raises(ValueError, match='df must be an int >= 1'):
        t_quantile_975(df)


def test_paired_difference_against_a_hand_computation():
    a, b = [0.75, 0.80, 0.71], [0.70, 0.72, 0.70]
    got = paired_difference(a, b)
    diffs = [0.05, 0.08, 0.01]
    sd = statistics.stdev(diffs)
    half = (2 * 0.975 - 1) / math.sqrt(2 * 0.975 * 0.025) * sd / math.sqrt(3)  # t(df=2) quantile, closed form
    assert got['n'] == 3
    assert got['values'] == pytest.approx(diffs)
    assert got['mean'] == pytest.approx(statistics.mean(diffs))
    assert got['std'] == pytest.approx(sd)
    assert got['ci_low'] == pytest.approx(statistics.mean(diffs) - half)
    assert got['ci_high'] == pytest.approx(statistics.mean(diffs) + half)
    # the interval of the pairs is narrower than the one from the unpaired spreads here
    assert got['ci_low'] > -0.05


def test_one_pair_has_no_interval():
    assert paired_difference([0.6], [0.5]) == dict(mean=pytest.approx(0.1), std=None, n=1, ci_low=None,
                                                   ci_high=None, values=[pytest.approx(0.1)])


def test_mismatched_and_empty_inputs_are_errors():
    with pytest.raises(ValueError, match='3 values against 2'):
        paired_difference([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match='no pairs'):
        paired_difference([], [])
