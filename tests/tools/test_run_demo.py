"""Integration: the embedded demo on one few-shot list, zero-shot CLIP, IVLP and GA2-CLIP, through tools/train.py and
tools/test.py subprocesses; ``--existing-only`` on a small run layout against the tables of the tool before its
split (tests/data/demo_existing_only/); the lock between two demo processes; the ablation variants' configs. (The
tables' statistics are tested on fake runs in tests/evaluation/test_demo_report.py; multi-seed, multi-world claims
live in the committed grid, docs/results/, never in this suite.)

The trained demo (:func:`demo`, session-scoped: one per test session, ~190 s on 2 loaded cores) is the smallest
that shows every property here: stage 1 (the hard prompt), zero-shot CLIP, IVLP (the narrowing regression check)
and GA2-CLIP (hard prompt, anchors, coupling; its checkpoint), one list, one seed, the demo's own schedule.
"""
import importlib
import json
import math
import os
import os.path as osp
import statistics
import sys

import pytest
import torch

from ga2clip_mmaction.utils.checkpoint import safe_torch_load

GA2 = 'kl anchor term (ours)'
IVLP = 'IVLP'
ZS = 'zero-shot CLIP'


@pytest.fixture(scope='session')
def module():
    return importlib.import_module('ga2clip_demo.run_demo')


@pytest.fixture(scope='session')
def demo(module, tmp_path_factory):
    workspace = tmp_path_factory.mktemp('demo')
    results = module.main(['--methods', 'zero-shot,ivlp,ga2clip', '--lists', '1', '--workspace', str(workspace)])
    return module, workspace, results


def _metrics(results, label):
    [run] = [r for r in results['runs'] if r['label'] == label]
    return run['metrics']


def test_prompt_tuning_beats_zero_shot_on_base(demo):
    _, _, results = demo
    assert list(results['methods']) == [ZS, IVLP, GA2]
    assert [(r['method'], r['list'], r['seed']) for r in results['runs']] == [('zero-shot', None, None),
                                                                               ('ivlp', 1, 0), ('ga2clip', 1, 0)]
    zero_shot, tuned = _metrics(results, ZS), _metrics(results, GA2)
    # 240 base clips: 0.025 is 6 clips; one list moves by about +-3 points with the random stream, so the bar is
    # what a run whose tuning does not help still fails.
    assert tuned['b2n/base_top1'] >= zero_shot['b2n/base_top1'] + 0.025
    # the pretrained tiny CLIP knows the unseen compositions: far above chance (1/12)
    assert zero_shot['b2n/novel_top1'] > 0.3


def test_the_world_narrows_plain_prompt_tuning(demo):
    """A regression check on ONE run (world 0, list 1, seed 0), not evidence that prompt tuning narrows: the
    claim about IVLP against zero-shot CLIP is the committed grid's (docs/results/demo_full_grid.md, worlds as
    replicates). This run showed the drop when it was written; if a code change moves it, look at why."""
    _, _, results = demo
    zero_shot, ivlp = _metrics(results, ZS), _metrics(results, IVLP)
    assert ivlp['b2n/base_top1'] >= zero_shot['b2n/base_top1'] + 0.05
    assert ivlp['b2n/novel_top1'] <= zero_shot['b2n/novel_top1'] - 0.05
    assert results['ivlp_novel_minus_zero_shot'] == pytest.approx(ivlp['b2n/novel_top1'] - zero_shot['b2n/novel_top1'])


def test_numbers_are_finite_and_consistent(demo):
    _, workspace, results = demo
    work_dir = osp.join(workspace, 'work_dirs', 'demo')
    with open(osp.join(work_dir, 'results.json')) as f:
        saved = json.load(f)
    assert [r['metrics'] for r in saved['runs']] == [pytest.approx(r['metrics']) for r in results['runs']]
    for run in results['runs']:
        metrics = run['metrics']
        assert all(math.isfinite(v) and 0 <= v <= 1 for v in metrics.values())
        b, n = metrics['b2n/base_top1'], metrics['b2n/novel_top1']
        assert metrics['b2n/hm'] == pytest.approx(2 * b * n / (b + n))
    # one run each: the row is that run, the difference (one list of one world) has no interval
    ga2 = saved['methods'][GA2]
    assert ga2['n'] == 1 and ga2['hm']['std'] is None
    assert ga2['hm']['mean'] == pytest.approx(_metrics(results, GA2)['b2n/hm'])
    diff = ga2['diff']['IVLP']['nested']
    assert diff['n_units'] == 1 and diff['unit'] == 'list' and diff['ci_low'] is None
    assert diff['mean'] == pytest.approx(_metrics(results, GA2)['b2n/hm'] - _metrics(results, IVLP)['b2n/hm'])
    assert saved['methods'][ZS]['diff']['IVLP'] is None  # zero-shot CLIP is a reference, never paired
    # world 0 is recorded with the sha256 of its files; the budget table counts the trainable parameters
    [world] = saved['worlds']
    assert world['seed'] == 0 and world['num_videos'] == 936 and len(world['annotations']) == 10
    assert world['hard_prompt_sha256'] is not None
    budget = {b['method']: b for b in saved['budget']}
    assert budget['ivlp']['trainable'] < budget['ga2clip']['trainable'] and budget['ivlp']['extra_data'] == 'none'
    assert '64 anchor clips' in budget['ga2clip']['extra_data']
    assert all(r['timing']['train']['cpu_s'] > 0 for r in saved['runs'] if r['method'] != 'zero-shot')
    table = open(osp.join(work_dir, 'results.md')).read()
    assert f'| {GA2} | 1 (1) | ' in table
    assert f'{100 * _metrics(results, GA2)["b2n/hm"]:.1f}' in table
    assert open(osp.join(work_dir, 'results.png'), 'rb').read(8) == b'\x89PNG\r\n\x1a\n'


def test_each_run_logs_into_its_own_files(demo):
    module, workspace, results = demo
    wd = osp.join(workspace, 'work_dirs', 'demo', 'runs', 'ga2clip_s1_seed0')
    train_log, test_log = open(osp.join(wd, 'train.log')).read(), open(osp.join(wd, 'test.log')).read()
    assert 'Epoch(train) [6]' in train_log and 'Epoch(test)' not in train_log
    assert 'Epoch(test)' in test_log and 'Epoch(train)' not in test_log
    assert "'fs_base_s1_train.txt'" in train_log or 'fs_base_s1_train.txt' in train_log
    # the summarizer reads the runs' MMEngine test logs (zero-shot's is written in the same format)
    from ga2clip_mmaction.evaluation.summary import read_run_metrics
    assert read_run_metrics(wd) == pytest.approx(_metrics(results, GA2))
    zs_dir = osp.join(workspace, 'work_dirs', 'demo', 'runs', 'zero-shot')
    assert read_run_metrics(zs_dir) == pytest.approx(_metrics(results, ZS))


def test_checkpoints_load_back(demo, monkeypatch):
    module, workspace, _ = demo
    monkeypatch.chdir(workspace)  # the config's data paths are relative
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint
    from mmaction.registry import MODELS

    work_dir = osp.join(workspace, 'work_dirs', 'demo')
    ckpt = module.latest_checkpoint(osp.join(work_dir, 'runs', 'ga2clip_s1_seed0'))
    state = safe_torch_load(ckpt, map_location='cpu')['state_dict']
    hard_prompt = torch.load(osp.join(workspace, module.HARD_PROMPT), weights_only=True)['hard_prompt']
    stage1 = safe_torch_load(module.latest_checkpoint(osp.join(work_dir, 'runs', 'stage1')),
                             map_location='cpu')['state_dict']
    # the hard prompt is the stage-1 soft context, and the GA2 checkpoint carries it
    assert torch.equal(hard_prompt, stage1['cls_head.prompt_learner.ctx'])
    assert torch.equal(state['cls_head.prompt_learner.hard_prompt'], hard_prompt)

    cfg = Config.fromfile(module.CONFIGS['ga2clip'])
    init_default_scope('mmaction')
    cfg.model.cls_head.hard_prompt = None  # the checkpoint must be enough
    model = MODELS.build(cfg.model)
    load_checkpoint(model, ckpt, map_location='cpu', strict=True)  # a Runner checkpoint outside a Runner
    for key, value in model.state_dict().items():
        if key in state:
            assert torch.equal(value, state[key]), key
    assert not torch.equal(state['cls_head.prompt_learner.ctx'], stage1['cls_head.prompt_learner.ctx'])


def test_ablation_variants_build(demo, monkeypatch):
    """Every distinct ablation run's config (with its cfg options) passes the config checks (ConfigCheckHook)
    and builds its model and training set; rows sharing a run name share the options."""
    module, workspace, _ = demo
    monkeypatch.chdir(workspace)
    from mmengine.config import Config, DictAction
    from mmengine.registry import init_default_scope
    from mmaction.registry import DATASETS, MODELS
    from ga2clip_mmaction.engine.config_checks import check_config

    options = {}
    for name, _, opts in module.ABLATION:
        assert options.setdefault(name, opts) == opts, name
    assert options['ga2clip'] == []
    runs = module.ablation_runs()
    assert [r[0] for r in runs] == ['ivlp', 'hard_prompt_alone', 'anchors_alone_kl', 'anchors_alone_negative',
                                    'anchors_alone_official', 'ga2clip', 'coupling_add', 'coupling_seq_concat',
                                    'anchors4', 'anchors16', 'fusion0.5', 'fusion2']
    init_default_scope('mmaction')
    built = {}
    for name, config, opts in runs:
        cfg = Config.fromfile(config)
        parser = __import__('argparse').ArgumentParser()
        parser.add_argument('--o', nargs='+', action=DictAction)
        cfg.merge_from_dict(parser.parse_args(['--o', *module.train_set_options(config, 2), *opts]).o)
        check_config(cfg, training=True)  # what ConfigCheckHook runs
        model = MODELS.build(cfg.model)
        dataset = cfg.train_dataloader.dataset
        built[name] = (model, cfg)
        if name != 'ivlp':
            assert dataset.dataset.ann_file.endswith('fs_base_s2_train.txt')
    assert built['hard_prompt_alone'][0].cls_head.anchor_loss is None
    assert built['hard_prompt_alone'][1].train_dataloader.batch_sampler.num_anchors == 0
    for mode in ('kl', 'negative', 'official'):
        model, cfg = built[f'anchors_alone_{mode}']
        assert model.cls_head.anchor_loss.mode == mode
        assert cfg.model.cls_head.coupling == 'none' and cfg.model.cls_head.hard_prompt is None
    assert built['coupling_add'][1].model.cls_head.coupling == 'add'
    assert built['coupling_seq_concat'][1].model.cls_head.coupling == 'seq_concat'
    assert built['fusion2'][0].cls_head.anchor_loss.loss_weight == 2.0
    anchors4 = DATASETS.build(built['anchors4'][1].train_dataloader.dataset)
    assert anchors4.num_anchors == 4


def test_run_names_group_by_method(module):
    from ga2clip_mmaction.evaluation import split_run_name
    for method in module.METHODS:
        assert split_run_name(module.run_name(method, 3, 1)) == (method, 3)
    for name, _, _ in module.ABLATION:
        assert split_run_name(module.run_name(name, 2, 0))[0] == name


def test_a_failing_run_names_itself_with_its_log_tail(module, tmp_path):
    log = str(tmp_path / 'train.log')
    cmd = [sys.executable, '-c', "print('loading cfg.py'); raise KeyError('model.cls_head.nope')"]
    with pytest.raises(RuntimeError) as err:
        module.run_subprocess(cmd, str(tmp_path), log)
    text = str(err.value)
    assert text.startswith(f'`{sys.executable} -c ') and f'failed (exit 1); log {log}:' in text
    assert 'loading cfg.py' in text and "KeyError: 'model.cls_head.nope'" in text and 'Traceback' in text
    assert "KeyError: 'model.cls_head.nope'" in open(log).read()


def test_bad_command_lines(module):
    with pytest.raises(ValueError, match=r"--methods: unknown \['vifi'\]"):
        module.main(['--methods', 'ivlp,vifi'])
    with pytest.raises(ValueError, match='--lists: expected comma-separated integers'):
        module.main(['--lists', '1,x'])
    with pytest.raises(ValueError, match=r'--lists: the world has few-shot lists 1, 2, 3, got \[4\]'):
        module.main(['--lists', '1,4'])
    with pytest.raises(ValueError, match='--epochs/--stage1-epochs must be >= 2'):
        module.epoch_options(1)


_HOLDER = """
import sys, time
sys.path.insert(0, {repo!r})
from ga2clip_demo import run_demo
with run_demo.run_lock({wd!r}) as mine:
    open({wd!r} + '/acquired', 'w').write(str(mine))
    time.sleep(1.0)
    open({wd!r} + '/released', 'w').write('1')
"""


def test_run_lock_between_two_processes(module, tmp_path):
    """Another process holds the run: a non-waiting caller is turned away at once, a waiting one gets the lock only
    after the holder let go; a holder that dies releases it (an OS lock, no stale file to take over)."""
    import subprocess
    import sys
    import time
    wd = str(tmp_path)
    holder = subprocess.Popen([sys.executable, '-c', _HOLDER.format(repo=module.REPO, wd=wd)])
    try:
        deadline = time.time() + 60
        while not (tmp_path / 'acquired').exists():
            assert time.time() < deadline and holder.poll() is None, 'the holder never took the lock'
            time.sleep(0.02)
        with module.run_lock(wd, wait=False) as mine:
            assert mine is False  # busy: the caller comes back later
        with module.run_lock(wd) as mine:
            assert mine is True and (tmp_path / 'released').exists()
    finally:
        holder.kill()
        holder.wait()
    killed = subprocess.Popen([sys.executable, '-c', _HOLDER.replace('time.sleep(1.0)', 'time.sleep(60)').format(
        repo=module.REPO, wd=wd)])
    try:
        (tmp_path / 'acquired').unlink()
        while not (tmp_path / 'acquired').exists():
            time.sleep(0.02)
    finally:
        killed.kill()
        killed.wait()
    with module.run_lock(wd, wait=False) as mine:
        assert mine is True


def test_default_methods_and_the_labels_of_the_three_ga2clip_configurations(module):
    from ga2clip_demo import grid
    assert module.select_methods(None, False) == ['zero-shot', 'ivlp', 'vilt', 'ga2clip_released', 'ga2clip']
    assert module.METHODS['ga2clip_as_released'] == ('GA2-CLIP as released (hard prompt + coupling; the released '
                                                    'anchor term is inert)')
    assert module.METHODS['ga2clip_released'] == ('released anchor formula fed C names (a per-class bias; neither '
                                                 'the paper nor the release)')
    assert module.METHODS['ga2clip'] == 'kl anchor term (ours)'
    assert not any("paper's" in label for label in grid.run_labels().values())
    assert module.CONFIGS['ga2clip_as_released'].endswith('configs/ga2clip_b2n_demo_as_released.py')
    # the labels before issue 31 stay readable
    assert grid.relabel("GA2-CLIP, released anchor term (the paper's)") == module.METHODS['ga2clip_released']
    assert grid.relabel('anchors alone, official - GA2-CLIP (kl)') == (
        'anchors alone, released anchor formula fed C names (a per-class bias) - kl anchor term (ours)')
    assert grid.relabel('IVLP') == 'IVLP'
    assert module.select_methods(None, True) == [m for m in module.METHODS if m != 'ga2clip_as_released']
    assert module.select_methods('ga2clip_as_released,ivlp', False) == ['ivlp', 'ga2clip_as_released']
    assert module.select_methods('ga2clip,ivlp', True) == ['ivlp', 'ga2clip']
    with pytest.raises(ValueError, match='unknown'):
        module.select_methods('coop', False)


GOLDEN = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'data', 'demo_existing_only')


def test_existing_only_tabulates_a_run_layout_as_before(demo, tmp_path):
    """``--existing-only`` on a small layout of finished runs (:mod:`tests.helpers.demo_layout`: world 0, 3 lists x
    2 seeds, ViLT-CLIP and one ablation variant a cell short) reads each run's ``last_checkpoint``, test log and
    ``timing.json`` and writes the same ``results`` and ``ablation`` md / json as run_demo did before its
    split into subprocess steps (the golden files, made with that version on this layout), up to the session's
    seconds, the thread count and the hard prompt's digest."""
    from scipy import stats

    from tests.helpers.demo_layout import normalise, write_layout
    module, workspace, _ = demo
    wd = str(tmp_path / 'wd')
    write_layout(wd)
    common = ['--existing-only', '--workspace', str(workspace), '--work-dir', wd, '--seeds', '0,1']
    results = module.main(common)
    ablation = module.main(common + ['--ablation', '--world-seeds', '0', '--methods', 'fusion2,hard_prompt_alone'])
    for name in ('results.md', 'results.json', 'ablation.md', 'ablation.json'):
        with open(osp.join(wd, name)) as f, open(osp.join(GOLDEN, name)) as g:
            assert normalise(f.read(), wd) == g.read(), name
        assert open(osp.join(wd, name.replace(name.split('.')[1], 'png')), 'rb').read(8) == b'\x89PNG\r\n\x1a\n'
    assert results['missing'] == {'vilt': ['w0/vilt_s3_seed1']} and 'ViLT-CLIP' not in results['methods']
    assert ablation['missing'] == {'hard_prompt_alone': ['w0/hard_prompt_alone_s2_seed0']}
    # the primary comparison re-derived from the runs: seeds averaged within list, t interval over the 3 lists
    hm = {(r['method'], r['list'], r['seed']): r['metrics']['b2n/hm'] for r in results['runs']}
    per_list = [statistics.mean(hm['ga2clip_released', lst, s] - hm['ivlp', lst, s] for s in (0, 1))
                for lst in (1, 2, 3)]
    half = stats.t.ppf(0.975, df=2) * statistics.stdev(per_list) / math.sqrt(3)
    [primary] = [c for c in results['comparisons'] if (c['a'], c['b']) == ('ga2clip_released', 'ivlp')]
    assert primary['nested']['ci_low'] == pytest.approx(statistics.mean(per_list) - half)
    assert primary['nested']['ci_high'] == pytest.approx(statistics.mean(per_list) + half)


def test_the_ablation_reuses_the_grids_ivlp_and_ga2clip_cells(demo, tmp_path):
    """``--ablation --reuse-grid``: the IVLP and full GA2-CLIP (kl) cells come from the committed grid's runs (same
    world, list and seed), not from training; the variant is compared with them run by run."""
    import shutil

    from tests.helpers.demo_layout import write_layout
    module, workspace, _ = demo
    wd = tmp_path / 'wd'
    write_layout(str(wd))
    grid_runs, moved = [], {}
    for method in ('ivlp', 'ga2clip'):
        for split in (1, 2, 3):
            for seed in (0, 1):
                run = wd / 'runs' / f'{method}_s{split}_seed{seed}'
                metrics = module.read_test_metrics(str(run))
                shutil.rmtree(run)  # gone from the work dir: only the grid has it
                moved[method, split, seed] = metrics
                grid_runs.append(dict(method=method, label=module.METHODS[method], world=0, list=split, seed=seed,
                                      work_dir=f'/elsewhere/{run.name}', metrics=metrics, timing={}))
    grid_runs.append(dict(grid_runs[0], world=22001, metrics={'b2n/hm': 0.0}))  # another world: not taken
    grid = tmp_path / 'grid.json'
    grid.write_text(json.dumps(dict(runs=grid_runs)))
    common = ['--existing-only', '--workspace', str(workspace), '--work-dir', str(wd), '--seeds', '0,1',
              '--ablation', '--world-seeds', '0', '--methods', 'fusion2']
    with pytest.raises(ValueError, match="No runs of 'ivlp'"):  # without the grid the references are missing
        module.main(common)
    out = module.main(common + ['--reuse-grid', str(grid)])
    assert 'missing' not in out or not out['missing']
    reused = [r for r in out['runs'] if r['method'] in ('ivlp', 'ga2clip')]
    assert len(reused) == 12 and all(r['reused_from'] == osp.relpath(str(grid), module.REPO) for r in reused)
    assert {(r['method'], r['list'], r['seed']): r['metrics'] for r in reused} == moved
    [comparison] = out['comparisons']
    fusion = {(r['list'], r['seed']): r['metrics']['b2n/hm'] for r in out['runs'] if r['method'] == 'fusion2'}
    per_list = [statistics.mean(fusion[lst, s] - moved['ga2clip', lst, s]['b2n/hm'] for s in (0, 1))
                for lst in (1, 2, 3)]
    assert comparison['nested']['mean'] == pytest.approx(statistics.mean(per_list))
    with pytest.raises(ValueError, match='--reuse-grid goes with --ablation'):
        module.main(['--existing-only', '--workspace', str(workspace), '--work-dir', str(wd), '--reuse-grid',
                     str(grid)])


def test_helper_processes_and_their_thread_setting(module, monkeypatch, tmp_path):
    """``--jobs N`` starts N-1 helpers on the same options with ``--no-report --jobs 1`` and one torch thread;
    the demo's own train/test children get one thread only while helpers run; a failed helper is an error."""
    started = []

    class FakePopen:
        def __init__(self, cmd, env):
            started.append((cmd, env['OMP_NUM_THREADS']))
            self.args = cmd

        def wait(self):
            return 0

    workers = importlib.import_module('ga2clip_demo.workers')
    monkeypatch.setattr(workers.subprocess, 'Popen', FakePopen)
    assert module.start_helpers(['--lists', '1'], 1) == []
    helpers = module.start_helpers(['--lists', '1'], 3)
    assert [(c[2:], threads) for c, threads in started] == [(['--lists', '1', '--no-report', '--jobs', '1'], '1')] * 2
    demo_script = osp.join(module.REPO, 'projects', 'ga2clip_demo', 'tools', 'run_demo.py')
    assert started[0][0][:2] == [sys.executable, demo_script]  # the demo script itself
    module.wait_helpers(helpers)
    monkeypatch.setenv('OMP_NUM_THREADS', '7')
    with module.one_thread_children(True):
        assert os.environ['OMP_NUM_THREADS'] == '1'
    assert os.environ['OMP_NUM_THREADS'] == '7'
    monkeypatch.delenv('OMP_NUM_THREADS')
    with module.one_thread_children(True):
        pass
    assert 'OMP_NUM_THREADS' not in os.environ
    helpers[1].wait = lambda: 3
    with pytest.raises(RuntimeError, match='helper process'):
        module.wait_helpers(helpers)
    with pytest.raises(ValueError, match='--jobs'):
        module.start_helpers([], 0)
