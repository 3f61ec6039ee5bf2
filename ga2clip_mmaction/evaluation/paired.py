"""Paired differences of two methods over matched runs, with a Student-t 95 % interval."""
import math
from typing import Dict, Optional, Sequence

from .aggregate import mean_std


def _t_quantile(q: float, df: int) -> float:
    """Student-t quantile from scipy, an optional dependency of the package (extra ``stats``)."""
    try:
        from scipy import stats
    except ImportError as err:
        raise ImportError('paired_difference needs scipy for its t interval: '
                          'pip install "ga2clip_mmaction[stats]" (or pip install scipy)') from err
    return float(stats.t.ppf(q, df))


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
        ImportError: Two or more pairs and scipy is not installed (extra ``stats``).
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
        half = _t_quantile(0.975, len(values) - 1) * std / math.sqrt(len(values))
        low, high = mean - half, mean + half
    return dict(mean=mean, std=std, n=len(values), ci_low=low, ci_high=high, values=values)
