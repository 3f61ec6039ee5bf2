"""Tables of the embedded demo's grid: methods with clustered intervals, a Holm-corrected family of comparisons,
zero-shot CLIP per world, runs, and each method's trainable parameters and extra data.

A run is ``dict(method, label, world, list, seed, metrics)`` (``metrics``: ``b2n/base_top1``, ``b2n/novel_top1``,
``b2n/hm`` as fractions); zero-shot CLIP has one run per world with ``list=None, seed=None``: it is a per-world
reference, never a paired run. Differences are taken run by run (matched by world, list and seed; a zero-shot
reference is subtracted from every run of its world) and analysed by :mod:`.clustered` (worlds, then lists, as
the units; seeds averaged within list).
"""
from typing import Dict, List, Optional, Sequence, Tuple

from ga2clip_mmaction.evaluation.aggregate import format_mean_std, mean_std
from .clustered import hierarchical_bootstrap, holm, nested_t_interval, paired_values

METRICS = {'base': 'b2n/base_top1', 'novel': 'b2n/novel_top1', 'hm': 'b2n/hm'}


def _by_method(runs: Sequence[dict], metric: str) -> Dict[str, Dict[tuple, float]]:
    out: Dict[str, Dict[tuple, float]] = {}
    for r in runs:
        out.setdefault(r['method'], {})[(r['world'], r['list'], r['seed'])] = r['metrics'][METRICS[metric]]
    return out


def difference(runs: Sequence[dict], a: str, b: str, metric: str = 'hm', n_boot: int = 10000) -> dict:
    """Clustered statistics of ``a - b`` on ``metric``: ``nested`` (:func:`.nested_t_interval`, the primary
    analysis) and ``bootstrap`` (:func:`.hierarchical_bootstrap`), plus ``a``, ``b``, ``metric``.

    Raises:
        ValueError: A run of ``a`` has no ``b`` run of the same world, list and seed; or no runs of ``a``.
    """
    values = _by_method(runs, metric)
    if a not in values or b not in values:
        raise ValueError(f'difference: no runs of {a if a not in values else b!r}')
    try:
        diffs = paired_values(values[a], values[b])
    except ValueError as err:
        raise ValueError(f'{a} - {b}: {err}') from None
    return dict(a=a, b=b, metric=metric, nested=nested_t_interval(diffs),
                bootstrap=hierarchical_bootstrap(diffs, n_boot=n_boot))


def comparison_family(runs: Sequence[dict], family: Sequence[Tuple[str, str, str, str]]) -> List[dict]:
    """The stated comparisons whose methods ran, with Holm-adjusted p-values across them.

    Args:
        runs (Sequence[dict]): The runs.
        family (Sequence[tuple]): ``(a, b, metric, label)`` per comparison, in the plan's order.

    Returns:
        list[dict]: :func:`difference` of each comparison whose two methods have runs, with ``label`` and
        ``p_holm`` (None where the t test has no p-value); ``family_size`` on each.
    """
    present = {r['method'] for r in runs}
    out = [dict(difference(runs, a, b, metric), label=label) for a, b, metric, label in family
           if a in present and b in present]
    adjusted = holm([c['nested']['p_value'] for c in out])
    for c, p in zip(out, adjusted):
        c['p_holm'] = p
        c['family_size'] = len(out)
    return out


def method_rows(runs: Sequence[dict], order: Sequence[Tuple[str, str]],
                references: Sequence[Tuple[str, str]]) -> List[dict]:
    """One row per method: base / novel / HM mean ± sample std over its runs (descriptive), the numbers of
    runs and worlds, and the clustered HM difference to each reference (None for the reference itself and for
    zero-shot CLIP, which is not paired).

    Raises:
        ValueError: A row has no run, or a pairing lacks a matching run.
    """
    rows = []
    for method, label in order:
        mine = [r for r in runs if r['method'] == method]
        if not mine:
            raise ValueError(f'No runs of {method!r} ({label})')
        row = dict(method=method, label=label, n=len(mine), worlds=len({r['world'] for r in mine}), diff={})
        for short, key in METRICS.items():
            vals = [r['metrics'][key] for r in mine]
            mean, std = mean_std(vals)
            row[short] = dict(mean=mean, std=std, n=len(vals), values=vals)
        present = {r['method'] for r in runs}
        for ref, ref_label in references:
            paired = ref != method and ref in present and method != 'zero-shot'
            row['diff'][ref_label] = difference(runs, method, ref) if paired else None
        rows.append(row)
    return rows


def _pct(x: Optional[float]) -> str:
    return '-' if x is None else f'{100 * x:+.1f}'


def format_interval(d: Optional[dict]) -> str:
    """``+8.3 [-5.1, +21.7]`` (percentage points) from a :func:`difference`; ``-`` for None."""
    if d is None:
        return '-'
    n = d['nested']
    if n['ci_low'] is None:
        return f'{_pct(n["mean"])} (one {n["unit"]})'
    return f'{_pct(n["mean"])} [{_pct(n["ci_low"])}, {_pct(n["ci_high"])}]'


def format_methods_table(rows: Sequence[dict], references: Sequence[str]) -> str:
    """Markdown: one row per method (percent; mean ± sample std over runs; clustered HM differences)."""
    head = ('| method | runs (worlds) | base | novel | HM | '
            + ' | '.join(f'HM - {r} [95 % CI]' for r in references) + ' |')
    lines = [head, '|' + '---|' * (5 + len(references))]
    for r in rows:
        cells = []
        for ref in references:
            d = r['diff'].get(ref)
            cells.append('reference, not paired' if r['method'] == 'zero-shot' else format_interval(d))
        lines.append(f'| {r["label"]} | {r["n"]} ({r["worlds"]}) | {format_mean_std(r["base"])} | '
                     f'{format_mean_std(r["novel"])} | {format_mean_std(r["hm"])} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def format_comparisons(comparisons: Sequence[dict], labels: Dict[str, str]) -> str:
    """Markdown: the family of comparisons (estimate, t interval over the units, p, Holm p, bootstrap)."""
    lines = ['| comparison | metric | difference | 95 % CI (t, units) | p | p (Holm) | 95 % CI (bootstrap) |',
             '|---|---|---|---|---|---|---|']
    for c in comparisons:
        n, b = c['nested'], c['bootstrap']
        ci = '-' if n['ci_low'] is None else (f'[{_pct(n["ci_low"])}, {_pct(n["ci_high"])}] '
                                              f'(df {n["df"]}, {n["n_units"]} {n["unit"]}s)')
        p = '-' if n['p_value'] is None else f'{n["p_value"]:.3f}'
        ph = '-' if c.get('p_holm') is None else f'{c["p_holm"]:.3f}'
        lines.append(f'| {c.get("label") or labels.get(c["a"], c["a"]) + " - " + labels.get(c["b"], c["b"])} | '
                     f'{c["metric"]} | {_pct(n["mean"])} | {ci} | {p} | {ph} | '
                     f'[{_pct(b["ci_low"])}, {_pct(b["ci_high"])}] |')
    return '\n'.join(lines)


def zero_shot_per_world(runs: Sequence[dict]) -> List[dict]:
    """Zero-shot CLIP per world, with IVLP's mean novel accuracy on that world where it ran."""
    out = []
    for r in runs:
        if r['method'] != 'zero-shot':
            continue
        ivlp = [x['metrics']['b2n/novel_top1'] for x in runs if x['method'] == 'ivlp' and x['world'] == r['world']]
        ivlp_novel = sum(ivlp) / len(ivlp) if ivlp else None
        out.append(dict(world=r['world'], base=r['metrics']['b2n/base_top1'], novel=r['metrics']['b2n/novel_top1'],
                        hm=r['metrics']['b2n/hm'], ivlp_novel=ivlp_novel))
    return out


def format_zero_shot_table(rows: Sequence[dict]) -> str:
    """Markdown: zero-shot CLIP per world (one deterministic value each) and IVLP's novel accuracy there."""
    lines = ['| world | zero-shot base | zero-shot novel | zero-shot HM | IVLP novel (mean) | IVLP - zero-shot novel |',
             '|---|---|---|---|---|---|']
    for r in rows:
        iv = '-' if r['ivlp_novel'] is None else f'{100 * r["ivlp_novel"]:.1f}'
        drop = '-' if r['ivlp_novel'] is None else _pct(r['ivlp_novel'] - r['novel'])
        lines.append(f'| {r["world"]} | {100 * r["base"]:.1f} | {100 * r["novel"]:.1f} | {100 * r["hm"]:.1f} | '
                     f'{iv} | {drop} |')
    return '\n'.join(lines)


def format_runs_table(runs: Sequence[dict]) -> str:
    """Markdown: one row per run (method, world, list, seed, base, novel, HM in percent)."""
    lines = ['| method | world | list | seed | base | novel | HM |', '|---|---|---|---|---|---|---|']
    for r in runs:
        m = r['metrics']
        lines.append(f'| {r["label"]} | {r["world"]} | {"-" if r["list"] is None else r["list"]} | '
                     f'{"-" if r["seed"] is None else r["seed"]} | {100 * m["b2n/base_top1"]:.1f} | '
                     f'{100 * m["b2n/novel_top1"]:.1f} | {100 * m["b2n/hm"]:.1f} |')
    return '\n'.join(lines)


def format_budget_table(budget: Sequence[dict]) -> str:
    """Markdown: trainable parameters and the data each method sees beyond the few-shot base clips."""
    lines = ['| method | trainable parameters | beyond IVLP | extra data seen in training |', '|---|---|---|---|']
    ivlp = next((b['trainable'] for b in budget if b['method'] == 'ivlp'), None)
    for b in budget:
        extra = '-' if ivlp is None or b['method'] == 'ivlp' else f'{b["trainable"] - ivlp:+,}'
        lines.append(f'| {b["label"]} | {b["trainable"]:,} | {extra} | {b["extra_data"]} |')
    return '\n'.join(lines)
