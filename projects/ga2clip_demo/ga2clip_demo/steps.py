"""How the embedded demo (``run_demo``) runs its steps: a world, stage 1 and its hard prompt, zero-shot
CLIP, and each run's training and test as a ``tools/train.py`` / ``tools/test.py`` subprocess.

A step whose output exists is reused unless ``force``. Each run folder is held by a file lock while it runs, so
two demo processes on one work dir share the work. The wall and CPU seconds of each step go to
``<run>/timing.json``, its provenance to ``<run>/provenance.json`` (:mod:`ga2clip_demo.provenance`): a finished run
is reused only under the same provenance, times excepted.
"""
import contextlib
import glob
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from .grid import CONFIGS, DATA, HARD_PROMPT, REPO, epoch_options
from .provenance import recorded_run

ZERO_SHOT_TEMPLATE = 'a video of a {}.'
#: Flags of every train/test subprocess: the config text unformatted (no yapf, tools/train.py --help).
TOOL_FLAGS = ['--plain-config']


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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


def run_tool(tool: str, argv: Sequence[str], cwd: str, log: str) -> dict:
    """Run ``tools/<tool>`` with ``argv`` in ``cwd`` (:func:`run_subprocess`); return its wall and CPU seconds."""
    w0, c0 = time.time(), _children_cpu_s()
    run_subprocess([sys.executable, osp.join(REPO, 'tools', tool), *argv], cwd, log)
    return dict(wall_s=time.time() - w0, cpu_s=_children_cpu_s() - c0)


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


def read_timing(wd: str) -> dict:
    """``<wd>/timing.json`` (``train`` / ``test``: ``wall_s``, ``cpu_s``), or ``{}``."""
    path = osp.join(wd, 'timing.json')
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        return json.load(f)


def write_timing(wd: str, step: str, timing: dict) -> None:
    """Record ``timing`` of ``step`` in ``<wd>/timing.json``."""
    data = read_timing(wd)
    data[step] = timing
    with open(osp.join(wd, 'timing.json'), 'w') as f:
        json.dump(data, f, indent=2)


@contextlib.contextmanager
def run_lock(wd: str, wait: bool = True):
    """Hold ``<wd>/.demo_lock`` (:class:`filelock.FileLock`, an OS lock that dies with its process) while a
    run trains and tests: a second ``run_demo`` on the same work dir waits for the run and then reuses
    it instead of training into the same folder.

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
    """Train ``config`` with tools/train.py and test its last checkpoint with tools/test.py (subprocesses in
    ``workspace``, output in ``<wd>/train.log`` / ``test.log``), under :func:`run_lock`.

    A run whose checkpoint (and test metrics) exist is not redone unless ``force``; a run another demo process is
    doing is waited for, or with ``wait=False`` left at once (returns None).

    Returns:
        dict[str, float] | None: The ``b2n/`` test metrics (None when ``test`` is False, or the run is busy).
    """
    os.makedirs(wd, exist_ok=True)
    with run_lock(wd, wait) as mine:
        if not mine:
            return None
        return _train_and_test(config, wd, workspace, train_opts, test_opts, force, name, test)


def _cfg_options(options: Sequence[str]) -> List[str]:
    return ['--cfg-options', *options] if options else []


def _train_and_test(config: str, wd: str, workspace: str, train_opts: Sequence[str], test_opts: Sequence[str],
                    force: bool, name: str, test: bool = True) -> Optional[Dict[str, float]]:
    ckpt = None if force else latest_checkpoint(wd)
    if ckpt is not None and test:
        with contextlib.suppress(FileNotFoundError):
            metrics = read_test_metrics(wd)
            with recorded_run(wd, config, workspace, True, train_opts):  # refused unless the same provenance
                print(f'[demo] {name}: reused {wd}', flush=True)
            return metrics
    with recorded_run(wd, config, workspace, False, train_opts, fresh=ckpt is None):
        return _run_steps(config, wd, workspace, train_opts, test_opts, name, test, ckpt)


def _run_steps(config: str, wd: str, workspace: str, train_opts: Sequence[str], test_opts: Sequence[str], name: str,
               test: bool, ckpt: Optional[str]) -> Optional[Dict[str, float]]:
    if ckpt is None:
        timing = run_tool('train.py', [config, '--work-dir', wd, *TOOL_FLAGS, *_cfg_options(train_opts)],
                          workspace, osp.join(wd, 'train.log'))
        write_timing(wd, 'train', timing)
        ckpt = latest_checkpoint(wd)
        print(f'[demo] {name}: trained in {timing["wall_s"]:.0f} s', flush=True)
    if not test:
        return None
    argv = [config, ckpt, '--work-dir', wd, *TOOL_FLAGS, *_cfg_options(test_opts)]
    timing = run_tool('test.py', argv, workspace, osp.join(wd, 'test.log'))
    write_timing(wd, 'test', timing)
    print(f'[demo] {name}: tested in {timing["wall_s"]:.0f} s', flush=True)
    return read_test_metrics(wd)


def prepare_world(seed: int, ws: str) -> dict:
    """Write world ``seed`` under ``<ws>/data/synthetic`` (skipped when its stamp matches) and return its
    record: ``seed`` and the sha256 of its files (:func:`ga2clip_demo.synthetic.hashes.world_hashes`)."""
    from filelock import FileLock

    from . import make_synthetic_videos
    from .synthetic.hashes import world_hashes
    os.makedirs(ws, exist_ok=True)
    root = osp.join(ws, DATA)
    with FileLock(osp.join(ws, '.world_lock')):
        with contextlib.redirect_stdout(sys.stderr):
            make_synthetic_videos.main(['--out', root, '--seed', str(seed)])
    print(f'[demo] world {seed}: data ready under {root}', flush=True)
    return dict(seed=seed, **world_hashes(root))


def ensure_hard_prompt(ws: str, stage1_dir: str, epochs: Optional[int], force: bool) -> str:
    """Stage 1 of the world in ``ws`` (IVLP on its stage-1 classes) and its hard prompt; returns the path."""
    hard_prompt = osp.join(ws, HARD_PROMPT)
    if osp.isfile(hard_prompt) and not force:
        with recorded_run(stage1_dir, CONFIGS['stage1'], ws, True, epoch_options(epochs)):
            return hard_prompt
    os.makedirs(stage1_dir, exist_ok=True)
    with run_lock(stage1_dir):
        if force or not osp.isfile(hard_prompt):  # another demo process may have written it meanwhile
            _train_and_test(CONFIGS['stage1'], stage1_dir, ws, epoch_options(epochs), [], force,
                            f'stage 1 ({osp.basename(ws)})', test=False)
            run_tool(osp.join('data', 'extract_hard_prompt.py'), [latest_checkpoint(stage1_dir), hard_prompt],
                     os.getcwd(), osp.join(stage1_dir, 'extract_hard_prompt.log'))
    print(f'[demo] hard prompt: {hard_prompt}', flush=True)
    return hard_prompt


def _timed(fn: Callable, *args) -> Tuple[object, dict]:
    w0, c0 = time.time(), time.process_time()
    out = fn(*args)
    return out, dict(wall_s=time.time() - w0, cpu_s=time.process_time() - c0)


def write_metrics_log(work_dir: str, metrics: Dict[str, float]) -> None:
    """Write ``metrics`` as MMEngine's test log does (``<ts>/<ts>.json``, one object): tools/summarize_results.py
    and :func:`read_test_metrics` read the zero-shot run like any tested run."""
    stamp = time.strftime('%Y%m%d_%H%M%S', time.localtime())
    os.makedirs(osp.join(work_dir, stamp), exist_ok=True)
    with open(osp.join(work_dir, stamp, f'{stamp}.json'), 'w') as f:
        json.dump(metrics, f)


def zero_shot_run(ws: str, wd: str, force: bool) -> Dict[str, float]:
    """Zero-shot CLIP on the world in ``ws`` (:func:`ga2clip_demo.zero_shot.zero_shot`), reused from ``wd`` when
    tested before."""
    from .zero_shot import zero_shot
    os.makedirs(wd, exist_ok=True)
    with run_lock(wd):
        if not force:
            with contextlib.suppress(FileNotFoundError):
                metrics = read_test_metrics(wd)
                with recorded_run(wd, CONFIGS['ivlp'], ws, True):  # refused unless the same provenance
                    print(f'[demo] zero-shot: reused {wd}', flush=True)
                return metrics
        with recorded_run(wd, CONFIGS['ivlp'], ws, False, fresh=True):
            metrics, timing = _timed(zero_shot, ws, CONFIGS['ivlp'], ZERO_SHOT_TEMPLATE)
            write_metrics_log(wd, metrics)
        write_timing(wd, 'test', timing)
        print(f'[demo] zero-shot: tested in {timing["wall_s"]:.0f} s', flush=True)
        return metrics
