"""The demo's tables on fake runs: clustered differences per method, the Holm family, zero-shot per world."""
import math

import numpy as np
import pytest

from ga2clip_demo.evaluation import demo_report as rep

ZS, IVLP, GA2 = 'zero-shot CLIP', 'IVLP', 'GA2-CLIP'


def _t2_quantile(p):
    return (2 * p - 1) / math.sqrt(2 * p * (1 - p))  # Student t, df = 2, closed form


def _t2_p(t):
    return 1 - abs(t) / math.sqrt(2 + t * t)  # two-sided p, df = 2


def _run(method, label, world, lst, seed, b, n):
    return dict(method=method, label=label, world=world, list=lst, seed=seed,
                metrics={'b2n/base_top1': b, 'b2n/novel_top1': n, 'b2n/hm': 2 * b * n / (b + n)})


def _fake():
    runs = []
    zs_novel = {1: 0.70, 2: 0.60, 3: 0.65}
    for w, zn in zs_novel.items():
        runs.append(_run('zero-shot', ZS, w, None, None, 0.8, zn))
    rng = np.random.default_rng(0)
    for w in (1, 2, 3):
        for lst in (1, 2):
            for seed in (0, 1):
                b, n = 0.9 + 0.01 * rng.random(), 0.5 + 0.1 * rng.random()
                runs.append(_run('ivlp', IVLP, w, lst, seed, b, n))
                runs.append(_run('ga2clip', GA2, w, lst, seed, b - 0.01 * w, n + 0.02 * w + 0.01 * lst))
    return runs, zs_novel


def _world_means(runs, a, b, metric, ref_per_world=False):
    key = rep.METRICS[metric]
    means = []
    for w in (1, 2, 3):
        get = {(r['list'], r['seed']): r['metrics'][key] for r in runs if r['method'] == a and r['world'] == w}
        if ref_per_world:
            [ref] = [r['metrics'][key] for r in runs if r['method'] == b and r['world'] == w]
            other = {k: ref for k in get}
        else:
            other = {(r['list'], r['seed']): r['metrics'][key] for r in runs if r['method'] == b and r['world'] == w}
        means.append(np.mean([get[k] - other[k] for k in get]))
    return np.array(means)


def test_method_rows_use_world_means_as_replicates():
    runs, _ = _fake()
    rows = rep.method_rows(runs, [('zero-shot', ZS), ('ivlp', IVLP), ('ga2clip', GA2)], [('ivlp', IVLP)])
    zs, iv, ga2 = rows
    assert (zs['n'], zs['worlds'], iv['n'], iv['worlds']) == (3, 3, 12, 3)
    assert zs['diff'][IVLP] is None and iv['diff'][IVLP] is None  # zero-shot is not paired
    means = _world_means(runs, 'ga2clip', 'ivlp', 'hm')
    d = ga2['diff'][IVLP]['nested']
    assert d['unit'] == 'world' and d['df'] == 2
    assert d['mean'] == pytest.approx(means.mean())
    half = _t2_quantile(0.975) * means.std(ddof=1) / math.sqrt(3)
    assert (d['ci_low'], d['ci_high']) == pytest.approx((means.mean() - half, means.mean() + half))
    table = rep.format_methods_table(rows, [IVLP]).splitlines()
    assert table[2].startswith(f'| {ZS} | 3 (3) | 80.0 ± 0.0 | 65.0 ± 5.0 |')
    assert table[2].endswith('| reference, not paired |')
    assert table[4].endswith(f'| {100 * d["mean"]:+.1f} [{100 * d["ci_low"]:+.1f}, {100 * d["ci_high"]:+.1f}] |')


def test_family_is_holm_corrected_and_zero_shot_is_a_per_world_reference():
    runs, _ = _fake()
    family = [('ga2clip', 'ivlp', 'hm', 'GA2 - IVLP'), ('vilt', 'ivlp', 'hm', 'absent'),
              ('ivlp', 'zero-shot', 'novel', 'IVLP - zero-shot')]
    comps = rep.comparison_family(runs, family)
    assert [c['label'] for c in comps] == ['GA2 - IVLP', 'IVLP - zero-shot'] and comps[0]['family_size'] == 2
    ps = []
    for c, (a, b, metric, ref) in zip(comps, [('ga2clip', 'ivlp', 'hm', False), ('ivlp', 'zero-shot', 'novel', True)]):
        means = _world_means(runs, a, b, metric, ref_per_world=ref)
        t = means.mean() / (means.std(ddof=1) / math.sqrt(3))
        assert c['nested']['mean'] == pytest.approx(means.mean())
        assert c['nested']['p_value'] == pytest.approx(_t2_p(t))
        ps.append(_t2_p(t))
    lo, hi = sorted(ps)
    expected = {lo: min(1, 2 * lo), hi: max(min(1, 2 * lo), hi)}
    assert [c['p_holm'] for c in comps] == pytest.approx([expected[p] for p in ps])
    text = rep.format_comparisons(comps, {})
    assert '(df 2, 3 worlds)' in text and f'{comps[0]["p_holm"]:.3f}' in text


def test_zero_shot_per_world_table():
    runs, zs_novel = _fake()
    rows = rep.zero_shot_per_world(runs)
    assert [r['world'] for r in rows] == [1, 2, 3]
    for r in rows:
        ivlp = [x['metrics']['b2n/novel_top1'] for x in runs if x['method'] == 'ivlp' and x['world'] == r['world']]
        assert r['novel'] == zs_novel[r['world']] and r['ivlp_novel'] == pytest.approx(np.mean(ivlp))
    assert rep.format_zero_shot_table(rows).splitlines()[2].startswith('| 1 | 80.0 | 70.0 |')


def test_a_run_without_its_match_is_an_error():
    runs, _ = _fake()
    runs = [r for r in runs if not (r['method'] == 'ivlp' and r['world'] == 2 and r['list'] == 1 and r['seed'] == 1)]
    with pytest.raises(ValueError, match=r'ga2clip - ivlp: no run to pair with .*\(2, 1, 1\)'):
        rep.difference(runs, 'ga2clip', 'ivlp')


def test_budget_table():
    text = rep.format_budget_table([dict(method='ivlp', label=IVLP, trainable=2816, extra_data='none'),
                                    dict(method='ga2clip', label=GA2, trainable=11072, extra_data='anchors')])
    assert text.splitlines()[2:] == ['| IVLP | 2,816 | - | none |', '| GA2-CLIP | 11,072 | +8,256 | anchors |']
