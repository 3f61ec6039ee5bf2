"""The embedded demo: base-to-novel on synthetic worlds with the tiny CLIP, on a CPU, as repeated runs.

``make demo`` runs this script. Steps, per world seed (``--world-seeds``; a step is skipped when its output
exists, unless ``--force``):

1. write the synthetic world (tools/data/make_synthetic_videos.py ``--seed <world>``): world 0 under
   ``<workspace>/data/synthetic``, world ``W`` under ``<work-dir>/worlds/w<W>/data/synthetic``; record the sha256
   of its annotation and class-name files (``worlds`` of the results);
2. stage 1 of that world (when a GA2-CLIP method is asked): IVLP prompt tuning on its disjoint class set
   (configs/ga2clip_b2n_demo_stage1.py); its layer-0 text context becomes the world's hard prompt;
3. zero-shot CLIP on the world's test set (one deterministic run: a per-world reference, never paired);
4. every trained method on every few-shot list (``--lists``) and training seed (``--seeds``): train with
   tools/train.py, test with tools/test.py, in this process (``main(argv)``; output to the run's
   ``train.log`` / ``test.log``), in ``<work-dir>/runs[/w<W>]/<method>_s<list>_seed<seed>``;
5. write ``<work-dir>/results.{md,json,png}``: per method base / novel / HM, the HM difference to IVLP with a
   clustered 95 % interval (worlds, or lists with one world, are the units; seeds averaged within list;
   :mod:`ga2clip_mmaction.evaluation.clustered`), the plan's family of comparisons with Holm-adjusted p-values
   (:data:`COMPARISONS`, docs/results/plan.md), zero-shot CLIP per world, the trainable parameters and extra
   data per method, every run, and the runs' wall and CPU seconds.

Methods (``--methods``, in this order): ``zero-shot``, ``ivlp`` (configs/ga2clip_b2n_demo_ivlp.py), ``vilt``
(ViLT-CLIP, configs/vilt_clip_b2n_demo.py, consistency weight at KgCoOp's strength), ``vilt_l2_8`` (the same with
the old weight, l2 at 8.0 = twice KgCoOp's; an extra row, ``--full`` only), ``ga2clip_released`` (GA2-CLIP with
the released anchor term: the paper's) and ``ga2clip`` (GA2-CLIP with our ``kl`` anchor term).

``--ablation`` runs GA2-CLIP variants (:data:`ABLATION`) instead and writes ``<work-dir>/ablation.{md,json,png}``,
each variant against the full GA2-CLIP (kl) runs (Holm across the variants) and IVLP, both reused from the grid.
Two demo processes on one work dir share the work: each run is held by a file lock, a process skips the runs
another holds and comes back to them at the end (``--no-report`` for a helper that writes no tables).

Usage::

    python tools/run_demo.py                    # the README's job: world 0, 4 methods x 3 lists x seed 0
    python tools/run_demo.py --full             # the committed grid: worlds 22001-22003, 5+1 methods, seeds 0, 1
    python tools/run_demo.py --ablation         # the committed ablation: worlds 22001, 22002, seeds 0, 1
    python tools/run_demo.py --methods zero-shot,ga2clip --lists 1   # the test
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
#: World seeds of the committed grid and ablation, fixed in docs/results/plan.md before any run on them.
PLANNED_WORLDS = (22001, 22002, 22003)
ABLATION_WORLDS = PLANNED_WORLDS[:2]


def _config(name: str) -> str:
    return osp.join(REPO, 'configs', name)


CONFIGS = {
    'stage1': _config('ga2clip_b2n_demo_stage1.py'),
    'ivlp': _config('ga2clip_b2n_demo_ivlp.py'),
    'vilt': _config('vilt_clip_b2n_demo.py'),
    'vilt_l2_8': _config('vilt_clip_b2n_demo.py'),
    'ga2clip_released': _config('ga2clip_b2n_demo_released_anchors.py'),
    'ga2clip': _config('ga2clip_b2n_demo.py'),
}
#: cfg options of a method on top of its config.
METHOD_OPTIONS = {'vilt_l2_8': ['model.consistency_loss.mode=l2', 'model.consistency_loss.loss_weight=8.0']}
# key -> table label, in table order; zero-shot has no config (no training).
METHODS = {
    'zero-shot': 'zero-shot CLIP',
    'ivlp': 'IVLP',
    'vilt': 'ViLT-CLIP',
    'vilt_l2_8': 'ViLT-CLIP, old weight (l2 8.0 = 2x KgCoOp)',
    'ga2clip_released': "GA2-CLIP, released anchor term (the paper's)",
    'ga2clip': 'GA2-CLIP, kl anchor term (ours)',
}
REFERENCE = 'ivlp'
DEFAULT_METHODS = ('zero-shot', 'ivlp', 'vilt', 'ga2clip_released', 'ga2clip')
#: The plan's family of comparisons (docs/results/plan.md), Holm-corrected together; the first is the primary.
COMPARISONS: List[Tuple[str, str, str, str]] = [
    ('ga2clip_released', 'ivlp', 'hm', "GA2-CLIP released (paper's) - IVLP [primary]"),
    ('ga2clip', 'ivlp', 'hm', 'GA2-CLIP kl (ours) - IVLP'),
    ('vilt', 'ivlp', 'hm', 'ViLT-CLIP - IVLP'),
    ('ga2clip_released', 'vilt', 'hm', "GA2-CLIP released (paper's) - ViLT-CLIP"),
    ('ga2clip', 'vilt', 'hm', 'GA2-CLIP kl (ours) - ViLT-CLIP'),
    ('ga2clip', 'ga2clip_released', 'hm', "GA2-CLIP kl (ours) - GA2-CLIP released (paper's)"),
    ('ivlp', 'zero-shot', 'novel', 'IVLP - zero-shot CLIP (novel; zero-shot per world)'),
]

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
    p = argparse.ArgumentParser(description='Base-to-novel demo on synthetic worlds (CPU), repeated runs.')
    p.add_argument('--workspace', default=REPO, help='folder that holds data/synthetic of world 0')
    p.add_argument('--work-dir', default=None, help='outputs (default <workspace>/work_dirs/demo)')
    p.add_argument('--epochs', type=int, default=None, help='epochs of every trained method')
    p.add_argument('--stage1-epochs', type=int, default=None, help='epochs of stage 1')
    p.add_argument('--methods', default=None,
                   help=f'comma-separated subset of {", ".join(METHODS)} (default: {",".join(DEFAULT_METHODS)}; '
                   'all with --full)')
    p.add_argument('--lists', default='1,2,3', help='few-shot training lists fs_base_s<N>_train.txt')
    p.add_argument('--split', type=int, default=None, choices=(1, 2, 3),
                   help='one few-shot list (the old form of --lists N)')
    p.add_argument('--seeds', default=None, help='training seeds (randomness.seed), comma-separated (default 0; '
                   '0,1 with --full or --ablation)')
    p.add_argument('--world-seeds', default=None,
                   help='world seeds (tools/data/make_synthetic_videos.py --seed), comma-separated (default 0; '
                   f'{",".join(map(str, PLANNED_WORLDS))} with --full, '
                   f'{",".join(map(str, ABLATION_WORLDS))} with --ablation)')
    p.add_argument('--full', action='store_true', help='the committed grid: planned worlds, seeds 0,1, every method')
    p.add_argument('--ablation', action='store_true',
                   help='run the GA2-CLIP ablation variants instead of the methods')
    p.add_argument('--existing-only', action='store_true',
                   help='train nothing: tabulate the runs that finished; a method missing any cell is left out of '
                   'the tables and named, with its missing cells, under "missing" (a grid cut short by time)')
    p.add_argument('--no-report', action='store_true',
                   help='train and test only, write no tables (a helper process beside another on the same '
                   'work dir: each takes the runs the other does not hold)')
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


def fast_config_text() -> None:
    """Skip yapf's pretty-printing of configs (MMEngine formats the whole config for the log, the dumped
    config and every checkpoint's meta: about 0.5 s each, 5 times per run). The text stays the same valid
    Python, unformatted. Only this process (the demo) is affected."""
    import mmengine.config.config as mm_config
    mm_config.FormatCode = lambda text, style_config=None, **kwargs: (text, False)


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


@contextlib.contextmanager
def run_lock(wd: str, wait: bool = True):
    """Hold ``<wd>/.demo_lock`` (:class:`filelock.FileLock`, an OS lock that dies with its process) while a
    run trains and tests: a second tools/run_demo.py on the same work dir waits for the run and then reuses it
    instead of training into the same folder.

    Args:
        wd (str): The run's folder.
        wait (bool): Wait for another holder. Defaults to True; with False, yield False at once when the lock
            is held elsewhere (the caller comes back to the run later), True when acquired.
    """
    from filelock import FileLock, Timeout
    lock = FileLock(osp.join(wd, '.demo_lock'))
    try:
        lock.acquire(timeout=-1 if wait else 0)
    except Timeout:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


def train_and_test(config: str, wd: str, workspace: str, train_opts: Sequence[str], test_opts: Sequence[str],
                   force: bool, name: str, test: bool = True, wait: bool = True) -> Optional[Dict[str, float]]:
    """Train ``config`` with tools/train.py and test its last checkpoint with tools/test.py, in this process.

    A run whose checkpoint (and test metrics) exist is not redone unless ``force``; a run another demo process is
    doing is waited for (:func:`run_lock`), or with ``wait=False`` left at once (returns None). The wall and CPU
    seconds of each step go to ``<wd>/timing.json``.

    Returns:
        dict[str, float] | None: The ``b2n/`` test metrics (None when ``test`` is False, or the run is busy).
    """
    os.makedirs(wd, exist_ok=True)
    with run_lock(wd, wait) as mine:
        if not mine:
            return None
        return _train_and_test(config, wd, workspace, train_opts, test_opts, force, name, test)


def _timed(fn: Callable, *args) -> Tuple[object, dict]:
    w0, c0 = time.time(), time.process_time()
    out = fn(*args)
    return out, dict(wall_s=time.time() - w0, cpu_s=time.process_time() - c0)


def read_timing(wd: str) -> dict:
    """``<wd>/timing.json`` (``train`` / ``test``: ``wall_s``, ``cpu_s``), or ``{}``."""
    path = osp.join(wd, 'timing.json')
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        return json.load(f)


def _write_timing(wd: str, step: str, timing: dict) -> None:
    data = read_timing(wd)
    data[step] = timing
    with open(osp.join(wd, 'timing.json'), 'w') as f:
        json.dump(data, f, indent=2)


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
        argv = [config, '--work-dir', wd, '--cfg-options', f'experiment_name={tag}_train', *train_opts]
        _, timing = _timed(run_in_process, train_tool.main, argv, osp.join(wd, 'train.log'), f'{name}: training',
                           workspace)
        _write_timing(wd, 'train', timing)
        ckpt = latest_checkpoint(wd)
        print(f'[demo] {name}: trained in {timing["wall_s"]:.0f} s', flush=True)
    if not test:
        return None
    argv = [config, ckpt, '--work-dir', wd, '--cfg-options', f'experiment_name={tag}_test', *test_opts]
    metrics, timing = _timed(run_in_process, test_tool.main, argv, osp.join(wd, 'test.log'), f'{name}: test',
                             workspace)
    _write_timing(wd, 'test', timing)
    print(f'[demo] {name}: tested in {timing["wall_s"]:.0f} s', flush=True)
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
# aggregation helpers


def run_name(method: str, split: int, seed: int) -> str:
    """Work-dir name of one run: ``<method>_s<list>_seed<seed>`` (grouped by ``split_run_name``)."""
    return f'{method}_s{split}_seed{seed}'


def write_chart(rows: Sequence[dict], out_file: str, title: str) -> None:
    """The base / novel / HM chart (mean ± std over each method's runs) of the method rows."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print(f'[demo] no chart ({osp.basename(out_file)}): matplotlib is missing (pip install -e ".[plots]")')
        return
    from ga2clip_mmaction.evaluation.chart import plot_summary
    plot_summary([dict(group=r['label'], protocol='b2n', dataset=None, published=None,
                       stats={'b2n/base_top1': r['base'], 'b2n/novel_top1': r['novel'], 'b2n/hm': r['hm']})
                  for r in rows], out_file, title=title)


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


# ---------------------------------------------------------------------------------------------------------------
# worlds


def world_dirs(work_dir: str, workspace: str, seed: int) -> Tuple[str, str]:
    """``(workspace, runs folder)`` of a world: world 0 is ``<workspace>/data/synthetic`` and ``runs/``, world
    ``W`` is ``<work_dir>/worlds/w<W>/data/synthetic`` and ``runs/w<W>/``."""
    if seed == 0:
        return workspace, osp.join(work_dir, 'runs')
    return osp.join(work_dir, 'worlds', f'w{seed}'), osp.join(work_dir, 'runs', f'w{seed}')


def prepare_world(seed: int, ws: str) -> dict:
    """Write world ``seed`` under ``<ws>/data/synthetic`` (skipped when its stamp matches) and return its
    record: ``seed`` and the sha256 of its files (:func:`ga2clip_mmaction.synthetic.hashes.world_hashes`)."""
    from filelock import FileLock

    from ga2clip_mmaction.synthetic.hashes import world_hashes
    from tools.data import make_synthetic_videos
    os.makedirs(ws, exist_ok=True)
    root = osp.join(ws, DATA)
    with FileLock(osp.join(ws, '.world_lock')):
        with contextlib.redirect_stdout(sys.stderr):
            make_synthetic_videos.main(['--out', root, '--seed', str(seed)])
    print(f'[demo] world {seed}: data ready under {root}', flush=True)
    return dict(seed=seed, **world_hashes(root))


def ensure_hard_prompt(ws: str, stage1_dir: str, args: argparse.Namespace) -> str:
    """Stage 1 of the world in ``ws`` (IVLP on its stage-1 classes) and its hard prompt; returns the path."""
    from tools.data import extract_hard_prompt
    hard_prompt = osp.join(ws, HARD_PROMPT)
    if osp.isfile(hard_prompt) and not args.force:
        return hard_prompt
    os.makedirs(stage1_dir, exist_ok=True)
    with run_lock(stage1_dir):
        if args.force or not osp.isfile(hard_prompt):  # another demo process may have written it meanwhile
            _train_and_test(CONFIGS['stage1'], stage1_dir, ws, epoch_options(args.stage1_epochs), [], args.force,
                            f'stage 1 ({osp.basename(ws)})', test=False)
            run_in_process(extract_hard_prompt.main, [latest_checkpoint(stage1_dir), hard_prompt],
                           osp.join(stage1_dir, 'extract_hard_prompt.log'), 'hard prompt extraction', ws)
    print(f'[demo] hard prompt: {hard_prompt}', flush=True)
    return hard_prompt


def zero_shot_run(ws: str, wd: str, force: bool) -> Dict[str, float]:
    """Zero-shot CLIP on the world in ``ws``, reused from ``wd`` when tested before."""
    os.makedirs(wd, exist_ok=True)
    with run_lock(wd):
        if not force:
            with contextlib.suppress(FileNotFoundError):
                metrics = read_test_metrics(wd)
                print(f'[demo] zero-shot: reused {wd}', flush=True)
                return metrics
        metrics, timing = _timed(zero_shot, ws)
        write_metrics_log(wd, metrics)
        _write_timing(wd, 'test', timing)
        print(f'[demo] zero-shot: tested in {timing["wall_s"]:.0f} s', flush=True)
        return metrics


def method_budget(methods: Sequence[str], ws: str) -> List[dict]:
    """Trainable parameters (built model, ``requires_grad``) and the data each method sees besides the few-shot
    base clips, read from its config in the world ``ws`` (whose hard prompt exists when a GA2-CLIP is asked)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from ga2clip_mmaction.datasets.split_files import read_video_list
    from ga2clip_mmaction.utils.io import read_class_names
    from mmaction.registry import MODELS
    out = []
    cwd = os.getcwd()
    os.chdir(ws)
    root_logger = logging.getLogger()
    level = root_logger.level
    try:
        init_default_scope('mmaction')
        for m in methods:
            if m == 'zero-shot':
                continue
            cfg = Config.fromfile(CONFIGS[m])
            for opt in METHOD_OPTIONS.get(m, []):
                key, value = opt.split('=')
                cfg.merge_from_dict({key: float(value) if value[0].isdigit() else value})
            root_logger.setLevel(logging.ERROR)
            model = MODELS.build(cfg.model)
            root_logger.setLevel(level)
            extra = []
            if cfg.model.cls_head.get('hard_prompt'):
                stage1 = Config.fromfile(CONFIGS['stage1']).train_dataloader.dataset.ann_file
                n = len(read_video_list(stage1))
                extra.append(f'{n} stage-1 clips of 6 other classes (the hard prompt)')
            anchors = cfg.model.get('anchor_loss')
            if anchors and cfg.train_dataloader.batch_sampler.get('num_anchors', 0) > 0:
                extra.append(f'{cfg.train_dataloader.dataset.max_anchor_videos} anchor clips '
                             f'({cfg.train_dataloader.batch_sampler.num_anchors} per batch) and '
                             f'{len(read_class_names(anchors.anchor_names))} generic attribute names')
            if cfg.model.get('consistency_loss'):
                extra.append('frozen hand-crafted prompt features of the base class names (no clips)')
            out.append(dict(method=m, label=METHODS[m],
                            trainable=sum(p.numel() for p in model.parameters() if p.requires_grad),
                            extra_data='; '.join(extra) or 'none'))
    finally:
        root_logger.setLevel(level)
        os.chdir(cwd)
    return out


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


def _sha256(path: str) -> Optional[str]:
    from ga2clip_mmaction.synthetic.hashes import sha256_file
    return sha256_file(path) if osp.isfile(path) else None


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run the demo (or the ablation); return what ``results.json`` (``ablation.json``) holds.

    Returns:
        dict: ``runs`` (``dict(method, label, world, list, seed, work_dir, metrics, timing)``), ``methods``
        (``{label: row}``, :func:`ga2clip_mmaction.evaluation.demo_report.method_rows`), ``comparisons``,
        ``zero_shot_per_world``, ``budget``, ``worlds`` (seed and file hashes), ``compute``,
        ``ivlp_novel_minus_zero_shot`` (fraction or None), ``lists``, ``seeds``; ``{}`` with ``--no-report``.
    """
    args = parse_args(argv)
    workspace = osp.abspath(args.workspace)
    work_dir = osp.abspath(args.work_dir or osp.join(workspace, 'work_dirs', 'demo'))
    lists = [args.split] if args.split is not None else _int_list(args.lists, '--lists')
    bad = [n for n in lists if n not in (1, 2, 3)]
    if bad:
        raise ValueError(f'--lists: the world has few-shot lists 1, 2, 3, got {bad}')
    many = args.full or args.ablation
    seeds = _int_list(args.seeds or ('0,1' if many else '0'), '--seeds')
    planned = ABLATION_WORLDS if args.ablation else PLANNED_WORLDS if args.full else (0, )
    worlds = _int_list(args.world_seeds or ','.join(map(str, planned)), '--world-seeds')
    if args.ablation:
        methods, grid = None, ablation_runs()
        if args.methods:  # a subset of the variants (IVLP and the full GA2-CLIP are always there)
            keep = set(args.methods.split(',')) | {'ivlp', 'ga2clip'}
            unknown = sorted(keep - {name for name, _, _ in grid})
            if unknown:
                raise ValueError(f'--methods with --ablation: unknown variants {unknown}')
            grid = [g for g in grid if g[0] in keep]
    else:
        methods = select_methods(args)  # the tables' order; the runs go in the order --methods gives
        run_order = [m for m in (args.methods or '').split(',') if m in methods] or methods
        grid = [(m, CONFIGS[m], METHOD_OPTIONS.get(m, [])) for m in run_order if m != 'zero-shot']
    missing = [c for _, c, _ in grid if not osp.isfile(c)]
    if missing:
        raise FileNotFoundError(f'Config(s) not found: {missing}')
    os.makedirs(osp.join(work_dir, 'runs'), exist_ok=True)
    t_start, c_start = time.time(), time.process_time()

    # import the tools (torch, mmengine, mmaction) before any redirect: import-time handlers keep real streams
    from tools import test as _test_tool  # noqa: F401
    from tools import train as _train_tool  # noqa: F401
    fast_config_text()
    import torch

    labels = dict(METHODS)  # run name -> label of the per-run table and the chart
    for name, label, _ in ABLATION:
        labels.setdefault(name, label)
    records, runs, homes = [], [], {}
    for world in worlds:
        ws, runs_dir = world_dirs(work_dir, workspace, world)
        homes[world] = (ws, runs_dir)
        records.append(prepare_world(world, ws))
        if methods and 'zero-shot' in methods:
            wd = osp.join(runs_dir, 'zero-shot')
            runs.append(dict(method='zero-shot', label=METHODS['zero-shot'], world=world, list=None, seed=None,
                             work_dir=wd, metrics=zero_shot_run(ws, wd, args.force), timing=read_timing(wd)))
    # method-major order: a grid cut short has whole methods (ablation variants) done, not scattered cells
    entries = [(name, config, opts, world, split, seed) for name, config, opts in grid
               for world in worlds for split in lists for seed in seeds]
    trained: Dict[int, dict] = {}
    missing: Dict[str, List[str]] = {}
    if args.existing_only:
        for i, (name, _, _, world, split, seed) in enumerate(entries):
            wd = osp.join(homes[world][1], run_name(name, split, seed))
            try:
                if latest_checkpoint(wd) is None:
                    raise FileNotFoundError(wd)
                metrics = read_test_metrics(wd)
            except FileNotFoundError:
                missing.setdefault(name, []).append(f'w{world}/{run_name(name, split, seed)}')
                continue
            trained[i] = dict(method=name, label=labels.get(name, name), world=world, list=split, seed=seed,
                              work_dir=wd, metrics=metrics, timing=read_timing(wd))
        trained = {i: r for i, r in trained.items() if r['method'] not in missing}
        if methods:
            methods = [m for m in methods if m not in missing]
        entries = [e for i, e in enumerate(entries) if i in trained]
        trained = {j: trained[i] for j, i in enumerate(sorted(trained))}
    # first the runs no other demo process holds, then wait for the rest
    for wait in (False, True) if not args.existing_only else ():
        for i, (name, config, opts, world, split, seed) in enumerate(entries):
            if i in trained:
                continue
            ws, runs_dir = homes[world]
            if name != 'ivlp' and (args.ablation or name.startswith('ga2clip')):
                ensure_hard_prompt(ws, osp.join(runs_dir, 'stage1'), args)
            rname = run_name(name, split, seed)
            wd = osp.join(runs_dir, rname)
            common = train_set_options(config, split) + list(opts) + list(args.cfg_options)
            train_opts = epoch_options(args.epochs) + common + [f'randomness.seed={seed}']
            metrics = train_and_test(config, wd, ws, train_opts, common, args.force,
                                     rname if world == 0 else f'w{world}/{rname}', wait=wait)
            if metrics is None:
                continue  # another demo process is on it
            bad = [k for k, v in metrics.items() if not math.isfinite(v)]
            if bad:
                raise RuntimeError(f'{rname}: non-finite metrics {bad} (log {wd}/test.log)')
            trained[i] = dict(method=name, label=labels.get(name, name), world=world, list=split, seed=seed,
                              work_dir=wd, metrics=metrics, timing=read_timing(wd))
    runs += [trained[i] for i in range(len(entries))]
    for record in records:
        record['hard_prompt_sha256'] = _sha256(osp.join(homes[record['seed']][0], HARD_PROMPT))
    if args.no_report:
        print(f'[demo] runs done in {time.time() - t_start:.0f} s (--no-report)', flush=True)
        return {}
    return report(args, runs, records, methods, lists, seeds, worlds, work_dir, workspace, labels,
                  dict(session_wall_s=time.time() - t_start, session_cpu_s=time.process_time() - c_start,
                       torch_threads=torch.get_num_threads()), missing)


def report(args, runs, records, methods, lists, seeds, worlds, work_dir, workspace, labels, session,
           missing: Optional[Dict[str, List[str]]] = None) -> dict:
    """Write ``<work_dir>/{results,ablation}.{md,json,png}`` and return the json's content."""
    from ga2clip_mmaction.evaluation import demo_report as rep
    if args.ablation:
        present = {r['method'] for r in runs}
        order = [('ivlp', METHODS['ivlp'])] + [(name, label) for name, label, _ in ABLATION if name in present]
        refs = [('ga2clip', 'GA2-CLIP (kl)'), ('ivlp', 'IVLP')]
        family = [(name, 'ga2clip', 'hm', f'{labels[name]} - GA2-CLIP (kl)') for name, _, _ in ablation_runs()
                  if name not in ('ivlp', 'ga2clip') and name in present]
        stem, title, budget = 'ablation', 'GA2-CLIP ablation', []
    else:
        order = [(m, METHODS[m]) for m in methods]
        refs = [(REFERENCE, METHODS[REFERENCE])]
        family = COMPARISONS
        stem, title = 'results', 'Base-to-novel on the synthetic worlds'
        budget = method_budget(methods, world_dirs(work_dir, workspace, worlds[0])[0])
    rows = rep.method_rows(runs, order, refs)
    comparisons = rep.comparison_family(runs, family)
    zs = rep.zero_shot_per_world(runs)
    drop = next((c['nested']['mean'] for c in comparisons if (c['a'], c['b']) == ('ivlp', 'zero-shot')), None)
    trained = {r['work_dir']: r['timing'] for r in runs if r['method'] != 'zero-shot'}
    compute = dict(session, trained_runs=len(trained),
                   run_wall_s=sum(t.get(s, {}).get('wall_s', 0) for t in trained.values() for s in ('train', 'test')),
                   run_cpu_s=sum(t.get(s, {}).get('cpu_s', 0) for t in trained.values() for s in ('train', 'test')))
    header = (f'Base-to-novel top-1 (%) on the synthetic world(s) {worlds}, tiny CLIP, CPU; few-shot lists {lists} x '
              f'training seeds {seeds}. base / novel / HM: mean ± sample std over the runs (HM = mean of the runs\' '
              f'HM). Differences: run by run (matched world, list, seed), then seeds averaged within list and lists '
              f'within world; 95 % t interval over the {"worlds" if len(worlds) > 1 else "lists"} (df = units - 1; '
              f'the nested random-effects model of a balanced design); p-values Holm-corrected over the stated '
              f'family; the hierarchical bootstrap (worlds, then lists) beside it. Zero-shot CLIP: one '
              f'deterministic run per world, a reference, not paired.')
    text = (f'{header}\n\n{rep.format_methods_table(rows, [label for _, label in refs])}\n\n'
            f'Comparisons (the family of docs/results/plan.md; Holm over the {len(comparisons)} present):\n\n'
            f'{rep.format_comparisons(comparisons, labels)}\n')
    if zs:
        text += f'\nZero-shot CLIP per world (a reference):\n\n{rep.format_zero_shot_table(zs)}\n'
    if budget:
        text += f'\nTrainable parameters and extra data per method:\n\n{rep.format_budget_table(budget)}\n'
    text += (f'\nCompute: {compute["trained_runs"]} trained runs, {compute["run_wall_s"]:.0f} s wall and '
             f'{compute["run_cpu_s"]:.0f} s CPU in their train + test steps (torch threads '
             f'{compute["torch_threads"]}); this session {compute["session_wall_s"]:.0f} s wall.\n')
    if missing:
        text += ('\nNot run (the time ran out; left out of every table, no cell estimated): '
                 + '; '.join(f'{labels.get(m, m)}: {len(c)} of {len(worlds) * len(lists) * len(seeds)} runs '
                             f'missing ({", ".join(c)})' for m, c in missing.items()) + '\n')
    text += f'\nPer run:\n\n{rep.format_runs_table(runs)}\n'
    out = dict(runs=runs, methods={r['label']: r for r in rows}, comparisons=comparisons, zero_shot_per_world=zs,
               budget=budget, worlds=records, compute=compute, ivlp_novel_minus_zero_shot=drop, lists=lists,
               seeds=seeds, world_seeds=worlds, seconds=compute['session_wall_s'], missing=missing or {})
    with open(osp.join(work_dir, f'{stem}.json'), 'w') as f:
        json.dump(out, f, indent=2)
    with open(osp.join(work_dir, f'{stem}.md'), 'w') as f:
        f.write(text)
    write_chart(rows, osp.join(work_dir, f'{stem}.png'), title)
    print(f'\n{text}\n({compute["session_wall_s"]:.0f} s in all; results in {work_dir})', flush=True)
    return out


if __name__ == '__main__':
    main()
