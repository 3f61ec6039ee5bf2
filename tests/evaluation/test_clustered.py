"""Clustered statistics: worlds as replicates (t interval on world means), the two-level bootstrap, Holm."""
import math

import numpy as np
import pytest

from ga2clip_demo.evaluation.clustered import (hierarchical_bootstrap, holm, nested_t_interval,
                                                   paired_values, unit_means)


def _t2_cdf(t):
    """Student-t cdf with 2 degrees of freedom (closed form)."""
    return 0.5 + t / (2 * math.sqrt(2 + t * t))


def _t2_quantile(p):
    """Its inverse: t = (2p - 1) / sqrt(2 p (1 - p))."""
    return (2 * p - 1) / math.sqrt(2 * p * (1 - p))


def _grid():
    """3 worlds x 2 lists x 2 seeds whose world means are 1, 2, 3 (lists and seeds spread around them)."""
    values = {}
    for w, centre in zip(('w1', 'w2', 'w3'), (1.0, 2.0, 3.0)):
        for lst, off in ((1, -0.5), (2, 0.5)):
            for seed, noise in ((0, -0.25), (1, 0.25)):
                values[(w, lst, seed)] = centre + off + noise
    return values


def test_world_means_are_the_replicates():
    out = nested_t_interval(_grid())
    assert out['unit'] == 'world' and out['n_units'] == 3 and out['df'] == 2 and out['n_runs'] == 12
    assert out['unit_values'] == pytest.approx([1.0, 2.0, 3.0])
    assert out['mean'] == pytest.approx(2.0)
    se = 1.0 / math.sqrt(3)  # sd of (1, 2, 3) is 1
    assert out['se'] == pytest.approx(se)
    half = _t2_quantile(0.975) * se  # 4.3027 * 0.5774
    assert out['ci_low'] == pytest.approx(2.0 - half) and out['ci_high'] == pytest.approx(2.0 + half)
    t = 2.0 / se
    assert out['t'] == pytest.approx(t)
    assert out['p_value'] == pytest.approx(2 * (1 - _t2_cdf(t)))  # 0.0742
    assert out['p_value'] == pytest.approx(0.074180, abs=1e-6)


def test_one_world_uses_the_lists():
    values = {('w', lst, s): m + d for lst, m in ((1, 0.1), (2, 0.2), (3, 0.6)) for s, d in ((0, 0.05),
                                                                                              (1, -0.05))}
    out = nested_t_interval(values)
    assert out['unit'] == 'list' and out['df'] == 2 and out['unit_values'] == pytest.approx([0.1, 0.2, 0.6])
    se = np.std([0.1, 0.2, 0.6], ddof=1) / math.sqrt(3)
    assert out['ci_high'] - out['mean'] == pytest.approx(_t2_quantile(0.975) * se)


def test_single_unit_has_no_interval():
    out = nested_t_interval({('w', 1, 0): 0.3, ('w', 1, 1): 0.5})
    assert out['mean'] == pytest.approx(0.4) and out['df'] is None and out['ci_low'] is None
    assert out['p_value'] is None


def test_unbalanced_design_is_refused():
    values = _grid()
    del values[('w2', 2, 1)]
    with pytest.raises(ValueError, match='Unbalanced design'):
        nested_t_interval(values)


def test_unit_means_average_seeds_within_list():
    means = unit_means(_grid())
    assert means['w1'] == pytest.approx({1: 0.5, 2: 1.5})


def test_bootstrap_resamples_worlds_then_lists():
    # worlds 0 and 10 (each list equal): drawing 2 worlds gives 0, 5, 10 with probabilities 1/4, 1/2, 1/4
    # (a bootstrap that pooled the 4 lists would give 0 with probability 1/16)
    values = {(w, lst, 0): v for w, v in (('a', 0.0), ('b', 10.0)) for lst in (1, 2)}
    out = hierarchical_bootstrap(values, n_boot=20000, seed=3, return_samples=True)
    samples = out['samples']
    assert out['mean'] == pytest.approx(5.0)
    assert np.mean(samples == 0.0) == pytest.approx(0.25, abs=0.015)
    assert np.mean(samples == 5.0) == pytest.approx(0.5, abs=0.015)
    assert out['ci_low'] == 0.0 and out['ci_high'] == 10.0
    # lists inside a world are resampled too: equal worlds with spread lists still vary
    values = {(w, lst, 0): v for w in ('a', 'b') for lst, v in ((1, 0.0), (2, 10.0))}
    samples = hierarchical_bootstrap(values, n_boot=2000, seed=0, return_samples=True)['samples']
    assert samples.std() > 1.0
    # deterministic given its seed
    assert hierarchical_bootstrap(_grid(), seed=5) == hierarchical_bootstrap(_grid(), seed=5)


def test_holm_hand_computed():
    assert holm([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert holm([0.6, None, 0.2]) == [pytest.approx(0.6), None, pytest.approx(0.4)]
    assert holm([0.9, 0.8]) == [1.0, 1.0]  # 2 x 0.8 capped at 1, and monotone
    assert holm([0.3, 0.2]) == pytest.approx([0.4, 0.4])  # 0.3 x 1 raised to the 0.4 before it
    with pytest.raises(ValueError):
        holm([1.2])


def test_paired_values_broadcast_a_per_world_reference():
    a = {('w1', 1, 0): 0.5, ('w1', 2, 0): 0.7, ('w2', 1, 0): 0.4}
    ref = {('w1', None, None): 0.6, ('w2', None, None): 0.3}
    assert paired_values(a, ref) == pytest.approx({('w1', 1, 0): -0.1, ('w1', 2, 0): 0.1, ('w2', 1, 0): 0.1})
    with pytest.raises(ValueError, match='no run to pair'):
        paired_values(a, {('w1', None, None): 0.6})
