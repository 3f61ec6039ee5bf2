"""Paired differences of two methods over matched runs, with a Student-t 95 % interval."""
import math
from typing import Dict, Optional, Sequence

from scipy import stats

from .aggregate import mean_std


def paired_difference(a: Sequence[float], b: Sequence[float]) -> Dict[str, object]:
    """Mean of the paired differences ``a_i - b_i`` with its 95 % t interval.

    Args:
        a (Sequence[float]): One value per run of the first method.
        b (Sequence[float]): The matching run of the second method, same order.

    Returns:
        dict: ``mean``, ``std`` (sample std of the differences; None for one pair), ``n``,
        ``ci_low`` / ``ci_high`` (``mean -+ t(n-1) * std / sqrt(n)``; None for one pair) and
        ``values`` (the differences).

    Raises:
        ValueError: ``a`` and ``b`` differ in length, or are empty.
    """
    a, b = [float(v) for v in a], [float(v) for v in b]
    if len(a) != len(b):
        raise ValueError(f'paired_difference: {len(a)} values against {len(b)}; '
                         'each run needs its matching run')
    if not a:
        raise ValueError('paired_difference: no pairs')
    values = [x - y for x, y in zip(a, b)]
    mean, std = mean_std(values)
    low: Optional[float] = None
    high: Optional[float] = None
    if std is not None:
        half = float(stats.t.ppf(0.975, len(values) - 1)) * std / math.sqrt(len(values))
        low, high = mean - half, mean + half
    return dict(mean=mean, std=std, n=len(values), ci_low=low, ci_high=high, values=values)
