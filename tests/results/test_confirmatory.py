"""The confirmatory study's analysis and runner bookkeeping (docs/results/confirmatory_{analysis,study}.py) on
fabricated inputs, and the recorded worlds against a regeneration of their files."""
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
from scipy import stats

from ga2clip_demo import provenance

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
RESULTS = osp.join(REPO, 'docs', 'results', 'demo_confirmatory.json')


def _load(name):
    spec = importlib.util.spec_from_file_location(name, osp.join(REPO, 'docs', 'results', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def ana():
    return _load('confirmatory_analysis')


@pytest.fixture(scope='module')
def study():
    return _load('confirmatory_study')


def fabricate(n=35, seed=0, premise=-10.0, gain=2.0, slope=None):
    """A complete study: per world, zero-shot / IVLP / as released / kl / ViLT metrics (fractions), with IVLP's
    novel ``premise`` points below zero-shot and as released ``gain`` HM points above IVLP, plus noise."""
    rng = np.random.default_rng(seed)
    worlds = []
    for i in range(n):
        zs_novel = 60 + rng.normal(0, 5)
        ivlp_novel = zs_novel + premise + rng.normal(0, 3)
        ivlp_hm = 75 + rng.normal(0, 4)
        narrowing = zs_novel - ivlp_novel
        g = gain + rng.normal(0, 5) if slope is None else slope * narrowing
        rel_novel = ivlp_novel + g / 2  # as released's novel: halfway repaired (symmetric narrowing below)
        vals = {'zero-shot': (82, zs_novel, 70), 'ivlp': (96, ivlp_novel, ivlp_hm),
                'ga2clip_as_released': (95, rel_novel, ivlp_hm + g),
                'ga2clip': (95, ivlp_novel + 1, ivlp_hm + 1 + rng.normal(0, 5)),
                'vilt': (95, ivlp_novel, ivlp_hm + rng.normal(0, 5))}
        runs = {m: dict(metrics={'b2n/base_top1': b / 100, 'b2n/novel_top1': nv / 100, 'b2n/hm': h / 100})
                for m, (b, nv, h) in vals.items()}
        worlds.append(dict(seed=31001 + i, runs=runs))
    return dict(design=dict(worlds=[31001 + i for i in range(n)]), worlds=worlds)


def test_primary_is_the_paired_t_over_worlds_and_the_gate_comes_first(ana):
    data = fabricate()
    res = ana.analyse(data)
    d = [100 * (w['runs']['ga2clip_as_released']['metrics']['b2n/hm'] - w['runs']['ivlp']['metrics']['b2n/hm'])
         for w in data['worlds']]
    t = stats.ttest_1samp(d, 0)
    low, high = stats.t.interval(0.95, len(d) - 1, loc=np.mean(d), scale=stats.sem(d))
    pr = res['primary']
    assert pr['mean'] == pytest.approx(np.mean(d)) and pr['p'] == pytest.approx(t.pvalue)
    assert (pr['ci_low'], pr['ci_high']) == pytest.approx((low, high))
    assert pr['boot_low'] < pr['mean'] < pr['boot_high'] and pr['n'] == 35 and pr['df'] == 34
    assert res['premise']['holds'] and res['premise']['mean'] == pytest.approx(-10, abs=2)
    assert pr['testable'] and pr['significant'] == (t.pvalue <= 0.05)
    # secondaries: Holm over exactly the three
    ps = [s['p'] for s in res['secondaries']]
    order = np.argsort(ps)
    expect = np.maximum.accumulate([min(1, (3 - k) * ps[i]) for k, i in enumerate(order)])
    assert [res['secondaries'][i]['p_holm'] for i in order] == pytest.approx(list(expect))
    assert [(s['a'], s['b']) for s in res['secondaries']] == [('ga2clip', 'ivlp'), ('vilt', 'ivlp'),
                                                              ('ga2clip', 'ga2clip_as_released')]
    text = ana.format_report(res, ana.LABELS)
    assert text.index('Premise gate') < text.index('Primary')


def test_a_failed_premise_makes_the_primary_not_testable(ana):
    res = ana.analyse(fabricate(premise=+3.0, gain=8.0))
    assert not res['premise']['holds']
    assert res['primary']['p'] < 0.05 and not res['primary']['testable'] and not res['primary']['significant']
    assert 'not testable' in ana.format_report(res)


def test_no_analysis_of_an_incomplete_study(ana):
    data = fabricate()
    data['worlds'] = data['worlds'][:-2]
    with pytest.raises(ana.IncompleteStudyError, match=r'33 of 35 worlds complete.*\[31034, 31035\]'):
        ana.analyse(data)
    data = fabricate()
    del data['worlds'][4]['runs']['vilt']
    with pytest.raises(ana.IncompleteStudyError, match=r"incomplete: \{31005: \['vilt'\]\}"):
        ana.analyse(data)


def test_dose_response_recovers_a_slope_and_shows_none_under_exchangeable_noise(ana, monkeypatch):
    res = ana.analyse(fabricate(slope=0.5))
    # gain g = 0.5 N (N = zero-shot - IVLP novel); as released's novel is IVLP's + g / 2, so the symmetric
    # narrowing is N - g / 4 = 0.875 N and the slope on it 0.5 / 0.875
    assert res['dose_response']['slope'] == pytest.approx(0.5 / 0.875, abs=1e-6)
    # Under the null (as released and IVLP exchangeable), the IVLP run's noise enters the gain with - and an
    # IVLP-only narrowing with +: the symmetric narrowing must not turn that into a slope.
    rng = np.random.default_rng(1)
    n = 4000
    worlds = []
    for i in range(n):
        zs = 60 + rng.normal(0, 5)
        a, b = (zs - 8 + rng.normal(0, 6, size=2))  # novel of IVLP and as released: same distribution
        ha, hb = 75 + (a - 52) * 0.7, 75 + (b - 52) * 0.7
        worlds.append(dict(seed=i, runs={
            'zero-shot': dict(metrics={'b2n/base_top1': .8, 'b2n/novel_top1': zs / 100, 'b2n/hm': .7}),
            'ivlp': dict(metrics={'b2n/base_top1': .96, 'b2n/novel_top1': a / 100, 'b2n/hm': ha / 100}),
            'ga2clip_as_released': dict(metrics={'b2n/base_top1': .96, 'b2n/novel_top1': b / 100,
                                                 'b2n/hm': hb / 100})}))
    monkeypatch.setattr(ana, 'N_BOOT', 200)
    ana_null = ana.dose_response(worlds)
    assert abs(ana_null['slope']) < 0.1 and ana_null['ci_low'] < 0 < ana_null['ci_high']


@pytest.fixture
def run_dir(tmp_path):
    """A finished run's folder with its provenance (the study reuses runs through ``ga2clip_demo.provenance``)."""
    prov = dict(commit='a' * 40, tree='b' * 40, dirty=False, constraints_sha256='c', clip_weights_sha256='d',
                hard_prompt_sha256='e', versions=dict(torch='2.14.1', mmengine='0.10.7'), torch_threads=1,
                cpu_model='X', cpu_count=2, started='2026-12-07T01:00:00Z', finished='2026-12-07T01:01:00Z')
    provenance.write_provenance(str(tmp_path), prov)
    return str(tmp_path), prov


def test_reuse_only_under_the_same_provenance_times_excepted(run_dir):
    wd, prov = run_dir
    later = dict(prov, started='2027-01-01T00:00:00Z', finished=None)
    assert provenance.check_reuse(wd, later) == prov
    with pytest.raises(provenance.ProvenanceMismatch, match=r"hard_prompt_sha256: recorded 'e', now 'f'"):
        provenance.check_reuse(wd, dict(later, hard_prompt_sha256='f'))
    with pytest.raises(provenance.ProvenanceMismatch, match=r"versions\.torch: recorded '2.14.1', now '2.15.0'"):
        provenance.check_reuse(wd, dict(later, versions=dict(prov['versions'], torch='2.15.0')))
    with pytest.raises(provenance.ProvenanceMismatch, match=r'cpu_model.*torch_threads: recorded 1, now 2'):
        provenance.check_reuse(wd, dict(later, cpu_model='Y', torch_threads=2))


def test_reuse_refuses_a_run_without_finished_provenance(run_dir):
    wd, prov = run_dir
    provenance.write_provenance(wd, dict(prov, finished=None))
    with pytest.raises(provenance.ProvenanceMismatch, match='without finished provenance'):
        provenance.check_reuse(wd, prov)


def test_the_study_refuses_another_design_or_other_code(study, monkeypatch):
    monkeypatch.setattr(study, 'HABITAT_PROB', 0.9)
    data = dict(design=dict(study.design(), habitat_prob=0.8), worlds=[])
    with pytest.raises(study.ProvenanceMismatch, match=r'another design: habitat_prob: recorded 0.8, now 0.9'):
        study.check_study(data, {})
    now = dict(commit='a', tree='t', dirty=False, constraints_sha256='c', clip_weights_sha256='w',
               versions=dict(torch='1'), torch_threads=1)
    data = dict(design=study.design(), worlds=[dict(seed=31001, runs=dict(ivlp=dict(
        provenance=dict(now, commit='z', cpu_model='other', started='x'))))])
    with pytest.raises(study.ProvenanceMismatch, match=r"world 31001 ivlp .*commit: recorded 'z', now 'a'"):
        study.check_study(data, dict(now, cpu_model='mine'))
    data['worlds'][0]['runs']['ivlp']['provenance']['commit'] = 'a'
    study.check_study(data, dict(now, cpu_model='mine'))  # the CPU model and times may differ between worlds


def test_the_study_provenance_names_the_configs_clip_weights(study):
    """What every world is checked against carries the CLIP weights' sha256 that each run records (a study
    provenance without it refused the second world: the bug that stopped the runs of commit 06077fc)."""
    current = study.study_provenance(1)
    weights = study.run_inputs(osp.join(REPO, study.TRAINED['ivlp']), REPO)['clip_weights']
    assert current['clip_weights_sha256'] == study.sha256_file(weights) is not None
    run = dict(current, hard_prompt_sha256='h', cpu_model='other', started='s', finished='f')
    data = dict(design=study.design(), worlds=[dict(seed=31001, runs=dict(ivlp=dict(provenance=run)))])
    study.check_study(data, current)


def _recorded_worlds():
    if not osp.isfile(RESULTS):
        return []
    with open(RESULTS) as f:
        return json.load(f)['worlds']


def test_two_recorded_worlds_regenerate_with_their_hashes(study, tmp_path):
    """The first and the last world of docs/results/demo_confirmatory.json regenerate (annotation files only) with
    the sha256 of every annotation and class-name file the json records."""
    worlds = _recorded_worlds()
    if len(worlds) < 2:
        pytest.skip(f'{RESULTS}: {len(worlds)} world(s) recorded yet; the check needs two')
    from ga2clip_demo import make_synthetic_videos as tool
    from ga2clip_demo.synthetic.hashes import world_hashes
    for w in (worlds[0], worlds[-1]):
        root = str(tmp_path / str(w['seed']))
        tool.main(['--out', root, '--seed', str(w['seed']), '--habitat-prob', str(w['habitat_prob']),
                   '--no-videos'])
        got = world_hashes(root, videos=False)
        assert got['annotations'] == w['files']['annotations'], w['seed']
        assert got['class_names'] == w['files']['class_names'], w['seed']


def test_the_committed_report_is_the_analysis_of_the_committed_json(ana):
    """demo_confirmatory.{md,_analysis.json} are what the registered analysis computes from the committed records,
    and the README's headline quotes its premise and primary."""
    data = ana.load(RESULTS)
    if len(data['worlds']) < len(data['design']['worlds']):
        pytest.skip(f'{RESULTS}: the study is not complete ({data["status"]})')
    result = ana.analyse(data)
    folder = osp.dirname(RESULTS)
    with open(osp.join(folder, 'demo_confirmatory.md')) as f:
        assert f.read() == ana.format_report(result, ana.LABELS)
    with open(osp.join(folder, 'demo_confirmatory_analysis.json')) as f:
        assert json.load(f) == json.loads(json.dumps(result))
    with open(osp.join(REPO, 'README.md')) as f:
        readme = f.read()
    for c in (result['premise'], result['primary']):
        assert f'{c["mean"]:+.1f} [{c["ci_low"]:+.1f}, {c["ci_high"]:+.1f}]' in readme, c['label']
