"""Mean and standard deviation of metrics over repeated runs (seeds, splits)."""
import math
import re
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

# `<group>_split2`, `<group>-seed3`, `<group>_s1`: the trailing run index of a name.
_RUN_SUFFIX = re.compile(r'^(?P<group>.+?)[_-](?:split|seed|s)(?P<index>\d+)$')


def mean_std(values: Sequence[float]) -> Tuple[float, Optional[float]]:
    """Mean and sample standard deviation (``n - 1`` in the denominator).

    Args:
        values (Sequence[float]): One value per run.

    Returns:
        tuple[float, float | None]: ``(mean, std)``; ``std`` is None for a single run.

    Raises:
        ValueError: ``values`` is empty.
    """
    values = [float(v) for v in values]
    if not values:
        raise ValueError('mean_std needs at least one value')
    mean = sum(values) / len(values)
    if len(values) == 1:
        return mean, None
    var = sum((v - mean)**2 for v in values) / (len(values) - 1)
    return mean, math.sqrt(var)


def split_run_indices(name: str) -> Tuple[str, Tuple[int, ...]]:
    """Strip every trailing run suffix of a name: its group and the indices, left to right.

    Args:
        name (str): E.g. ``'ivlp_s2_seed1'``.

    Returns:
        tuple[str, tuple[int, ...]]: ``('ivlp', (2, 1))``; ``(name, ())`` without a suffix.
    """
    indices: List[int] = []
    while True:
        match = _RUN_SUFFIX.match(name)
        if match is None:
            return name, tuple(reversed(indices))
        name = match.group('group')
        indices.append(int(match.group('index')))


def split_run_name(name: str) -> Tuple[str, Optional[int]]:
    """Split a run name into its group and its run index.

    Args:
        name (str): E.g. ``'ga2clip_zs_eval_hmdb51_split2'``, ``'b2n_ucf_seed3'`` or
            ``'ivlp_s2_seed1'`` (projects/ga2clip_demo/tools/run_demo.py's ``<method>_s<list>_seed<seed>``).

    Returns:
        tuple[str, int | None]: ``('ga2clip_zs_eval_hmdb51', 2)``; every trailing ``_split<N>`` /
        ``_seed<N>`` / ``_s<N>`` suffix is stripped (``-`` works as ``_``) and the index is the
        first of them (``('ivlp', 2)``; all of them: :func:`split_run_indices`); ``(name, None)``
        when the name has no suffix.
    """
    group, indices = split_run_indices(name)
    return group, (indices[0] if indices else None)


def aggregate_runs(results: Mapping[str, Mapping[str, float]]) -> Dict[str, Dict[str, dict]]:
    """Group runs by name (see :func:`split_run_name`) and reduce each metric to mean +- std.

    Args:
        results (Mapping[str, Mapping[str, float]]): Metrics of each run, keyed by run name.

    Returns:
        dict[str, dict[str, dict]]: ``{group: {metric: dict(mean, std, n, values)}}`` in order
        of first appearance; a metric is reduced over the runs of the group that report it,
        ``values`` ordered by run indices (``_s1_seed0``, ``_s1_seed1``, ``_s2_seed0``, ...).
    """
    groups: Dict[str, List[Tuple[Tuple[int, ...], str]]] = {}
    for order, name in enumerate(results):
        group, indices = split_run_indices(name)
        groups.setdefault(group, []).append((indices or (order, ), name))
    out: Dict[str, Dict[str, dict]] = {}
    for group, runs in groups.items():
        metrics: Dict[str, List[float]] = {}
        for _, name in sorted(runs):
            for key, value in results[name].items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    metrics.setdefault(key, []).append(float(value))
        out[group] = {}
        for key, values in metrics.items():
            mean, std = mean_std(values)
            out[group][key] = dict(mean=mean, std=std, n=len(values), values=values)
    return out


def format_mean_std(stat: Optional[dict], scale: float = 100.0, digits: int = 1) -> str:
    """``'63.3 ± 1.2'`` (``'63.3'`` for one run, ``'-'`` for no value).

    Args:
        stat (dict, optional): ``dict(mean, std, ...)`` from :func:`aggregate_runs`.
        scale (float): Multiplier (fractions to percent). Defaults to 100.0.
        digits (int): Decimals. Defaults to 1.

    Returns:
        str: The formatted value.
    """
    if stat is None:
        return '-'
    text = f'{stat["mean"] * scale:.{digits}f}'
    if stat['std'] is not None:
        text += f' ± {stat["std"] * scale:.{digits}f}'
    return text
