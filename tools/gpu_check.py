"""The GPU check in one command: parts with their own time budgets, results written as each part ends.

``tools/gpu_check.sh`` installs the carried wheels and calls ``run``; the other sub-commands are its parts and the
wheel check of ``make gpu-wheels``::

    python tools/gpu_check.py run --out DIR [--dry-run] [--parts abcd]
    python tools/gpu_check.py wheels .whl --limit-mib 60
    python tools/gpu_check.py data --out FILE [--dry-run] [--model-clips-per-s X]
    python tools/gpu_check.py compile --out FILE [--dry-run]

Parts of ``run`` (each a subprocess, killed at its budget; ``DIR/gpu_check.json`` and ``DIR/gpu_check.md`` are
rewritten after every part, so a part that fails or runs out of time loses nothing else):

* ``a``: ``pytest -m cuda tests/cuda`` (the GPU-only tests; they skip without CUDA).
* ``b``: ``tools/benchmark.py`` at ViT-B/16, 32 frames x 224 px, batch 8, bf16, gradient checkpointing on and off.
* ``c``: data loading clips/s with 8 and 16 workers on videos it writes itself (and the same clips as JPEG frames),
  and the GPU idle fraction at part b's training speed.
* ``d``: ``torch.compile`` (inductor) vs eager training-step time, and the graph breaks of ``torch._dynamo.explain``.

``--dry-run`` runs every part on the CPU at smoke size (tiny CLIP, 2 frames, 1-2 workers): it proves the wiring,
its figures are not judged against the targets.
"""
import argparse
import importlib.util
import json
import os
import os.path as osp
import re
import signal
import statistics
import subprocess
import sys
import time
import zipfile
from typing import Dict, List, Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

#: Seconds each part of the real run may take: 400 s, plus at most 60 s of wheel install (tools/gpu_check.sh), so
#: the whole check stays under 8 minutes.
BUDGETS = {'a': 110, 'b': 120, 'c': 60, 'd': 110}
#: Budgets of the CPU dry run (smoke size).
DRY_BUDGETS = {'a': 60, 'b': 90, 'c': 60, 'd': 90}  # generous: a loaded 2-core CI machine
PART_NAMES = {'a': 'GPU tests (pytest -m cuda)', 'b': 'benchmark (ViT-B/16, 32x224, batch 8, bf16)',
              'c': 'data loading (8 / 16 workers)', 'd': 'torch.compile vs eager'}
#: (figure key, comparison, target, what it means); figures of docs/performance.md.
TARGETS = [
    ('b.mfu_ga2_no_ckpt', '>=', 0.40, 'MFU, bf16, checkpointing off'),
    ('b.clips_per_s_ga2_no_ckpt', '>=', 160.0, 'training clips/s, bf16, checkpointing off'),
    ('b.peak_mem_gib_ga2_no_ckpt', '<=', 75.0, 'peak GPU memory (GiB), checkpointing off (fits an H100 80 GB)'),
    ('b.step_ratio_ga2_over_ivlp', '<=', 1.05, 'GA2 / IVLP training step'),
    ('b.test_ratio_400_over_10', '<=', 1.05, 'test time per clip, 400 / 10 class names'),
    ('a.failed', '<=', 0, 'failed GPU tests'),
]
#: Tiny-model overrides of the released config for the dry run.
TINY = ['model.backbone.vision_ctx=2', 'model.backbone.vision_depth=2', 'model.cls_head.language_ctx=2',
        'model.cls_head.language_depth=2']
BENCH_CONFIG = osp.join(ROOT, 'configs', 'ga2clip_b2n_k400.py')
#: Distributions the GPU machine already has (its image; torch and friends are never carried).
MACHINE_HAS = {'torch', 'torchvision', 'triton', 'numpy', 'opencv-python-headless', 'pytest', 'pytest-xdist', 'rich',
               'regex', 'pyyaml', 'tqdm', 'timm', 'huggingface-hub', 'safetensors', 'einops', 'scipy', 'pillow',
               'packaging', 'zipp', 'sortedcontainers', 'matplotlib', 'attrs', 'filelock', 'setuptools'}
#: Declared requirements that the code never imports on the check's paths (opencv: the headless build provides cv2).
NOT_NEEDED = {'opencv-python', 'opencv-contrib-python', 'exceptiongroup', 'tomli'}


# ------------------------------------------------------------------------------------------------------- wheels
def _norm(name: str) -> str:
    return re.sub(r'[-_.]+', '-', name).lower()


def check_wheels(folder: str, limit_mib: float) -> Dict[str, object]:
    """List the wheels of ``folder`` and check them for the GPU machine.

    Checks: every wheel installs on CPython 3.12 manylinux x86_64 (tags), one version per distribution, no torch,
    every ``Requires-Dist`` (without extras or markers that exclude Python 3.12 on Linux) is carried or on the
    machine, and the total size is at most ``limit_mib``.

    Args:
        folder (str): The wheel folder (``.whl``).
        limit_mib (float): Size limit in MiB.

    Returns:
        dict: ``wheels`` (name -> MiB), ``total_mib``, ``problems`` (list of str).
    """
    from packaging.markers import Marker
    from packaging.requirements import Requirement
    from packaging.utils import parse_wheel_filename
    env = dict(python_version='3.12', python_full_version='3.12.3', sys_platform='linux', platform_system='Linux',
               platform_machine='x86_64', implementation_name='cpython', os_name='posix', extra='')
    problems: List[str] = []
    wheels: Dict[str, float] = {}
    names: Dict[str, str] = {}
    files = sorted(f for f in os.listdir(folder) if f.endswith('.whl')) if osp.isdir(folder) else []
    if not files:
        problems.append(f'no wheels in {folder} (run `make gpu-wheels`)')
    for fname in files:
        name, version, _, tags = parse_wheel_filename(fname)
        name = _norm(name)
        wheels[fname] = osp.getsize(osp.join(folder, fname)) / 2**20
        if name in names:
            problems.append(f'two versions of {name}: {names[name]} and {fname}')
        names[name] = fname
        if name in ('torch', 'torchvision', 'triton'):
            problems.append(f'{fname}: the machine\'s own {name} must be used')
        ok = any((t.interpreter in ('py3', 'py2.py3', 'cp312') or (t.abi == 'abi3' and t.interpreter <= 'cp312'))
                 and (t.platform == 'any' or (t.platform.startswith('manylinux') and t.platform.endswith('x86_64')))
                 for t in tags)
        if not ok:
            problems.append(f'{fname}: not installable on CPython 3.12 manylinux x86_64')
    for fname in files:
        with zipfile.ZipFile(osp.join(folder, fname)) as zf:
            meta = next(n for n in zf.namelist() if n.endswith('.dist-info/METADATA'))
            lines = zf.read(meta).decode('utf-8', 'replace').splitlines()
        for line in lines:
            if not line.startswith('Requires-Dist:'):
                continue
            req = Requirement(line.split(':', 1)[1].strip())
            if req.marker is not None and not Marker(str(req.marker)).evaluate(env):
                continue  # an extra, or another Python / platform
            dep = _norm(req.name)
            if dep not in names and dep not in MACHINE_HAS and dep not in NOT_NEEDED:
                problems.append(f'{fname} needs {req.name}, neither carried nor on the machine')
    total = sum(wheels.values())
    if total > limit_mib:
        problems.append(f'total {total:.1f} MiB over the {limit_mib:g} MiB limit')
    return dict(wheels=wheels, total_mib=total, problems=problems)


def wheels_main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description='check the wheels for the GPU machine')
    parser.add_argument('folder')
    parser.add_argument('--limit-mib', type=float, default=60.0)
    args = parser.parse_args(argv)
    out = check_wheels(args.folder, args.limit_mib)
    for fname, mib in out['wheels'].items():
        print(f'{mib:7.2f} MiB  {fname}')
    print(f'{out["total_mib"]:7.2f} MiB  total ({len(out["wheels"])} wheels, limit {args.limit_mib:g} MiB)')
    for problem in out['problems']:
        print('PROBLEM:', problem)
    return 1 if out['problems'] else 0


# --------------------------------------------------------------------------------------------------- part (c)
def write_videos(folder: str, count: int, frames: int, size, frames_dir: Optional[str] = None) -> List[str]:
    """``count`` 'mp4v' videos of moving noise (``frames`` frames, ``size`` = (width, height)) and, with
    ``frames_dir``, the same frames as JPEG files ``<frames_dir>/<video>/img_00001.jpg ...``."""
    import cv2
    import numpy as np
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (size[1] * 2, size[0] * 2, 3), dtype=np.uint8)
    paths = []
    for i in range(count):
        path = osp.join(folder, f'clip{i:03d}.mp4')
        writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 30, size)
        out_dir = osp.join(frames_dir, f'clip{i:03d}') if frames_dir else None
        if out_dir:
            os.makedirs(out_dir, exist_ok=True)
        for t in range(frames):
            y, x = (3 * t + 7 * i) % size[1], (5 * t + 11 * i) % size[0]
            frame = np.ascontiguousarray(base[y:y + size[1], x:x + size[0]])
            writer.write(frame)
            if out_dir:
                cv2.imwrite(osp.join(out_dir, f'img_{t + 1:05d}.jpg'), frame)
        writer.release()
        paths.append(path)
    return paths


def loader_rate(dataset, workers: int, batch: int, batches: int) -> float:
    """Clips/s of a DataLoader over ``dataset`` with ``workers`` processes (the first batch, worker start-up
    included, is not timed)."""
    import torch
    from mmengine.dataset import pseudo_collate
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch, num_workers=workers, collate_fn=pseudo_collate,
                                         shuffle=False, persistent_workers=False, prefetch_factor=2 if workers else
                                         None)
    it = iter(loader)
    next(it)
    start, clips = time.perf_counter(), 0
    for _ in range(batches):
        try:
            clips += len(next(it)['inputs'])
        except StopIteration:
            break
    rate = clips / (time.perf_counter() - start)
    del it
    return rate


def data_main(argv: List[str]) -> int:
    """Part (c): clips/s of the released train pipeline from video and from JPEG frames, per worker count."""
    parser = argparse.ArgumentParser(description='data-loading clips/s')
    parser.add_argument('--out', required=True, help='JSON file of the figures')
    parser.add_argument('--dry-run', action='store_true')
    parser.add_argument('--model-clips-per-s', type=float, default=None,
                        help='training clips/s of the GPU (part b) for the idle fraction')
    args = parser.parse_args(argv)
    import ga2clip_mmaction  # noqa: F401
    from mmaction.registry import DATASETS
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    work = osp.join(osp.dirname(osp.abspath(args.out)), 'data_videos')
    if args.dry_run:
        count, frames, size, workers, batches, batch = 4, 16, (64, 48), (1, 2), 2, 2
    else:  # Kinetics-like: 340x256, 10 s at 30 fps
        count, frames, size, workers, batches, batch = 16, 300, (340, 256), (8, 16), 16, 8
    out: Dict[str, object] = dict(videos=count, frames_per_video=frames, video_size=list(size), batch=batch)
    start = time.perf_counter()
    write_videos(osp.join(work, 'videos'), count, frames, size, frames_dir=osp.join(work, 'frames'))
    out['write_s'] = time.perf_counter() - start
    cfg = Config.fromfile(BENCH_CONFIG)
    pipeline = [dict(t) for t in cfg.train_pipeline]
    if args.dry_run:  # smoke size: 2 frames at 32 px
        for t in pipeline:
            if 'num_segments' in t or t['type'] == 'SampleFrames':
                t['num_segments' if 'num_segments' in t else 'clip_len'] = 2
            for key in ('scale', 'crop_size'):
                if key in t and isinstance(t[key], (list, tuple)) and -1 not in tuple(t[key]):
                    t[key] = (32, 32)
    frames_pipeline = [dict(type='RawFrameDecode') if t['type'] == 'DecordDecode' else t
                       for t in pipeline if t['type'] != 'DecordInit']
    reps = max(1, (batches + 1) * batch // count + 1)
    ann_video = osp.join(work, 'videos.txt')
    with open(ann_video, 'w') as f:
        f.write(''.join(f'clip{i % count:03d}.mp4 0\n' for i in range(count * reps)))
    ann_frames = osp.join(work, 'frames.txt')
    with open(ann_frames, 'w') as f:
        f.write(''.join(f'clip{i % count:03d} {frames} 0\n' for i in range(count * reps)))
    with DefaultScope.overwrite_default_scope('mmaction'):
        sources = {
            'video': DATASETS.build(dict(type='VideoDataset', ann_file=ann_video,
                                         data_prefix=dict(video=osp.join(work, 'videos')), pipeline=pipeline)),
            'frames': DATASETS.build(dict(type='RawframeDataset', ann_file=ann_frames, filename_tmpl='img_{:05}.jpg',
                                          data_prefix=dict(img=osp.join(work, 'frames')), pipeline=frames_pipeline))}
    for name, dataset in sources.items():
        for n in workers:
            rate = loader_rate(dataset, n, batch, batches)
            out[f'{name}_clips_per_s_{n}_workers'] = rate
            if args.model_clips_per_s:
                out[f'{name}_gpu_idle_fraction_{n}_workers'] = max(0.0, 1 - rate / args.model_clips_per_s)
            _write_json(args.out, out)
            print(f'{name:6s} {n:2d} workers: {rate:8.2f} clips/s', flush=True)
    if args.model_clips_per_s:
        out['model_clips_per_s'] = args.model_clips_per_s
    _write_json(args.out, out)
    return 0


# --------------------------------------------------------------------------------------------------- part (d)
def compile_main(argv: List[str]) -> int:
    """Part (d): training step (forward, backward, AdamW) of the GA2 model, eager vs ``torch.compile``."""
    parser = argparse.ArgumentParser(description='torch.compile vs eager training step')
    parser.add_argument('--out', required=True)
    parser.add_argument('--dry-run', action='store_true')
    parser.add_argument('--iters', type=int, default=None)
    parser.add_argument('--backend', default='inductor',
                        help='torch.compile backend (the dry run uses eager, Dynamo\'s capture alone: inductor\'s '
                        'code generation takes minutes on 2 CPU cores)')
    args = parser.parse_args(argv)
    from tools import benchmark
    dry = args.dry_run
    bench_argv = [BENCH_CONFIG, '--no-text-test']
    if dry:
        bench_argv += ['--arch', 'GA2-Tiny-Random', '--frames', '2', '--batch', '2', '--device', 'cpu',
                       '--cfg-options', *TINY]
    else:
        bench_argv += ['--frames', '32', '--batch', '8', '--device', 'cuda']
    out = compile_speed(benchmark.parse_args(bench_argv), args.iters or (2 if dry else 10), args.out, args.backend)
    for key, value in out.items():
        print(f'{key:32s} {value}')
    return 0


def compile_speed(bargs, iters: int, out_file: Optional[str] = None, backend: str = 'inductor') -> Dict[str, object]:
    """Eager vs compiled training step of ``tools/benchmark.py``'s ``ga2_no_ckpt`` variant (bf16 autocast),
    the same weights and inputs; the graph breaks of the compiled loss (``torch._dynamo.explain``).

    Args:
        bargs: Parsed ``tools/benchmark.py`` arguments (config, arch, frames, batch, device).
        iters (int): Timed steps of each (median).
        out_file (str, optional): JSON file rewritten after each stage.
        backend (str): ``torch.compile`` backend. Defaults to ``'inductor'``.

    Returns:
        dict: ``step_s_eager``, ``step_s_compiled``, ``compile_first_step_s``, ``speedup_compiled``,
        ``loss_diff_first_step``, ``graph_breaks`` and their reasons.
    """
    import copy
    import torch
    from mmaction.structures import ActionDataSample
    from mmengine.config import Config
    from tools import benchmark
    cfg = Config.fromfile(bargs.config)
    if bargs.cfg_options:
        cfg.merge_from_dict(bargs.cfg_options)
    import open_clip
    size = open_clip.get_model_config(bargs.arch)['vision_cfg']['image_size']
    device = torch.device(bargs.device)
    torch.manual_seed(0)
    clips = torch.randn(bargs.batch, 3, bargs.frames, size, size, device=device)
    anchor = torch.randn(1, 3, bargs.frames, size, size, device=device)
    labels = torch.arange(bargs.batch, device=device) % bargs.classes
    samples = [ActionDataSample().set_gt_label(labels[i].cpu()) for i in range(bargs.batch)]
    eager = benchmark.build(cfg, bargs, 'ga2_no_ckpt', device).train()
    for mod in eager.modules():
        if isinstance(mod, torch.nn.Dropout):
            mod.p = 0.0
    compiled = copy.deepcopy(eager)
    out: Dict[str, object] = dict(device=str(device), frames=bargs.frames, batch=bargs.batch, arch=bargs.arch,
                                  iters=iters, dtype='bfloat16', backend=backend)
    steps = {}
    for name, model in (('eager', eager), ('compiled', compiled)):
        if name == 'compiled':
            model.loss = torch.compile(model.loss, backend=backend)
        steps[name] = benchmark.make_step(model, 'ga2', clips, labels, anchor, samples, amp=True)
    first = {}
    for name in ('eager', 'compiled'):
        start = time.perf_counter()
        first[name] = steps[name]()
        benchmark.sync(device)
        out[f'first_step_s_{name}'] = time.perf_counter() - start
        _write_json(out_file, out)
    out['loss_diff_first_step'] = abs(first['eager'] - first['compiled'])
    times = {'eager': [], 'compiled': []}
    for _ in range(iters):
        for name in ('eager', 'compiled'):
            times[name].append(benchmark.timed(steps[name], device))
    for name in times:
        out[f'step_s_{name}'] = statistics.median(times[name])
    out['speedup_compiled'] = out['step_s_eager'] / out['step_s_compiled']
    _write_json(out_file, out)
    # graph breaks of the compiled region (the loss: both towers, prompts, couplings, anchor term)
    torch._dynamo.reset()
    kwargs = {}
    if eager.anchor_loss is not None and not eager.anchor_term_skipped:
        kwargs['anchor_inputs'] = anchor.unsqueeze(1)
    with torch.autocast(device.type, dtype=torch.bfloat16):
        explained = torch._dynamo.explain(eager.loss)(clips.unsqueeze(1), samples, **kwargs)
    out['graphs'] = explained.graph_count
    out['graph_breaks'] = explained.graph_break_count
    out['graph_break_reasons'] = sorted({f'{r.user_stack[-1].filename.split("site-packages/")[-1]}:'
                                         f'{r.user_stack[-1].lineno}: {r.reason.splitlines()[0][:120]}'
                                         for r in explained.break_reasons if r.user_stack})
    out['graph_breaks_in_ga2clip_mmaction'] = sum('ga2clip_mmaction' in r for r in out['graph_break_reasons'])
    _write_json(out_file, out)
    return out


# ------------------------------------------------------------------------------------------------------- run
def _write_json(path: Optional[str], obj) -> None:
    if path:
        tmp = path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(obj, f, indent=1, default=str)
        os.replace(tmp, path)


def _read_json(path: str) -> Optional[dict]:
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _run_part(cmd: List[str], budget: float, log: str, env: dict) -> Dict[str, object]:
    """Run ``cmd`` in its own process group, killed at ``budget`` seconds; stdout+stderr to ``log``."""
    start = time.perf_counter()
    with open(log, 'w') as f:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            rc = proc.wait(timeout=budget)
            status = 'ok' if rc == 0 else f'failed (exit {rc})'
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            rc, status = None, f'timeout after {budget:g} s'
    return dict(status=status, rc=rc, seconds=round(time.perf_counter() - start, 1), budget_s=budget,
                log=osp.basename(log))


def _junit_counts(path: str) -> Dict[str, int]:
    import xml.etree.ElementTree as ET
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return {}
    suite = root if root.tag == 'testsuite' else root.find('testsuite')
    counts = {k: int(suite.get(k, 0)) for k in ('tests', 'failures', 'errors', 'skipped')}
    counts['failed'] = counts.pop('failures') + counts.pop('errors')
    counts['passed'] = counts['tests'] - counts['failed'] - counts['skipped']
    counts['cases'] = {f'{c.get("name")}': ('skipped' if c.find('skipped') is not None else
                                            'failed' if c.find('failure') is not None or c.find('error') is not None
                                            else 'passed') for c in suite.iter('testcase')}
    return counts


def _figure(results: dict, key: str):
    part, name = key.split('.', 1)
    return (results.get(part) or {}).get('figures', {}).get(name)


def _markdown(results: dict, dry: bool) -> str:
    lines = [f'# GPU check{" (CPU dry run: smoke size, figures not judged)" if dry else ""}', '',
             f'device: {results.get("device", "?")}; torch {results.get("torch", "?")}; started '
             f'{results.get("started", "?")}', '', '| part | status | seconds | budget |', '|---|---|---|---|']
    for p in 'abcd':
        if p in results:
            r = results[p]
            lines.append(f'| ({p}) {PART_NAMES[p]} | {r["status"]} | {r["seconds"]} | {r["budget_s"]} |')
    lines += ['', '| figure | value | target | verdict |', '|---|---|---|---|']
    for key, op, target, what in TARGETS:
        value = _figure(results, key)
        if value is None:
            verdict, shown = 'not measured', '-'
        else:
            shown = f'{value:.4g}' if isinstance(value, float) else str(value)
            ok = value >= target if op == '>=' else value <= target
            verdict = 'smoke (not judged)' if dry else ('meets' if ok else 'MISSES')
        lines.append(f'| {what} (`{key}`) | {shown} | {op} {target:g} | {verdict} |')
    for p in 'bcd':
        figures = (results.get(p) or {}).get('figures') or {}
        if figures:
            lines += ['', f'({p}) {PART_NAMES[p]}:', '', '```']
            lines += [f'{k:44s} {v:.4g}' if isinstance(v, float) else f'{k:44s} {v}' for k, v in figures.items()]
            lines += ['```']
    cases = (results.get('a') or {}).get('figures', {}).get('cases') or {}
    if cases:
        lines += ['', '(a) tests:', ''] + [f'- {v}: `{k}`' for k, v in cases.items()]
    return '\n'.join(lines) + '\n'


def _report(out_dir: str, results: dict, dry: bool) -> None:
    _write_json(osp.join(out_dir, 'gpu_check.json'), results)
    with open(osp.join(out_dir, 'gpu_check.md'), 'w') as f:
        f.write(_markdown(results, dry))


def _print_targets(results: dict, dry: bool) -> None:
    for key, op, target, what in TARGETS:
        value = _figure(results, key)
        if value is None:
            continue
        ok = value >= target if op == '>=' else value <= target
        verdict = 'smoke' if dry else ('meets' if ok else 'MISSES')
        print(f'[gpu_check] {what}: {value:.4g} (target {op} {target:g}) {verdict}', flush=True)


def run_main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description='run the GPU check parts')
    parser.add_argument('--out', required=True)
    parser.add_argument('--dry-run', action='store_true')
    parser.add_argument('--parts', default='abcd')
    args = parser.parse_args(argv)
    import torch
    dry = args.dry_run
    out_dir = osp.abspath(args.out)
    os.makedirs(out_dir, exist_ok=True)
    budgets = DRY_BUDGETS if dry else BUDGETS
    py = sys.executable
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    env['PYTHONPATH'] = os.pathsep.join(p for p in (ROOT, env.get('PYTHONPATH')) if p)
    results: dict = dict(dry_run=dry, torch=torch.__version__, started=time.strftime('%Y-%m-%d %H:%M:%S UTC',
                                                                                      time.gmtime()),
                         device=torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'cpu')
    _report(out_dir, results, dry)
    for p in args.parts:
        log = osp.join(out_dir, f'part_{p}.log')
        fig_file = osp.join(out_dir, f'part_{p}.json')
        if p == 'a':
            junit = osp.join(out_dir, 'part_a_junit.xml')
            cmd = [py, '-m', 'pytest', '-m', 'cuda', 'tests/cuda', '-q', '-p', 'no:cacheprovider', '-rs',
                   f'--junitxml={junit}']
            if not dry and importlib.util.find_spec('xdist'):  # 16 cores, one GPU: tiny models share it
                cmd += ['-n', '4']
        elif p == 'b':
            cmd = [py, 'tools/benchmark.py', BENCH_CONFIG, '--amp', '--extra', '--json', '--out', fig_file]
            cmd += (['--arch', 'GA2-Tiny-Random', '--frames', '2', '--batch', '2', '--iters', '1', '--warmup', '0',
                     '--device', 'cpu', '--cfg-options', *TINY] if dry else
                    ['--frames', '32', '--batch', '8', '--iters', '8', '--device', 'cuda'])
        elif p == 'c':
            cmd = [py, 'tools/gpu_check.py', 'data', '--out', fig_file] + (['--dry-run'] if dry else [])
            rate = _figure(results, 'b.clips_per_s_ga2_no_ckpt')
            if rate:
                cmd += ['--model-clips-per-s', str(rate)]
        else:
            cmd = [py, 'tools/gpu_check.py', 'compile', '--out', fig_file] + \
                (['--dry-run', '--backend', 'eager', '--iters', '1'] if dry else [])
        print(f'[gpu_check] ({p}) {PART_NAMES[p]}: budget {budgets[p]} s', flush=True)
        results[p] = _run_part(cmd, budgets[p], log, env)
        results[p]['figures'] = _junit_counts(junit) if p == 'a' else (_read_json(fig_file) or {})
        if p == 'b' and 'step_s_ga2_no_ckpt' in results[p]['figures']:
            fig = results[p]['figures']
            fig['clips_per_s_ga2_no_ckpt'] = fig['batch'] / fig['step_s_ga2_no_ckpt']
        print(f'[gpu_check] ({p}) {results[p]["status"]} in {results[p]["seconds"]} s', flush=True)
        _report(out_dir, results, dry)
    _print_targets(results, dry)
    print(f'[gpu_check] wrote {osp.join(out_dir, "gpu_check.md")} and gpu_check.json', flush=True)
    return 0 if all(results[p]['status'] == 'ok' for p in args.parts) else 1


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    commands = dict(run=run_main, wheels=wheels_main, data=data_main, compile=compile_main)
    if not argv or argv[0] not in commands:
        print(__doc__)
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == '__main__':
    sys.exit(main())
