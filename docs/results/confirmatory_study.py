"""The confirmatory study's runner (docs/results/plan_confirmatory.md): resumable, one world at a time, with the
provenance of every run.

For each planned world, in order: write it with the frozen generator setting, learn its stage-1 hard prompt, test
zero-shot CLIP, train and test each method on few-shot list 1 with training seed 0 (the demo's own steps,
``tools/demo_steps.py``), then add the world's record (its file hashes, the hard prompt's sha256, each run's
metrics, timing and provenance) to the results json, atomically. A world is recorded only when all its runs are
done; a world another runner process holds is skipped.

The study's runs are made by this file at the commit the json's runs record (``provenance.commit``); the demo's
steps (:mod:`ga2clip_demo.steps`) record each run's provenance too. (A first start from commit 06077fc, on the layout
before issue 27's move, stopped at its second world on a bug of this file's study check, fixed here; its runs were
set aside unread, plan_confirmatory.md "Deviation".) The runner prints no metric: the plan allows no look at
partial results, and the analysis (``docs/results/confirmatory_analysis.py``) refuses an incomplete study.

**Provenance** of each run (``<run>/provenance.json``, copied into its record; recorded and checked by
:mod:`ga2clip_demo.provenance`, the demo's own bookkeeping, which the file at ``2a03eb4`` carried as an identical
inline copy): commit and tree hash and dirty flag
of the checkout, sha256 of ``requirements/constraints.txt``, of the CLIP weights and of the hard prompt the run
loads, library versions, torch threads, CPU model, start and end times. A finished run is reused only when its
recorded provenance equals the current one in everything but the times; otherwise it is refused with the
difference named. A study recorded with another design or other code is refused the same way.

Resume (a later session): run the same command from a clean clone at the commit the json's runs record::

    git clone <repo> /tmp/frozen && git -C /tmp/frozen checkout <commit>
    cd /tmp/frozen && OMP_NUM_THREADS=1 PYTHONPATH=$PWD nohup nice -n 15 python docs/results/confirmatory_study.py \\
        --out <branch checkout>/docs/results/demo_confirmatory.json --work-dir <scratch>/confirm &
"""
import argparse
import contextlib
import json
import os
import os.path as osp
import sys
from typing import List, Optional, Sequence

from ga2clip_demo.provenance import (ProvenanceMismatch, _now, collect, differences, read_provenance, recorded_run,
                                     run_inputs, sha256_file)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: The plan's worlds: ``1000 x 31 + 1 .. 35`` (docs/results/plan_confirmatory.md, docs/results/power.md).
WORLDS = tuple(range(31001, 31036))
#: The generator setting the premise calibration froze (docs/results/calibration.md: no setting met the target;
#: the rule took the most negative mean narrowing).
HABITAT_PROB: Optional[float] = 0.9
LIST, SEED = 1, 0
#: Trained methods in run order within a world: key -> config.
TRAINED = {
    'ivlp': 'configs/ga2clip_b2n_demo_ivlp.py',
    'ga2clip_as_released': 'configs/ga2clip_b2n_demo_as_released.py',
    'ga2clip': 'configs/ga2clip_b2n_demo.py',
    'vilt': 'configs/vilt_clip_b2n_demo.py',
}
STAGE1_CONFIG = 'configs/ga2clip_b2n_demo_stage1.py'
#: Provenance that must be the same in every world of the study (the CPU model and the times may differ).
STUDY_KEYS = ('commit', 'tree', 'dirty', 'constraints_sha256', 'clip_weights_sha256', 'versions', 'torch_threads')
#: The world generator's files, frozen by their sha256 in the design.
GENERATOR_FILES = ('projects/ga2clip_demo/ga2clip_demo/synthetic/world.py',
                   'projects/ga2clip_demo/ga2clip_demo/synthetic/render.py',
                   'projects/ga2clip_demo/ga2clip_demo/synthetic/hashes.py',
                   'projects/ga2clip_demo/ga2clip_demo/make_synthetic_videos.py')


# ---------------------------------------------------------------------------------------------- the study
def design() -> dict:
    """The study's design, as the results json records it (``design``)."""
    return dict(plan='docs/results/plan_confirmatory.md', worlds=list(WORLDS), list=LIST, seed=SEED,
                habitat_prob=HABITAT_PROB, methods=['zero-shot', *TRAINED], configs=dict(TRAINED),
                stage1_config=STAGE1_CONFIG,
                generator_sha256={p: sha256_file(osp.join(REPO, p)) for p in GENERATOR_FILES})


def read_results(path: str) -> dict:
    """The results json, or ``{}`` when it does not exist yet."""
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        return json.load(f)


def write_results(path: str, data: dict) -> None:
    """Write the results json atomically (a reader never sees half a file)."""
    tmp = f'{path}.tmp{os.getpid()}'
    with open(tmp, 'w') as f:
        json.dump(data, f, indent=1)
        f.write('\n')
    os.replace(tmp, path)


def study_provenance(threads: int) -> dict:
    """The provenance every run of the study shares (:data:`STUDY_KEYS`): this checkout's code and libraries and the
    CLIP weights of the configs (one file for all of them)."""
    weights = {run_inputs(osp.join(REPO, c), REPO)['clip_weights'] for c in (*TRAINED.values(), STAGE1_CONFIG)}
    if len(weights) != 1:
        raise ProvenanceMismatch(f'the study\'s configs load different CLIP weights: {sorted(weights)}')
    return collect(REPO, weights.pop(), None, threads)


def check_study(data: dict, current: dict) -> None:
    """Refuse to continue a study recorded with another design or other code.

    Raises:
        ProvenanceMismatch: The recorded design differs from :func:`design`, or a recorded run's provenance
            differs from ``current`` in one of :data:`STUDY_KEYS` (each difference named).
    """
    diff = differences(data['design'], design(), ())
    if diff:
        raise ProvenanceMismatch(f'the recorded study has another design: {"; ".join(diff)}')
    now = {k: current.get(k) for k in STUDY_KEYS}
    for world in data.get('worlds', []):
        for method, run in world['runs'].items():
            d = differences({k: run['provenance'].get(k) for k in STUDY_KEYS}, now, ())
            if d:
                raise ProvenanceMismatch(
                    f'world {world["seed"]} {method} ran under other code or libraries than this checkout: '
                    f'{"; ".join(d)}. Resume from a clean clone at commit {run["provenance"].get("commit")}.')


def record_world(path: str, record: dict, current: dict) -> dict:
    """Add one world's record to the results json under a file lock (the json is created when missing)."""
    from filelock import FileLock
    with FileLock(path + '.lock'):
        data = read_results(path) or dict(design=design(), worlds=[])
        check_study(data, current)
        worlds = [w for w in data['worlds'] if w['seed'] != record['seed']] + [record]
        data['worlds'] = sorted(worlds, key=lambda w: w['seed'])
        n = len(data['worlds'])
        data['status'] = (f'complete: {n} of {len(WORLDS)} worlds' if n == len(WORLDS) else
                          f'in progress: {n} of {len(WORLDS)} worlds; no analysis until complete '
                          '(docs/results/plan_confirmatory.md)')
        write_results(path, data)
        return data


def _finished(wd: str, checkpoint: bool = True) -> bool:
    """Whether the run in ``wd`` has its test metrics (and, with ``checkpoint``, its checkpoint)."""
    from ga2clip_demo.steps import latest_checkpoint, read_test_metrics
    if checkpoint and latest_checkpoint(wd) is None:
        return False
    try:
        read_test_metrics(wd)
    except FileNotFoundError:
        return False
    return True


def run_world(seed: int, work_dir: str, threads: int) -> dict:
    """Everything of one world; returns its record (the results json is not written here).

    Raises:
        ProvenanceMismatch: A finished run of this world in ``work_dir`` has other provenance.
        RuntimeError: A run failed or gave non-finite metrics.
    """
    import math

    from ga2clip_demo import make_synthetic_videos
    from ga2clip_demo.grid import DATA, HARD_PROMPT, train_set_options
    from ga2clip_demo.steps import ensure_hard_prompt, read_timing, train_and_test, zero_shot_run
    from ga2clip_demo.synthetic.hashes import world_hashes
    ws = osp.join(work_dir, 'worlds', f'w{seed}')
    runs_dir = osp.join(work_dir, 'runs', f'w{seed}')
    root = osp.join(ws, DATA)
    os.makedirs(runs_dir, exist_ok=True)
    record = dict(seed=seed, habitat_prob=HABITAT_PROB, started=_now())
    with contextlib.redirect_stdout(sys.stderr):
        make_synthetic_videos.main(['--out', root, '--seed', str(seed), '--habitat-prob', str(HABITAT_PROB)])
    record['files'] = world_hashes(root)
    stage1 = osp.join(runs_dir, 'stage1')
    hard_prompt = osp.join(ws, HARD_PROMPT)
    with recorded_run(stage1, osp.join(REPO, STAGE1_CONFIG), ws, osp.isfile(hard_prompt)):
        ensure_hard_prompt(ws, stage1, None, False)
    record['stage1'] = dict(timing=read_timing(stage1), provenance=read_provenance(stage1))
    record['hard_prompt_sha256'] = sha256_file(hard_prompt)
    runs = record['runs'] = {}
    wd = osp.join(runs_dir, 'zero-shot')
    ivlp_config = osp.join(REPO, TRAINED['ivlp'])
    with recorded_run(wd, ivlp_config, ws, _finished(wd, checkpoint=False)):
        metrics = zero_shot_run(ws, wd, False)
    runs['zero-shot'] = dict(metrics=metrics, timing=read_timing(wd), provenance=read_provenance(wd),
                             template='a video of a {}.')
    for method, rel in TRAINED.items():
        config = osp.join(REPO, rel)
        wd = osp.join(runs_dir, f'{method}_s{LIST}_seed{SEED}')
        common = train_set_options(config, LIST)
        with recorded_run(wd, config, ws, _finished(wd)):
            metrics = train_and_test(config, wd, ws, common + [f'randomness.seed={SEED}'], common, False,
                                     f'w{seed}/{method}')
        bad = [k for k, v in metrics.items() if not math.isfinite(v)]
        if bad:
            raise RuntimeError(f'{wd}: non-finite metrics {bad} (log {wd}/test.log)')
        runs[method] = dict(metrics=metrics, timing=read_timing(wd), provenance=read_provenance(wd), config=rel,
                            list=LIST, seed=SEED)
    record['finished'] = _now()
    return record


def run(out: str, work_dir: str, threads: int = 1, worlds: Sequence[int] = WORLDS) -> List[int]:
    """Run every world of ``worlds`` not yet recorded in ``out``, in order; returns the worlds this process
    recorded. A world another runner process holds (its lock under ``<work_dir>/locks``) is skipped.

    Raises:
        ProvenanceMismatch: The generator setting is not frozen, or the recorded study has another design or code.
        ValueError: A world not in the plan.
    """
    from filelock import FileLock, Timeout
    if HABITAT_PROB is None:
        raise ProvenanceMismatch('HABITAT_PROB is not frozen yet (docs/results/calibration.md)')
    unknown = sorted(set(worlds) - set(WORLDS))
    if unknown:
        raise ValueError(f'worlds {unknown} are not in the plan ({WORLDS[0]}..{WORLDS[-1]})')
    os.environ['OMP_NUM_THREADS'] = str(threads)
    import torch
    torch.set_num_threads(threads)
    current = study_provenance(threads)
    if current['dirty'] is not False:
        raise ProvenanceMismatch(f'{REPO}: the study runs from a clean git checkout of a commit (dirty flag '
                                 f'{current["dirty"]}); commit or clone first')
    data = read_results(out)
    if data:
        check_study(data, current)
    os.makedirs(osp.join(work_dir, 'locks'), exist_ok=True)
    recorded = []
    for seed in worlds:
        if seed in {w['seed'] for w in read_results(out).get('worlds', [])}:
            continue
        lock = FileLock(osp.join(work_dir, 'locks', f'w{seed}.lock'))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            continue  # another runner process has this world
        try:
            if seed in {w['seed'] for w in read_results(out).get('worlds', [])}:
                continue
            record_world(out, run_world(seed, work_dir, threads), current)
            recorded.append(seed)
            print(f'[confirmatory] world {seed} recorded at {_now()}', flush=True)
        finally:
            lock.release()
    return recorded


def main(argv: Optional[Sequence[str]] = None) -> List[int]:
    """Command line: run the planned worlds not yet recorded in ``--out``."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', required=True, help='the results json (docs/results/demo_confirmatory.json)')
    p.add_argument('--work-dir', required=True, help='worlds and runs (about 15 MB per world)')
    p.add_argument('--threads', type=int, default=1, help='torch threads of every step (default 1)')
    args = p.parse_args(argv)
    return run(osp.abspath(args.out), osp.abspath(args.work_dir), args.threads)


if __name__ == '__main__':
    main()
