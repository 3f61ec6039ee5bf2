"""The confirmatory study's analysis (docs/results/plan_confirmatory.md), exactly as the plan states it.

Input: ``docs/results/demo_confirmatory.json`` as the runner writes it (:mod:`ga2clip_demo.confirmatory`): one
record per world with the test metrics of each method's single run (few-shot list 1, training seed 0) and of
zero-shot CLIP. The world is the unit: each comparison is a per-world difference, and the worlds are its
replicates.

1. **Premise gate** (first): ``D = IVLP novel - zero-shot novel``. The premise holds when the mean is negative
   and the two-sided 95 % t interval lies below 0. If it fails, the primary is reported as *not testable* (its
   numbers are shown, no test is called).
2. **Primary**, tested alone at alpha .05: GA2-CLIP as released (hard prompt + coupling; the released anchor term
   is inert) - IVLP, HM.
3. **Secondaries**, Holm over the three: kl anchor term (ours) - IVLP; ViLT-CLIP - IVLP; kl - as released (HM).
4. **Dose-response**: the per-world gain (as released - IVLP, HM) regressed on the per-world narrowing
   ``zero-shot novel - (IVLP novel + as-released novel) / 2`` (the two trained runs enter the narrowing
   symmetrically, so that the IVLP run's own noise, which lowers the gain and raises an IVLP-only narrowing at
   once, does not make a slope under the null; :func:`dose_response`). OLS slope, t interval (df N - 2),
   two-sided p, alpha .05, outside the family; the world bootstrap beside it.

Every interval: Student t over the worlds (``scipy.stats``), the bootstrap over worlds (10,000 draws, seed 0,
percentile) beside it. The analysis refuses an incomplete study (:func:`check_complete`): no partial look.

Usage (only once ``docs/results/demo_confirmatory.json`` holds every planned world)::

    python docs/results/confirmatory_analysis.py docs/results/demo_confirmatory.json --out-dir docs/results
"""
import argparse
import json
import math
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from scipy import stats

from ga2clip_demo.evaluation.clustered import hierarchical_bootstrap, holm, nested_t_interval

#: Method keys of a world record's ``runs`` (zero-shot is one deterministic run per world).
METHODS = ('zero-shot', 'ivlp', 'ga2clip_as_released', 'ga2clip', 'vilt')
PREMISE = ('ivlp', 'zero-shot', 'novel', 'IVLP - zero-shot CLIP (novel): the premise gate')
PRIMARY = ('ga2clip_as_released', 'ivlp', 'hm', 'GA2-CLIP as released - IVLP (HM): primary')
SECONDARIES = [
    ('ga2clip', 'ivlp', 'hm', 'kl anchor term (ours) - IVLP (HM)'),
    ('vilt', 'ivlp', 'hm', 'ViLT-CLIP - IVLP (HM)'),
    ('ga2clip', 'ga2clip_as_released', 'hm', 'kl anchor term (ours) - GA2-CLIP as released (HM)'),
]
ALPHA = 0.05
N_BOOT = 10000
METRICS = {'base': 'b2n/base_top1', 'novel': 'b2n/novel_top1', 'hm': 'b2n/hm'}


class IncompleteStudyError(RuntimeError):
    """The study is not complete: the plan forbids analysing part of it."""


def check_complete(data: dict) -> List[dict]:
    """The world records, once every planned world has every method's run; refuses anything less.

    Raises:
        IncompleteStudyError: A planned world, or a method of one, is missing (they are named), or a world is
            recorded that the plan does not name.
    """
    planned = list(data['design']['worlds'])
    worlds = {w['seed']: w for w in data.get('worlds', [])}
    extra = sorted(set(worlds) - set(planned))
    if extra:
        raise IncompleteStudyError(f'worlds {extra} are not in the plan\'s list')
    missing = [s for s in planned if s not in worlds]
    partial = {s: [m for m in METHODS if m not in worlds[s].get('runs', {})] for s in planned if s in worlds}
    partial = {s: m for s, m in partial.items() if m}
    if missing or partial:
        raise IncompleteStudyError(
            f'{len(planned) - len(missing) - len(partial)} of {len(planned)} worlds complete; no analysis until '
            f'all are (docs/results/plan_confirmatory.md). Missing worlds: {missing}; incomplete: {partial}')
    return [worlds[s] for s in planned]


def world_value(world: dict, method: str, metric: str) -> float:
    """A method's metric in a world, in points (0-100)."""
    return 100.0 * float(world['runs'][method]['metrics'][METRICS[metric]])


def differences(worlds: Sequence[dict], a: str, b: str, metric: str) -> Dict[int, float]:
    """``{world seed: a - b}`` in points."""
    return {w['seed']: world_value(w, a, metric) - world_value(w, b, metric) for w in worlds}


def interval(diffs: Dict[int, float], seed: int = 0) -> dict:
    """Mean, t interval and two-sided p over the worlds, with the world bootstrap's percentile interval."""
    keyed = {(s, 1, 0): v for s, v in diffs.items()}
    t = nested_t_interval(keyed)
    boot = hierarchical_bootstrap(keyed, n_boot=N_BOOT, seed=seed)
    return dict(mean=t['mean'], sd=float(np.std(list(diffs.values()), ddof=1)), n=t['n_units'], df=t['df'],
                ci_low=t['ci_low'], ci_high=t['ci_high'], t=t['t'], p=t['p_value'],
                boot_low=boot['ci_low'], boot_high=boot['ci_high'], per_world=dict(diffs))


def dose_response(worlds: Sequence[dict], seed: int = 0) -> dict:
    """Slope of the per-world gain (as released - IVLP, HM) on the per-world narrowing (zero-shot novel minus the
    mean novel of IVLP and as released), OLS with a t interval (df N - 2) and a world bootstrap."""
    gain = np.array([world_value(w, 'ga2clip_as_released', 'hm') - world_value(w, 'ivlp', 'hm') for w in worlds])
    narrow = np.array([world_value(w, 'zero-shot', 'novel')
                       - (world_value(w, 'ivlp', 'novel') + world_value(w, 'ga2clip_as_released', 'novel')) / 2
                       for w in worlds])
    n = len(worlds)
    fit = stats.linregress(narrow, gain)
    half = float(stats.t.ppf(1 - ALPHA / 2, n - 2)) * fit.stderr
    idx = np.random.default_rng(seed).integers(n, size=(N_BOOT, n))
    x, y = narrow[idx], gain[idx]
    x = x - x.mean(axis=1, keepdims=True)
    var = (x * x).sum(axis=1)
    keep = var > 0  # a draw of one repeated world has no slope
    slopes = (x * (y - y.mean(axis=1, keepdims=True))).sum(axis=1)[keep] / var[keep]
    low, high = np.quantile(slopes, [ALPHA / 2, 1 - ALPHA / 2])
    return dict(slope=float(fit.slope), intercept=float(fit.intercept), ci_low=float(fit.slope - half),
                ci_high=float(fit.slope + half), p=float(fit.pvalue), r=float(fit.rvalue), df=n - 2,
                boot_low=float(low), boot_high=float(high), gain=gain.tolist(), narrowing=narrow.tolist())


def power_at(n: int, sd: float, delta: float = 3.0, alpha: float = ALPHA) -> float:
    """Two-sided one-sample t power (noncentral t)."""
    df, ncp = n - 1, delta * math.sqrt(n) / sd
    crit = stats.t.ppf(1 - alpha / 2, df)
    return float(stats.nct.sf(crit, df, ncp) + stats.nct.cdf(-crit, df, ncp))


def detectable(n: int, sd: float, alpha: float = ALPHA, target: float = 0.8) -> float:
    """Smallest effect detected with power ``target`` by ``n`` worlds at SD ``sd`` (bisection)."""
    lo, hi = 0.0, 100.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if power_at(n, sd, mid, alpha) < target else (lo, mid)
    return hi


def analyse(data: dict) -> dict:
    """The plan's analysis of a complete study (:func:`check_complete` first)."""
    worlds = check_complete(data)
    premise = dict(interval(differences(worlds, *PREMISE[:3])), label=PREMISE[3])
    premise['holds'] = bool(premise['mean'] < 0 and premise['ci_high'] < 0)
    primary = dict(interval(differences(worlds, *PRIMARY[:3])), label=PRIMARY[3])
    primary['testable'] = premise['holds']
    primary['significant'] = bool(premise['holds'] and primary['p'] is not None and primary['p'] <= ALPHA)
    primary['detectable_80'] = detectable(primary['n'], primary['sd'])
    secondaries = [dict(interval(differences(worlds, a, b, m)), label=label, a=a, b=b, metric=m)
                   for a, b, m, label in SECONDARIES]
    for s, p in zip(secondaries, holm([s['p'] for s in secondaries])):
        s['p_holm'] = p
        s['significant'] = bool(p is not None and p <= ALPHA)
    means = {m: {k: float(np.mean([world_value(w, m, k) for w in worlds])) for k in METRICS} for m in METHODS}
    return dict(n_worlds=len(worlds), premise=premise, primary=primary, secondaries=secondaries,
                dose_response=dose_response(worlds), means=means)


def load(path: str) -> dict:
    """The study's json."""
    with open(path) as f:
        return json.load(f)


def _ci(c: dict) -> str:
    return (f'{c["mean"]:+.1f} [{c["ci_low"]:+.1f}, {c["ci_high"]:+.1f}] (t, df {c["df"]}); bootstrap '
            f'[{c["boot_low"]:+.1f}, {c["boot_high"]:+.1f}]')


def format_report(result: dict, labels: Optional[Dict[str, str]] = None) -> str:
    """The markdown report: the gate, the primary, the secondaries, the dose-response, the method means."""
    p, pr = result['premise'], result['primary']
    lines = [f'Confirmatory study, {result["n_worlds"]} worlds x 1 list x 1 seed (docs/results/plan_confirmatory.md).',
             '', f'1. **Premise gate** ({p["label"]}): {_ci(p)}: **{"holds" if p["holds"] else "fails"}**.']
    if pr['testable']:
        verdict = 'significant' if pr['significant'] else 'not significant'
        lines.append(f'2. **Primary** ({pr["label"]}): {_ci(pr)}, p = {pr["p"]:.3g}: **{verdict}** at alpha .05. '
                     f'Observed SD of the per-world difference {pr["sd"]:.2f}; smallest effect this design detects '
                     f'with 80 % power at it: {pr["detectable_80"]:.1f} HM.')
    else:
        lines.append(f'2. **Primary** ({pr["label"]}): **not testable** (the premise failed); descriptively '
                     f'{_ci(pr)}.')
    lines += ['', '| secondary (Holm over 3) | difference [95 % CI] | p | p (Holm) |', '|---|---|---|---|']
    lines += [f'| {s["label"]} | {_ci(s)} | {s["p"]:.3g} | {s["p_holm"]:.3g} |' for s in result['secondaries']]
    d = result['dose_response']
    lines += ['', f'Dose-response: gain = {d["intercept"]:+.2f} + {d["slope"]:.2f} x narrowing; slope 95 % CI '
              f'[{d["ci_low"]:+.2f}, {d["ci_high"]:+.2f}] (t, df {d["df"]}), p = {d["p"]:.3g}; bootstrap '
              f'[{d["boot_low"]:+.2f}, {d["boot_high"]:+.2f}].', '',
              '| method | base | novel | HM |', '|---|---|---|---|']
    labels = labels or {}
    lines += [f'| {labels.get(m, m)} | {v["base"]:.1f} | {v["novel"]:.1f} | {v["hm"]:.1f} |'
              for m, v in result['means'].items()]
    return '\n'.join(lines) + '\n'


LABELS = {
    'zero-shot': 'zero-shot CLIP',
    'ivlp': 'IVLP',
    'ga2clip_as_released': 'GA2-CLIP as released (hard prompt + coupling; the released anchor term is inert)',
    'ga2clip': 'kl anchor term (ours)',
    'vilt': 'ViLT-CLIP',
}


def write_chart(result: dict, out_file: str) -> None:
    """Per-world differences (dots) with the mean and its 95 % t interval (bar), one row per comparison."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    rows = [result['premise'], result['primary'], *result['secondaries']]
    fig, ax = plt.subplots(figsize=(8, 0.8 + 0.7 * len(rows)))
    for i, c in enumerate(rows):
        y = len(rows) - 1 - i
        vals = list(c['per_world'].values())
        ax.scatter(vals, [y + 0.15] * len(vals), s=8, alpha=0.5, color='grey')
        ax.errorbar([c['mean']], [y], xerr=[[c['mean'] - c['ci_low']], [c['ci_high'] - c['mean']]], fmt='o',
                    color='black', capsize=4)
    ax.axvline(0, color='red', lw=0.8)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([c['label'] for c in reversed(rows)], fontsize=7)
    ax.set_xlabel('difference (points): per world (grey), mean with 95 % t interval (black)')
    fig.tight_layout()
    fig.savefig(out_file, dpi=120)
    plt.close(fig)


def main(argv=None) -> dict:
    """Analyse a complete study: ``<out-dir>/demo_confirmatory.{md,png}`` and ``demo_confirmatory_analysis.json``."""
    p = argparse.ArgumentParser(description='The confirmatory study\'s analysis (refuses an incomplete study).')
    p.add_argument('results', help='docs/results/demo_confirmatory.json')
    p.add_argument('--out-dir', default=None, help='default: the folder of the results json')
    args = p.parse_args(argv)
    result = analyse(load(args.results))
    out_dir = args.out_dir or osp.dirname(osp.abspath(args.results))
    with open(osp.join(out_dir, 'demo_confirmatory_analysis.json'), 'w') as f:
        json.dump(result, f, indent=1)
    text = format_report(result, LABELS)
    with open(osp.join(out_dir, 'demo_confirmatory.md'), 'w') as f:
        f.write(text)
    write_chart(result, osp.join(out_dir, 'demo_confirmatory.png'))
    print(text)
    return result


if __name__ == '__main__':
    main()
