"""The embedded demo: base-to-novel on synthetic worlds with the tiny CLIP, on a CPU, as repeated runs.

``make demo`` runs this script. Steps, per world seed (``--world-seeds``; a step is skipped when its output
exists, unless ``--force``; the steps are :mod:`ga2clip_demo.steps`, what runs is :mod:`ga2clip_demo.grid`):

1. write the synthetic world (projects/ga2clip_demo/tools/make_synthetic_videos.py ``--seed <world>``): world 0 under
   ``<workspace>/data/synthetic``, world ``W`` under ``<work-dir>/worlds/w<W>/data/synthetic``; record the sha256
   of its annotation and class-name files (``worlds`` of the results);
2. stage 1 of that world (when a GA2-CLIP method is asked): IVLP prompt tuning on its disjoint class set
   (configs/ga2clip_b2n_demo_stage1.py); its layer-0 text context becomes the world's hard prompt;
3. zero-shot CLIP on the world's test set (one deterministic run: a per-world reference, never paired);
4. every trained method on every few-shot list (``--lists``) and training seed (``--seeds``): tools/train.py,
   then tools/test.py, each a subprocess (output in the run's ``train.log`` / ``test.log``), in
   ``<work-dir>/runs[/w<W>]/<method>_s<list>_seed<seed>``;
5. write ``<work-dir>/results.{md,json,png}`` (:mod:`ga2clip_demo.evaluation.demo_output`): per method base /
   novel / HM, the HM difference to IVLP with a clustered 95 % interval (worlds, or lists with one world, are the
   units; seeds averaged within list), the plan's family of comparisons with Holm-adjusted p-values
   (``COMPARISONS``, docs/results/plan.md), zero-shot CLIP per world, the trainable parameters and extra data per
   method, every run, and the runs' wall and CPU seconds.

Methods (``--methods``, in this order): ``zero-shot``, ``ivlp``, ``vilt`` (ViLT-CLIP, consistency weight at
KgCoOp's strength), ``vilt_l2_8`` (the old weight, l2 at 8.0 = twice KgCoOp's; an extra row, ``--full`` only),
``ga2clip_released`` (GA2-CLIP with the released anchor term: the paper's) and ``ga2clip`` (our ``kl`` term).

``--ablation`` runs GA2-CLIP variants (``ABLATION``) instead and writes ``<work-dir>/ablation.{md,json,png}``,
each variant against the full GA2-CLIP (kl) runs (Holm across the variants) and IVLP, both reused from the grid.
Two demo processes on one work dir share the work: each run is held by a file lock, a process skips the runs
another holds and comes back to them at the end (``--no-report`` for a helper that writes no tables). ``--jobs N``
(default 2) starts the N-1 helpers itself (:mod:`ga2clip_demo.workers`), every train/test at one torch thread.

Usage (``T=projects/ga2clip_demo/tools``)::

    python $T/run_demo.py                          # the README's job: world 0, 4 methods x 3 lists x seed 0
    python $T/run_demo.py --full                   # the committed grid: worlds 22001-22003, 5+1 methods, seeds 0, 1
    python $T/run_demo.py --ablation               # the committed ablation: worlds 22001, 22002, seeds 0, 1
    python $T/run_demo.py --existing-only --full   # tables of the finished runs, training nothing
"""
import argparse
import contextlib
import math
import os
import os.path as osp
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from .grid import (ABLATION, ABLATION_WORLDS, COMPARISONS, CONFIGS, DEFAULT_METHODS, KL, RELABEL,  # noqa: E402,F401
                             HARD_PROMPT, METHOD_OPTIONS, METHODS, PLANNED_WORLDS, REFERENCE, REPO, ablation_runs,
                             epoch_options, method_budget, run_labels, run_name, select_methods, train_set_options,
                             world_dirs)
from .provenance import read_provenance  # noqa: E402
from .workers import one_thread_children, one_torch_thread, start_helpers, stop_on_error, wait_helpers  # noqa: E402
from .steps import (ensure_hard_prompt, latest_checkpoint, prepare_world, read_test_metrics,  # noqa: E402
                              read_timing, run_lock, run_subprocess, train_and_test, zero_shot_run)


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
                   help='world seeds (make_synthetic_videos.py --seed), comma-separated (default 0; '
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
    p.add_argument('--reuse-grid', default=None, metavar='JSON',
                   help='with --ablation: take the IVLP and full GA2-CLIP (kl) runs from this committed grid '
                   '(results json, e.g. docs/results/demo_full_grid.json) instead of training them again; a cell '
                   'the grid lacks is trained')
    p.add_argument('--jobs', type=int, default=2,
                   help='runs trained at once (default 2, one per core of a 2-core machine): N-1 helper demo '
                   'processes (--no-report) share the runs through the run locks; with N > 1 every train/test '
                   'process gets OMP_NUM_THREADS=1')
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


def _grid(args: argparse.Namespace):
    """``(methods, grid)``: the table's methods (None with ``--ablation``) and the ``(name, config, options)``
    to train, in run order (the order ``--methods`` names them: a grid cut short has its first methods)."""
    if args.ablation:
        grid = ablation_runs()
        if args.methods:  # a subset of the variants (IVLP and the full GA2-CLIP are always there)
            keep = set(args.methods.split(',')) | {'ivlp', 'ga2clip'}
            unknown = sorted(keep - {name for name, _, _ in grid})
            if unknown:
                raise ValueError(f'--methods with --ablation: unknown variants {unknown}')
            grid = [g for g in grid if g[0] in keep]
        return None, grid
    methods = select_methods(args.methods, args.full)
    run_order = [m for m in (args.methods or '').split(',') if m in methods] or methods
    return methods, [(m, CONFIGS[m], METHOD_OPTIONS.get(m, [])) for m in run_order if m != 'zero-shot']


def reused_runs(grid_json: str, entries: Sequence[tuple]) -> Dict[int, dict]:
    """The entries (``(name, config, opts, world, list, seed)``) of IVLP and the full GA2-CLIP (kl) found in a
    committed grid's runs, by position: the grid's record with ``reused_from`` set to ``grid_json``."""
    import json
    with open(grid_json) as f:
        runs = json.load(f)['runs']
    found = {(r['method'], r['world'], r['list'], r['seed']): r for r in runs if r['method'] in ('ivlp', 'ga2clip')}
    out = {}
    for i, (name, _, _, world, split, seed) in enumerate(entries):
        rec = found.get((name, world, split, seed))
        if rec is not None:
            out[i] = dict(rec, reused_from=osp.relpath(osp.abspath(grid_json), REPO))
    return out


def train_entries(args: argparse.Namespace, entries: Sequence[tuple], homes: Dict[int, Tuple[str, str]],
                  trained: Dict[int, dict], record: Callable[[int, str, Dict[str, float]], dict]) -> None:
    """Train and test every entry ``(name, config, opts, world, list, seed)`` not in ``trained`` (filled in by
    position): first the runs no other demo process holds, then, waiting, the rest."""
    for wait in (False, True) if not args.existing_only else ():
        for i, (name, config, opts, world, split, seed) in enumerate(entries):
            if i in trained:
                continue
            ws, runs_dir = homes[world]
            if name != 'ivlp' and (args.ablation or name.startswith('ga2clip')):
                ensure_hard_prompt(ws, osp.join(runs_dir, 'stage1'), args.stage1_epochs, args.force)
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
            trained[i] = record(i, wd, metrics)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run the demo (or the ablation); return what ``results.json`` (``ablation.json``) holds (``{}`` with
    ``--no-report``; :func:`ga2clip_demo.evaluation.demo_output.write_demo_report`)."""
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
    methods, grid = _grid(args)
    absent = [c for _, c, _ in grid if not osp.isfile(c)]
    if absent:
        raise FileNotFoundError(f'Config(s) not found: {absent}')
    os.makedirs(osp.join(work_dir, 'runs'), exist_ok=True)
    t_start, c_start = time.time(), time.process_time()
    labels = run_labels()

    records, runs, homes = [], [], {}
    for world in worlds:
        ws, runs_dir = homes[world] = world_dirs(work_dir, workspace, world)
        records.append(prepare_world(world, ws))
        if methods and 'zero-shot' in methods:
            wd = osp.join(runs_dir, 'zero-shot')
            metrics = None
            if args.existing_only:  # tabulate what is there (with the provenance it recorded, if any)
                with contextlib.suppress(FileNotFoundError):
                    metrics = read_test_metrics(wd)
            if metrics is None:
                with one_torch_thread(args.jobs > 1):  # as the runs and the helpers compute (provenance)
                    metrics = zero_shot_run(ws, wd, args.force)
            runs.append(dict(method='zero-shot', label=METHODS['zero-shot'], world=world, list=None, seed=None,
                             work_dir=wd, metrics=metrics, timing=read_timing(wd), provenance=read_provenance(wd)))
    # method-major order: a grid cut short has whole methods (ablation variants) done, not scattered cells
    entries = [(name, config, opts, world, split, seed) for name, config, opts in grid
               for world in worlds for split in lists for seed in seeds]

    def record(i: int, wd: str, metrics: Dict[str, float]) -> dict:
        name, _, _, world, split, seed = entries[i]
        return dict(method=name, label=labels.get(name, name), world=world, list=split, seed=seed, work_dir=wd,
                    metrics=metrics, timing=read_timing(wd), provenance=read_provenance(wd))

    trained: Dict[int, dict] = {}
    missing: Dict[str, List[str]] = {}
    if args.reuse_grid:
        if not args.ablation:
            raise ValueError('--reuse-grid goes with --ablation')
        trained.update(reused_runs(args.reuse_grid, entries))
    if args.existing_only:
        for i, (name, _, _, world, split, seed) in enumerate(entries):
            if i in trained:
                continue
            wd = osp.join(homes[world][1], run_name(name, split, seed))
            try:
                if latest_checkpoint(wd) is None:
                    raise FileNotFoundError(wd)
                trained[i] = record(i, wd, read_test_metrics(wd))
            except FileNotFoundError:
                missing.setdefault(name, []).append(f'w{world}/{run_name(name, split, seed)}')
        trained = {i: r for i, r in trained.items() if r['method'] not in missing}
        methods = methods and [m for m in methods if m not in missing]
    # first the runs no other demo process holds, then wait for the rest
    helpers = [] if args.existing_only else start_helpers(argv, args.jobs)
    with one_thread_children(bool(helpers)), stop_on_error(helpers):
        train_entries(args, entries, homes, trained, record)
    wait_helpers(helpers)
    runs += [trained[i] for i in sorted(trained)]
    from .synthetic.hashes import sha256_file
    for rec in records:
        hard_prompt = osp.join(homes[rec['seed']][0], HARD_PROMPT)
        rec['hard_prompt_sha256'] = sha256_file(hard_prompt) if osp.isfile(hard_prompt) else None
    if args.no_report:
        print(f'[demo] runs done in {time.time() - t_start:.0f} s (--no-report)', flush=True)
        return {}
    import torch
    session = dict(session_wall_s=time.time() - t_start, session_cpu_s=time.process_time() - c_start,
                   torch_threads=1 if helpers else torch.get_num_threads())  # the runs'
    return report(args, runs, dict(worlds=records, world_seeds=worlds, lists=lists, seeds=seeds), methods,
                  work_dir, world_dirs(work_dir, workspace, worlds[0])[0], labels, session, missing)


def report(args: argparse.Namespace, runs: List[dict], grid: dict, methods: Optional[List[str]], work_dir: str,
           ws: str, labels: Dict[str, str], session: dict, missing: Dict[str, List[str]]) -> dict:
    """Write ``<work_dir>/{results,ablation}.{md,json,png}`` and return the json's content."""
    from .evaluation.demo_output import write_demo_report
    if args.ablation:
        present = {r['method'] for r in runs}
        order = [('ivlp', METHODS['ivlp'])] + [(name, label) for name, label, _ in ABLATION if name in present]
        refs = [('ga2clip', KL), ('ivlp', 'IVLP')]
        family = [(name, 'ga2clip', 'hm', f'{labels[name]} - {KL}') for name, _, _ in ablation_runs()
                  if name not in ('ivlp', 'ga2clip') and name in present]
        return write_demo_report(work_dir, 'ablation', 'GA2-CLIP ablation', runs, order, refs, family, labels,
                                 grid, [], session, missing, RELABEL)
    return write_demo_report(work_dir, 'results', 'Base-to-novel on the synthetic worlds', runs,
                             [(m, METHODS[m]) for m in methods], [(REFERENCE, METHODS[REFERENCE])], COMPARISONS,
                             labels, grid, method_budget(methods, ws), session, missing, RELABEL)


if __name__ == '__main__':
    main()
