"""Paired differences of two methods over matched runs, with a Student-t 95 % interval."""
import math
from typing import Dict, Optional, Sequence

from .aggregate import mean_std

# Two-sided 95 % quantiles of Student's t (the 0.975 quantile), df = 1 .. 30.
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
         2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
         2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)
_Z975 = 1.959964


def t_quantile_975(df: int) -> float:
    """The 0.975 quantile of Student's t with ``df`` degrees of freedom (a two-sided 95 % interval).

    ``df <= 30`` come from a table (3 decimals); beyond, the Cornish-Fisher expansion around the normal
    quantile (error below 1e-4 for ``df > 30``), which tends to 1.96.

    Args:
        df (int): Degrees of freedom, ``>= 1``.

    Returns:
        float: The quantile, e.g. 4.303 for ``df=2``.

    Raises:
        ValueError: ``df`` is not an integer >= 1.
    """
    if isinstance(df, bool) or not isinstance(df, int) or df < 1:
        raise ValueError(f't_quantile_975: df must be an int >= 1, got {df!r}')
    if df <= len(_T975):
        return _T975[df - 1]
    z = _Z975
    return (z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3))


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
        half = t_quantile_975(len(values) - 1) * std / math.sqrt(len(values))
        low, high = mean - half, mean + half
    return dict(mean=mean, std=std, n=len(values), ci_low=low, ci_high=high, values=values)
