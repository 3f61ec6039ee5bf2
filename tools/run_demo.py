"""The embedded demo: base-to-novel on the synthetic world with the tiny CLIP, on a CPU, as repeated runs.

``make demo`` runs this script. Steps (a step is skipped when its output exists, unless ``--force``):

1. write the synthetic world under ``<workspace>/data/synthetic`` (tools/data/make_synthetic_videos.py);
2. stage 1 (when a GA2-CLIP method is asked): IVLP prompt tuning on a disjoint class set
   (configs/ga2clip_b2n_demo_stage1.py), then its layer-0 text context becomes the hard prompt
   (tools/data/extract_hard_prompt.py);
3. zero-shot CLIP on base_val + novel_val (frozen towers, prompt ``"a video of a {}."``; one run);
4. every trained method on every few-shot list (``--lists``) and training seed (``--seeds``): train with
   tools/train.py, test with tools/test.py, both in this process (their ``main(argv)``; each run's output goes
   to its ``train.log`` / ``test.log``), one work dir per run: ``<work-dir>/runs/<method>_s<list>_seed<seed>``;
5. print and write ``<work-dir>/results.{md,json}``: per method base / novel / HM as mean ± std over its runs
   and the paired HM difference to IVLP (pairs matched by list and seed) with its 95 % t interval, a per-run
   table, the drop of IVLP's novel accuracy below zero-shot's, and ``<work-dir>/results.png`` (the chart of
   tools/summarize_results.py; needs matplotlib).

Methods (``--methods``, in this order): ``zero-shot`` (zero-shot CLIP), ``ivlp`` (IVLP,
configs/ga2clip_b2n_demo_ivlp.py), ``vilt`` (ViLT-CLIP, configs/vilt_clip_b2n_demo.py), ``ga2clip_released``
(GA2-CLIP with the released anchor term, configs/ga2clip_b2n_demo_released_anchors.py) and ``ga2clip``
(GA2-CLIP with the ``kl`` anchor term, configs/ga2clip_b2n_demo.py). The default leaves out ``ga2clip_released``
(:data:`DEFAULT_METHODS`); ``--full`` runs all five.

``--ablation`` runs GA2-CLIP variants (:data:`ABLATION`) over the same lists x seeds instead and writes
``<work-dir>/ablation.{md,json,png}``, with the paired HM difference to the full GA2-CLIP (kl) runs and to IVLP
(both reused from the method grid when they are in the same work dir).

Usage::

    python tools/run_demo.py                    # the README's job: 4 methods x 3 lists x seed 0
    python tools/run_demo.py --full             # all 5 methods x 3 lists x seeds 0 and 1
    python tools/run_demo.py --ablation         # the ablation table (3 lists x seed 0)
    python tools/run_demo.py --methods zero-shot,ga2clip --lists 1   # the test
    python tools/run_demo.py --methods ga2clip --work-dir work_dirs/demo_negative \
        --cfg-options model.anchor_loss.mode=negative    # a variant (see docs/synthetic_world.md)
    python tools/summarize_results.py work_dirs/demo/runs/* --out-dir work_dirs/demo/summary
"""
import argparse
import contextlib
import glob
import json
import logging
import math
import os
import os.path as osp
import subprocess
import sys
import time
import traceback
import warnings
from typing import Callable, Dict, List, Optional, Sequence, Tuple

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

DATA = osp.join('data', 'synthetic')
HARD_PROMPT = osp.join(DATA, 'hard_prompts', 'stage1_ctx.pt')
ZERO_SHOT_TEMPLATE = 'a video of a {}.'
SPLIT_ROOT = f'{DATA}/splits/base2novel_splits/synth_splits'


def _config(name: str) -> str:
    return osp.join(REPO, 'configs', name)


CONFIGS = {
    'stage1': _config('ga2clip_b2n_demo_stage1.py'),
    'ivlp': _config('ga2clip_b2n_demo_ivlp.py'),
    'vilt': _config('vilt_clip_b2n_demo.py'),
    'ga2clip_released': _config('ga2clip_b2n_demo_released_anchors.py'),
    'ga2clip': _config('ga2clip_b2n_demo.py'),
}
# key -> table label, in table order; zero-shot has no config (no training).
METHODS = {
    'zero-shot': 'zero-shot CLIP',
    'ivlp': 'IVLP',
    'vilt': 'ViLT-CLIP',
    'ga2clip_released': 'GA2-CLIP (released anchors)',
    'ga2clip': 'GA2-CLIP (kl anchors)',
}
REFERENCE = 'ivlp'
# `make demo` without --full: the released anchor term is left to --full to keep the default near 6 minutes on
# 2 cores (12 trained runs take about 8).
DEFAULT_METHODS = ('zero-shot', 'ivlp', 'vilt', 'ga2clip')

_NO_HARD_PROMPT = ['model.cls_head.coupling=none', 'model.cls_head.hard_prompt=None']
_ANCHORS_OFF = ['model.anchor_loss=None', 'train_dataloader.batch_sampler.num_anchors=0']
# GA2-CLIP ablation on configs/ga2clip_b2n_demo.py: (run name, label, cfg options). A variant whose options are
# those of an earlier one (or of the main config: name 'ga2clip') reuses its runs (see ``ablation_runs``).
ABLATION: List[Tuple[str, str, List[str]]] = [
    ('hard_prompt_alone', 'hard prompt alone (no anchors)', _ANCHORS_OFF),
    ('anchors_alone_kl', 'anchors alone, kl', _NO_HARD_PROMPT),
    ('anchors_alone_negative', 'anchors alone, negative',
     _NO_HARD_PROMPT + ['model.anchor_loss.mode=negative',
                        f'model.anchor_loss.anchor_names={DATA}/labels/synth_anchor_labels.csv']),
    ('anchors_alone_official', 'anchors alone, official', _NO_HARD_PROMPT + ['model.anchor_loss.mode=official']),
    ('ga2clip', 'coupling concat_mlp (= main)', []),
    ('coupling_add', 'coupling add', ['model.cls_head.coupling=add']),
    ('coupling_seq_concat', 'coupling seq_concat', ['model.cls_head.coupling=seq_concat']),
    ('hard_prompt_alone', 'anchor clips 0 (= hard prompt alone)', _ANCHORS_OFF),
    ('anchors4', 'anchor clips 4', ['train_dataloader.dataset.max_anchor_videos=4']),
    ('anchors16', 'anchor clips 16', ['train_dataloader.dataset.max_anchor_videos=16']),
    ('ga2clip', 'anchor clips 64 (= main)', []),
    ('fusion0.5', 'fusion factor 0.5', ['model.anchor_loss.loss_weight=0.5']),
    ('ga2clip', 'fusion factor 1 (= main)', []),
    ('fusion2', 'fusion factor 2', ['model.anchor_loss.loss_weight=2.0']),
]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description='Base-to-novel demo on the synthetic world (CPU), repeated runs.')
    p.add_argument('--workspace', default=REPO,
                   help='folder that holds data/synthetic (relative paths of the configs)')
    p.add_argument('--work-dir', default=None, help='outputs (default <workspace>/work_dirs/demo)')
    p.add_argument('--epochs', type=int, default=None, help='epochs of every trained method')
    p.add_argument('--stage1-epochs', type=int, default=None, help='epochs of stage 1')
    p.add_argument('--methods', default=None,
                   help=f'comma-separated subset of {", ".join(METHODS)} (default: {",".join(DEFAULT_METHODS)}; '
                   'all five with --full)')
    p.add_argument('--lists', default='1,2,3', help='few-shot training lists fs_base_s<N>_train.txt')
    p.add_argument('--split', type=int, default=None, choices=(1, 2, 3),
                   help='one few-shot list (the old form of --lists N)')
    p.add_argument('--seeds', default='0', help='training seeds (randomness.seed), comma-separated')
    p.add_argument('--full', action='store_true',
                   help='seeds 0,1 and, unless --methods says otherwise, all five methods (the full grid)')
    p.add_argument('--ablation', action='store_true',
                   help='run the GA2-CLIP ablation variants instead of the methods')
    p.add_argument('--force', action='store_true', help='redo every step')
    p.add_argument('--cfg-options', nargs='*', default=[],
                   help='extra key=value overrides for every trained run')
    return p.parse_args(argv)


def _int_list(text: str, flag: str) -> List[int]:
    try:
        values = [int(v) for v in text.split(',') if v.strip()]
    except ValueError:
        raise ValueError(f'{flag}: expected comma-separated integers, got {text!r}') from None
    if not values or len(set(values)) != len(values):
        raise ValueError(f'{flag}: expected distinct integers, got {text!r}')
    return values


# ---------------------------------------------------------------------------------------------------------------
# running one step in this process


_RUN_COUNTER = [0]


def _loggers_now() -> set:
    from mmengine.logging import MMLogger
    return set(MMLogger._instance_dict)


def _close_new_loggers(before: set) -> None:
    """Detach the handlers of the MMEngine loggers a run made (their streams are its closed log file)."""
    from mmengine.logging import MMLogger
    for name, logger in list(MMLogger._instance_dict.items()):
        if name not in before:
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
                handler.close()


def run_in_process(fn: Callable, argv: List[str], log: str, what: str, cwd: str):
    """Call ``fn(argv)`` in ``cwd`` with stdout and stderr (and MMEngine's log stream) in ``log``.

    Args:
        fn (Callable): A tool's ``main(argv)``.
        argv (list[str]): Its command line.
        log (str): Log file (overwritten).
        what (str): The run, for the error message.
        cwd (str): Working directory during the call (the configs' data paths are relative).

    Returns:
        The return value of ``fn``.

    Raises:
        RuntimeError: ``fn`` raised (or exited); the message names the run and holds the log tail and the
            traceback.
    """
    before = _loggers_now()
    old_cwd = os.getcwd()
    error = None
    with open(log, 'w') as f, contextlib.redirect_stdout(f), contextlib.redirect_stderr(f):
        os.chdir(cwd)
        try:
            return fn(argv)
        except BaseException as err:  # noqa: B036 - argparse's SystemExit too; KeyboardInterrupt re-raised
            if isinstance(err, KeyboardInterrupt):
                raise
            error = traceback.format_exc()
            print(error, flush=True)
        finally:
            os.chdir(old_cwd)
            _close_new_loggers(before)
            if error is not None:
                f.flush()
    with open(log) as f:
        tail = f.read()[-4000:]
    raise RuntimeError(f'[demo] {what} failed; log {log} ends with:\n{tail}\n'
                       f'[demo] {what} failed (traceback above; full log {log})')


def run_subprocess(cmd: List[str], cwd: str, log: str) -> None:
    """Run a command, its output into ``log``; on failure print the log tail and stop.

    Raises:
        RuntimeError: The command failed.
    """
    with open(log, 'w') as f:
        rc = subprocess.call(cmd, cwd=cwd, stdout=f, stderr=subprocess.STDOUT)
    if rc != 0:
        with open(log) as f:
            tail = f.read()[-4000:]
        raise RuntimeError(f'`{" ".join(cmd)}` failed (exit {rc}); log {log}:\n{tail}')


def latest_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint named by MMEngine's ``last_checkpoint`` file, or None."""
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        return None
    with open(marker) as f:
        path = f.read().strip()
    return path if osp.isfile(path) else None


def read_test_metrics(work_dir: str) -> Dict[str, float]:
    """Metrics of the latest test in ``work_dir`` (MMEngine's json log ``<ts>/<ts>.json``).

    Raises:
        FileNotFoundError: No test log with ``b2n/`` metrics.
    """
    for log in sorted(glob.glob(osp.join(work_dir, '*', '*.json')), reverse=True):
        with open(log) as f:
            for line in f:
                rec = json.loads(line)
                if any(k.startswith('b2n/') for k in rec):
                    return {k: float(v) for k, v in rec.items() if k.startswith('b2n/')}
    raise FileNotFoundError(f'No base-to-novel test metrics under {work_dir}')


def epoch_options(epochs: Optional[int]) -> List[str]:
    """cfg options that shorten (or lengthen) the demo schedule to ``epochs``."""
    if epochs is None:
        return []
    if epochs < 2:
        raise ValueError(f'--epochs/--stage1-epochs must be >= 2 (one warm-up epoch, then the cosine decay), '
                         f'got {epochs}')
    return [f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs + 1}',
            f'default_hooks.checkpoint.interval={epochs}',
            f'param_scheduler.1.T_max={max(epochs - 1, 1)}', f'param_scheduler.1.end={epochs}']


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def run_lock(wd: str, name: str, poll_s: float = 5.0):
    """Hold ``<wd>/.demo_lock`` (this pid) while a run trains and tests: a second tools/run_demo.py on the same
    work dir (e.g. ``--full`` and ``--ablation`` side by side) waits for the run and then reuses it instead of
    training into the same folder. A lock whose process is gone is taken over."""
    lock = osp.join(wd, '.demo_lock')
    waited = False
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                with open(lock) as f:
                    pid = int(f.read().strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid and pid != os.getpid() and _pid_alive(pid):
                if not waited:
                    print(f'[demo] {name}: waiting for process {pid}, which runs it ({lock})', flush=True)
                    waited = True
                time.sleep(poll_s)
                continue
            with contextlib.suppress(FileNotFoundError):
                os.remove(lock)  # stale: its process is gone (or it is ours)
            continue
        with os.fdopen(fd, 'w') as f:
            f.write(str(os.getpid()))
        break
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(lock)


def train_and_test(config: str, wd: str, workspace: str, train_opts: Sequence[str], test_opts: Sequence[str],
                   force: bool, name: str, test: bool = True) -> Optional[Dict[str, float]]:
    """Train ``config`` with tools/train.py and test its last checkpoint with tools/test.py, in this process.

    A run whose checkpoint (and test metrics) exist is not redone unless ``force``; a run another demo process is
    doing is waited for (:func:`run_lock`).

    Returns:
        dict[str, float] | None: The ``b2n/`` test metrics (None when ``test`` is False).
    """
    os.makedirs(wd, exist_ok=True)
    with run_lock(wd, name):
        return _train_and_test(config, wd, workspace, train_opts, test_opts, force, name, test)


def _train_and_test(config: str, wd: str, workspace: str, train_opts: Sequence[str], test_opts: Sequence[str],
                    force: bool, name: str, test: bool = True) -> Optional[Dict[str, float]]:
    from tools import test as test_tool
    from tools import train as train_tool
    ckpt = None if force else latest_checkpoint(wd)
    if ckpt is not None and test:
        try:
            metrics = read_test_metrics(wd)
            print(f'[demo] {name}: reused {wd}', flush=True)
            return metrics
        except FileNotFoundError:
            pass
    _RUN_COUNTER[0] += 1
    tag = f'{name}_{os.getpid()}_{_RUN_COUNTER[0]}'
    if ckpt is None:
        t0 = time.time()
        argv = [config, '--work-dir', wd, '--cfg-options', f'experiment_name={tag}_train', *train_opts]
        run_in_process(train_tool.main, argv, osp.join(wd, 'train.log'), f'{name}: training', workspace)
        ckpt = latest_checkpoint(wd)
        print(f'[demo] {name}: trained in {time.time() - t0:.0f} s', flush=True)
    if not test:
        return None
    t0 = time.time()
    argv = [config, ckpt, '--work-dir', wd, '--cfg-options', f'experiment_name={tag}_test', *test_opts]
    metrics = run_in_process(test_tool.main, argv, osp.join(wd, 'test.log'), f'{name}: test', workspace)
    print(f'[demo] {name}: tested in {time.time() - t0:.0f} s', flush=True)
    return {k: float(v) for k, v in metrics.items() if k.startswith('b2n/')}


def zero_shot(workspace: str) -> Dict[str, float]:
    """Zero-shot CLIP on the demo's test set: frozen towers, mean frame features, a fixed template.

    Uses the IVLP demo config's model (its prompt-free image tower and frozen text tower) and test
    dataloader, and scores with the same :func:`base_novel_accuracy` as ``BaseNovelMetric``.

    Args:
        workspace (str): Folder holding ``data/synthetic``.

    Returns:
        dict[str, float]: ``b2n/base_top1``, ``b2n/novel_top1``, ``b2n/hm``, ... as the metric reports them.
    """
    warnings.filterwarnings('ignore', message='Fail to import ``MultiScaleDeformableAttention``')
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    import ga2clip_mmaction  # noqa: F401
    from ga2clip_mmaction.evaluation.clip_zero_shot import clip_zero_shot_scores
    from ga2clip_mmaction.evaluation.metrics.base_novel_metric import base_novel_accuracy
    from ga2clip_mmaction.utils.io import read_class_names
    from mmaction.registry import MODELS

    cwd = os.getcwd()
    os.chdir(workspace)
    root_logger = logging.getLogger()
    level = root_logger.level
    try:
        cfg = Config.fromfile(CONFIGS['ivlp'])
        init_default_scope('mmaction')
        root_logger.setLevel(logging.ERROR)  # open_clip's "no pretrained weights" note: ours come next
        model = MODELS.build(cfg.model).eval()
        root_logger.setLevel(level)
        names = read_class_names(cfg.custom_hooks[0].test[0]) + read_class_names(cfg.custom_hooks[0].test[1])
        scores, labels = clip_zero_shot_scores(model, Runner.build_dataloader(cfg.test_dataloader), names,
                                               ZERO_SHOT_TEMPLATE)
    finally:
        root_logger.setLevel(level)
        os.chdir(cwd)
    metrics = base_novel_accuracy(scores, labels,
                                  num_base_classes=cfg.test_evaluator.num_base_classes)
    return {f'b2n/{k}': float(v) for k, v in metrics.items()}


def write_metrics_log(work_dir: str, metrics: Dict[str, float]) -> None:
    """Write ``metrics`` as MMEngine's test log does (``<ts>/<ts>.json``, one object): tools/summarize_results.py
    and :func:`read_test_metrics` read the zero-shot run like any tested run."""
    stamp = time.strftime('%Y%m%d_%H%M%S', time.localtime())
    os.makedirs(osp.join(work_dir, stamp), exist_ok=True)
    with open(osp.join(work_dir, stamp, f'{stamp}.json'), 'w') as f:
        json.dump(metrics, f)


# ---------------------------------------------------------------------------------------------------------------
# aggregation


def run_name(method: str, split: int, seed: int) -> str:
    """Work-dir name of one run: ``<method>_s<list>_seed<seed>`` (grouped by ``split_run_name``)."""
    return f'{method}_s{split}_seed{seed}'


def aggregate_methods(runs: Sequence[dict], order: Sequence[Tuple[str, str]],
                      references: Sequence[Tuple[str, str]]) -> List[dict]:
    """One row per method: base / novel / HM mean ± std over its runs, paired HM differences to references.

    Args:
        runs (Sequence[dict]): ``dict(method, list, seed, metrics)`` per run; a method's single run with
            ``list=None`` (zero-shot) is paired with every run of a reference.
        order (Sequence[tuple[str, str]]): ``(method, label)`` of the rows, in order (a method may appear
            under several labels).
        references (Sequence[tuple[str, str]]): ``(method, label)`` to pair against.

    Returns:
        list[dict]: ``method``, ``label``, ``n``, ``base`` / ``novel`` / ``hm`` (``dict(mean, std, n, values)``,
        fractions; HM is the mean of the runs' HMs) and ``diff`` (``{reference label: paired_difference of HM
        or None}``, fractions).

    Raises:
        ValueError: A row has no run, or a pairing lacks a matching (list, seed) run.
    """
    from ga2clip_mmaction.evaluation import mean_std, paired_difference
    by_method: Dict[str, Dict[Tuple, dict]] = {}
    for r in runs:
        by_method.setdefault(r['method'], {})[(r['list'], r['seed'])] = r['metrics']
    rows = []
    for method, label in order:
        mine = by_method.get(method)
        if not mine:
            raise ValueError(f'No runs of {method!r} ({label})')
        keys = sorted(mine, key=lambda k: (k[0] is not None, k))
        row = dict(method=method, label=label, n=len(keys), diff={})
        for short, metric in (('base', 'b2n/base_top1'), ('novel', 'b2n/novel_top1'), ('hm', 'b2n/hm')):
            values = [mine[k][metric] for k in keys]
            mean, std = mean_std(values)
            row[short] = dict(mean=mean, std=std, n=len(values), values=values)
        for ref, ref_label in references:
            theirs = by_method.get(ref)
            if ref == method or not theirs:
                row['diff'][ref_label] = None
                continue
            ref_keys = sorted(theirs)
            if keys == [(None, None)]:
                a = [mine[(None, None)]['b2n/hm']] * len(ref_keys)
            else:
                missing = [k for k in keys if k not in theirs]
                if missing:
                    raise ValueError(f'{label}: no {ref_label} run to pair with (list, seed) {missing}')
                ref_keys = keys
                a = [mine[k]['b2n/hm'] for k in keys]
            row['diff'][ref_label] = paired_difference(a, [theirs[k]['b2n/hm'] for k in ref_keys])
        rows.append(row)
    return rows


def _diff(d: Optional[dict]) -> str:
    if d is None:
        return '-'
    text = f'{100 * d["mean"]:+.1f}'
    if d['ci_low'] is None:
        return f'{text} (1 pair)'
    return f'{text} [{100 * d["ci_low"]:+.1f}, {100 * d["ci_high"]:+.1f}]'


def format_methods_table(rows: Sequence[dict], references: Sequence[str]) -> str:
    """Markdown: one row per method (percent, mean ± sample std over runs; paired HM differences with 95 % t
    intervals)."""
    from ga2clip_mmaction.evaluation import format_mean_std as pct
    head = '| method | runs | base | novel | HM | ' + ' | '.join(f'HM - {r} [95 % CI]' for r in references) + ' |'
    lines = [head, '|' + '---|' * (5 + len(references))]
    for r in rows:
        lines.append(f'| {r["label"]} | {r["n"]} | {pct(r["base"])} | {pct(r["novel"])} | {pct(r["hm"])} | '
                     + ' | '.join(_diff(r['diff'].get(ref)) for ref in references) + ' |')
    return '\n'.join(lines)


def format_runs_table(runs: Sequence[dict]) -> str:
    """Markdown: one row per run (method, list, seed, base, novel, HM in percent)."""
    lines = ['| method | list | seed | base | novel | HM |', '|---|---|---|---|---|---|']
    for r in runs:
        m = r['metrics']
        lines.append(f'| {r["label"]} | {"-" if r["list"] is None else r["list"]} | '
                     f'{"-" if r["seed"] is None else r["seed"]} | {100 * m["b2n/base_top1"]:.1f} | '
                     f'{100 * m["b2n/novel_top1"]:.1f} | {100 * m["b2n/hm"]:.1f} |')
    return '\n'.join(lines)


def novel_drop(rows: Sequence[dict]) -> Optional[float]:
    """IVLP's mean novel accuracy minus zero-shot's (fraction), or None without both."""
    novel = {r['method']: r['novel']['mean'] for r in rows}
    if 'ivlp' in novel and 'zero-shot' in novel:
        return novel['ivlp'] - novel['zero-shot']
    return None


def write_chart(run_dirs: Sequence[str], labels: Dict[str, str], out_file: str, title: str) -> None:
    """The base / novel / HM chart (mean ± std) of tools/summarize_results.py for these runs."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print(f'[demo] no chart ({osp.basename(out_file)}): matplotlib is missing (pip install -e ".[plots]")')
        return
    from ga2clip_mmaction.evaluation.chart import plot_summary
    from ga2clip_mmaction.evaluation.summary import summarize_runs
    rows = summarize_runs(run_dirs)
    for row in rows:
        row['group'] = labels.get(row['group'], row['group'])
    plot_summary(rows, out_file, title=title)


# ---------------------------------------------------------------------------------------------------------------
# the grid


_ANCHORED: Dict[str, bool] = {}


def train_set_options(config: str, split: int) -> List[str]:
    """cfg option pointing ``config``'s training set at the few-shot list ``split`` (inside an
    ``AnchorSetDataset`` when the config wraps it)."""
    if config not in _ANCHORED:
        from mmengine.config import Config
        _ANCHORED[config] = Config.fromfile(config).train_dataloader.dataset.get('type') == 'AnchorSetDataset'
    anchored = _ANCHORED[config]
    key = 'train_dataloader.dataset.' + ('dataset.' if anchored else '') + 'ann_file'
    return [f'{key}={SPLIT_ROOT}/fs_base_s{split}_train.txt']


def select_methods(args: argparse.Namespace) -> List[str]:
    """The methods to run, in table order: ``--methods``, else all with ``--full``, else :data:`DEFAULT_METHODS`.

    Raises:
        ValueError: An unknown method name (the message lists the known ones).
    """
    default = METHODS if args.full else DEFAULT_METHODS
    methods = [m for m in (args.methods or ','.join(default)).split(',') if m]
    unknown = sorted(set(methods) - set(METHODS))
    if unknown or not methods:
        raise ValueError(f'--methods: unknown {unknown}; choose from {", ".join(METHODS)}')
    return [m for m in METHODS if m in methods]


def ablation_runs() -> List[Tuple[str, str, List[str]]]:
    """The distinct ablation runs ``(name, config, options)``: rows with the same name share runs, and the
    full GA2-CLIP and IVLP are the method grid's ``ga2clip`` / ``ivlp`` runs."""
    seen, out = set(), []
    for name, _, opts in [('ivlp', '', [])] + ABLATION:
        if name in seen:
            continue
        seen.add(name)
        config = CONFIGS['ivlp'] if name == 'ivlp' else CONFIGS['ga2clip']
        out.append((name, config, list(opts)))
    return out


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run the demo (or the ablation); return what ``results.json`` (``ablation.json``) holds.

    Returns:
        dict: ``runs`` (``dict(method, label, list, seed, work_dir, metrics)`` per run), ``methods``
        (``{label: row}``, see :func:`aggregate_methods`) and ``ivlp_novel_minus_zero_shot`` (fraction or None).
    """
    args = parse_args(argv)
    workspace = osp.abspath(args.workspace)
    work_dir = osp.abspath(args.work_dir or osp.join(workspace, 'work_dirs', 'demo'))
    lists = [args.split] if args.split is not None else _int_list(args.lists, '--lists')
    bad = [n for n in lists if n not in (1, 2, 3)]
    if bad:
        raise ValueError(f'--lists: the world has few-shot lists 1, 2, 3, got {bad}')
    seeds = [0, 1] if args.full else _int_list(args.seeds, '--seeds')
    if args.ablation:
        methods = None
        grid = ablation_runs()
    else:
        methods = select_methods(args)
        grid = [(m, CONFIGS[m], []) for m in methods if m != 'zero-shot']
    missing = [c for _, c, _ in grid if not osp.isfile(c)]
    if missing:
        raise FileNotFoundError(f'Config(s) not found: {missing}')
    os.makedirs(osp.join(work_dir, 'runs'), exist_ok=True)
    t_start = time.time()

    # import the tools (torch, mmengine, mmaction) before any redirect: import-time handlers keep real streams
    from tools import test as _test_tool  # noqa: F401
    from tools import train as _train_tool  # noqa: F401
    from tools.data import extract_hard_prompt

    gen = [sys.executable, osp.join(REPO, 'tools', 'data', 'make_synthetic_videos.py'), '--out', DATA]
    run_subprocess(gen, workspace, osp.join(work_dir, 'generate.log'))
    print(f'[demo] data ready under {osp.join(workspace, DATA)}', flush=True)

    hard_prompt = osp.join(workspace, HARD_PROMPT)
    needs_hard_prompt = args.ablation or any(name.startswith('ga2clip') for name, _, _ in grid)
    if needs_hard_prompt and (args.force or not osp.isfile(hard_prompt)):
        stage1 = osp.join(work_dir, 'stage1')
        train_and_test(CONFIGS['stage1'], stage1, workspace, epoch_options(args.stage1_epochs), [], args.force,
                       'stage 1', test=False)
        if args.force or not osp.isfile(hard_prompt):  # another demo process may have written it meanwhile
            run_in_process(
                extract_hard_prompt.main, [latest_checkpoint(stage1), hard_prompt],
                osp.join(work_dir, 'extract_hard_prompt.log'), 'hard prompt extraction', workspace)
        print(f'[demo] hard prompt: {hard_prompt}', flush=True)

    runs: List[dict] = []
    labels = dict(METHODS)  # run name -> label of the per-run table and the chart
    for name, label, _ in ABLATION:
        labels.setdefault(name, label)
    if methods and 'zero-shot' in methods:
        wd = osp.join(work_dir, 'runs', 'zero-shot')
        try:
            if args.force:
                raise FileNotFoundError
            metrics = read_test_metrics(wd)
            print(f'[demo] zero-shot: reused {wd}', flush=True)
        except FileNotFoundError:
            t0 = time.time()
            metrics = zero_shot(workspace)
            write_metrics_log(wd, metrics)
            print(f'[demo] zero-shot: tested in {time.time() - t0:.0f} s', flush=True)
        runs.append(dict(method='zero-shot', label=METHODS['zero-shot'], list=None, seed=None, work_dir=wd,
                         metrics=metrics))
    for name, config, opts in grid:
        for split in lists:
            for seed in seeds:
                rname = run_name(name, split, seed)
                wd = osp.join(work_dir, 'runs', rname)
                common = train_set_options(config, split) + list(opts) + list(args.cfg_options)
                train_opts = epoch_options(args.epochs) + common + [f'randomness.seed={seed}']
                metrics = train_and_test(config, wd, workspace, train_opts, common, args.force, rname)
                bad = [k for k, v in metrics.items() if not math.isfinite(v)]
                if bad:
                    raise RuntimeError(f'{rname}: non-finite metrics {bad} (log {wd}/test.log)')
                runs.append(dict(method=name, label=labels.get(name, name), list=split, seed=seed, work_dir=wd,
                                 metrics=metrics))

    if args.ablation:
        order = [('ivlp', METHODS['ivlp'])] + [(name, label) for name, label, _ in ABLATION]
        refs = [('ga2clip', 'GA2-CLIP (kl)'), ('ivlp', 'IVLP')]
        stem, title = 'ablation', 'GA2-CLIP ablation'
    else:
        order = [(m, METHODS[m]) for m in methods]
        refs = [(REFERENCE, METHODS[REFERENCE])]
        stem, title = 'results', 'Base-to-novel on the synthetic world'
    rows = aggregate_methods(runs, order, refs)
    drop = novel_drop(rows)
    table = format_methods_table(rows, [label for _, label in refs])
    per_run = format_runs_table(runs)
    elapsed = time.time() - t_start
    header = (f'Base-to-novel top-1 (%) on the synthetic world, tiny CLIP, CPU: mean ± std over few-shot lists '
              f'{lists} x seeds {seeds} (HM = mean of the runs\' HM; paired differences matched by list and seed, '
              f'zero-shot paired with every run; 95 % Student-t intervals)')
    text = f'{header}\n\n{table}\n'
    if drop is not None:
        text += f'\nIVLP novel - zero-shot novel: {100 * drop:+.1f} points\n'
    text += f'\nPer run:\n\n{per_run}\n'
    out = dict(runs=runs, methods={r['label']: r for r in rows}, ivlp_novel_minus_zero_shot=drop,
               lists=lists, seeds=seeds, seconds=elapsed)
    with open(osp.join(work_dir, f'{stem}.json'), 'w') as f:
        json.dump(out, f, indent=2)
    with open(osp.join(work_dir, f'{stem}.md'), 'w') as f:
        f.write(text)
    run_dirs = list(dict.fromkeys(r['work_dir'] for r in runs))
    write_chart(run_dirs, labels, osp.join(work_dir, f'{stem}.png'), title)
    print(f'\n{text}\n({elapsed:.0f} s in all; results in {work_dir})', flush=True)
    return out


if __name__ == '__main__':
    main()
