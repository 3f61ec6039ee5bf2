"""Clustered statistics of repeated runs: worlds, few-shot lists inside a world, training seeds inside a list.

The runs of a grid are not independent replicates. Runs on the same few-shot list share its clips, and lists of
the same synthetic world share its classes' habitats and test set. The unit of replication is the *world* (the
independently generated data set), and inside it the list; training seeds only measure the optimiser's noise.

Two analyses of a difference ``d(world, list, seed)`` (e.g. one method's HM minus another's, matched run by run):

* :func:`nested_t_interval`, the primary one: seeds are averaged within each list, lists within each world, and
  the world means are the replicates (Student-t with ``worlds - 1`` degrees of freedom, from
  :mod:`scipy.stats`). For a balanced design this is exactly the inference on the grand mean of the nested
  random-effects model ``d = mu + world + list(world) + seed(list)`` (the grand mean's standard error is
  ``sqrt(MS_world / N)``, and ``MS_world`` is ``L * S`` times the variance of the world means). With one world, the
  lists are the replicates (``lists - 1`` degrees of freedom).
* :func:`hierarchical_bootstrap`, a sensitivity check: resample worlds with replacement, then lists with
  replacement inside each drawn world (seeds averaged within list first); percentile interval. With few worlds
  it is narrower than the t interval (the bootstrap ignores the uncertainty of the between-world variance).

:func:`holm` adjusts the p-values of a family of comparisons (Holm's step-down method).
"""
import math
from typing import Dict, Hashable, List, Mapping, Optional, Sequence, Tuple

import numpy as np
from scipy import stats

Key = Tuple[Hashable, Hashable, Hashable]  # (world, list, seed)


def unit_means(values: Mapping[Key, float]) -> Dict[Hashable, Dict[Hashable, float]]:
    """Average seeds within each list: ``{world: {list: mean over seeds}}``.

    Args:
        values (Mapping[tuple, float]): ``{(world, list, seed): value}``.

    Returns:
        dict: ``{world: {list: mean}}`` (worlds and lists in sorted order).

    Raises:
        ValueError: No values.
    """
    if not values:
        raise ValueError('unit_means: no values')
    groups: Dict[Hashable, Dict[Hashable, List[float]]] = {}
    for (w, lst, _), v in sorted(values.items(), key=lambda kv: tuple(map(str, kv[0]))):
        groups.setdefault(w, {}).setdefault(lst, []).append(float(v))
    return {w: {lst: float(np.mean(vs)) for lst, vs in sorted(g.items(), key=lambda kv: str(kv[0]))}
            for w, g in sorted(groups.items(), key=lambda kv: str(kv[0]))}


def _balanced(means: Dict[Hashable, Dict[Hashable, float]], values: Mapping[Key, float]) -> np.ndarray:
    """``[worlds, lists]`` array of list means; raises ValueError for an unbalanced design."""
    sizes = {len(g) for g in means.values()}
    seeds = {}
    for (w, lst, _) in values:
        seeds[(w, lst)] = seeds.get((w, lst), 0) + 1
    if len(sizes) != 1 or len(set(seeds.values())) != 1:
        raise ValueError(f'Unbalanced design: lists per world {sorted(sizes)}, seeds per list '
                         f'{sorted(set(seeds.values()))}; every world needs the same lists x seeds')
    return np.array([list(g.values()) for g in means.values()], dtype=np.float64)


def nested_t_interval(values: Mapping[Key, float], confidence: float = 0.95) -> Dict[str, object]:
    """Mean of ``values`` with a t interval whose replicates are the worlds (or the lists, with one world).

    Args:
        values (Mapping[tuple, float]): ``{(world, list, seed): value}``, a balanced design.
        confidence (float): Two-sided confidence level. Defaults to 0.95.

    Returns:
        dict: ``mean`` (grand mean, = the mean of the unit means), ``unit`` (``'world'`` or ``'list'``),
        ``n_units``, ``unit_values`` (the replicate means), ``df``, ``se``, ``ci_low`` / ``ci_high``, ``t`` and
        ``p_value`` (two-sided, H0: mean 0); the last six are None with a single unit (or zero spread for
        ``t``/``p_value``), ``n_worlds``, ``n_lists`` (per world) and ``n_runs``.

    Raises:
        ValueError: No values, or an unbalanced design.
    """
    means = unit_means(values)
    grid = _balanced(means, values)
    if grid.shape[0] > 1:
        unit, units = 'world', grid.mean(axis=1)
    else:
        unit, units = 'list', grid[0]
    n = len(units)
    out = dict(mean=float(units.mean()), unit=unit, n_units=n, unit_values=[float(u) for u in units],
               df=None, se=None, ci_low=None, ci_high=None, t=None, p_value=None,
               n_worlds=grid.shape[0], n_lists=grid.shape[1], n_runs=len(values))
    if n < 2:
        return out
    df = n - 1
    se = float(units.std(ddof=1) / math.sqrt(n))
    half = float(stats.t.ppf(0.5 + confidence / 2, df)) * se
    out.update(df=df, se=se, ci_low=out['mean'] - half, ci_high=out['mean'] + half)
    if se > 0:
        t = out['mean'] / se
        out.update(t=float(t), p_value=float(2 * stats.t.sf(abs(t), df)))
    return out


def hierarchical_bootstrap(values: Mapping[Key, float], n_boot: int = 10000, seed: int = 0,
                           confidence: float = 0.95, return_samples: bool = False) -> Dict[str, object]:
    """Percentile interval of the grand mean from a two-level bootstrap (worlds, then lists in each world).

    Seeds are averaged within each list first. Each bootstrap replicate draws ``W`` worlds with replacement and,
    inside every drawn world, ``L`` of its lists with replacement; its statistic is the mean of the drawn lists.

    Args:
        values (Mapping[tuple, float]): ``{(world, list, seed): value}``, a balanced design.
        n_boot (int): Bootstrap replicates. Defaults to 10000.
        seed (int): Seed of the resampling (the interval is deterministic given it). Defaults to 0.
        confidence (float): Two-sided level. Defaults to 0.95.
        return_samples (bool): Also return the replicates (``samples``). Defaults to False.

    Returns:
        dict: ``mean`` (of the data), ``ci_low`` / ``ci_high``, ``n_boot``, ``seed`` (and ``samples``).

    Raises:
        ValueError: No values, an unbalanced design or ``n_boot < 1``.
    """
    if n_boot < 1:
        raise ValueError(f'hierarchical_bootstrap: n_boot must be >= 1, got {n_boot}')
    grid = _balanced(unit_means(values), values)
    w, lists = grid.shape
    rng = np.random.default_rng(seed)
    worlds = rng.integers(w, size=(n_boot, w))
    inner = rng.integers(lists, size=(n_boot, w, lists))
    samples = grid[worlds[..., None], inner].mean(axis=(1, 2))
    alpha = (1 - confidence) / 2
    low, high = np.quantile(samples, [alpha, 1 - alpha])
    out = dict(mean=float(grid.mean()), ci_low=float(low), ci_high=float(high), n_boot=n_boot, seed=seed)
    if return_samples:
        out['samples'] = samples
    return out


def holm(p_values: Sequence[Optional[float]]) -> List[Optional[float]]:
    """Holm's step-down adjustment of a family of p-values (None entries are left out of the family).

    The ``k``-th smallest of ``m`` p-values is multiplied by ``m - k + 1``; the adjusted values are made
    non-decreasing in that order and capped at 1. Rejecting where the adjusted value is ``<= alpha`` controls
    the family-wise error rate at ``alpha``.

    Args:
        p_values (Sequence[float | None]): One per comparison.

    Returns:
        list[float | None]: Adjusted p-values, in the input order.

    Raises:
        ValueError: A p-value outside [0, 1].
    """
    idx = [i for i, p in enumerate(p_values) if p is not None]
    bad = [p_values[i] for i in idx if not 0 <= p_values[i] <= 1]
    if bad:
        raise ValueError(f'holm: p-values must lie in [0, 1], got {bad}')
    m = len(idx)
    out: List[Optional[float]] = [None] * len(p_values)
    running = 0.0
    for rank, i in enumerate(sorted(idx, key=lambda i: p_values[i])):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        out[i] = running
    return out


def paired_values(a: Mapping[Key, float], b: Mapping[Key, float]) -> Dict[Key, float]:
    """``a - b`` run by run; a ``b`` value keyed ``(world, None, None)`` (zero-shot, one per world) is
    subtracted from every run of that world.

    Raises:
        ValueError: A run of ``a`` has no match in ``b``.
    """
    out, missing = {}, []
    for key, v in a.items():
        match = b.get(key, b.get((key[0], None, None)))
        if match is None:
            missing.append(key)
        else:
            out[key] = float(v) - float(match)
    if missing:
        raise ValueError(f'no run to pair with (world, list, seed) {sorted(missing, key=str)}')
    return out
