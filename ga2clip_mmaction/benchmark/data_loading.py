"""Clips/s per core of the released 32-frame data pipelines: decoding backend x video source, one interleaved run.

For every video, every source form (the original and each prepared copy), every backend (decord, MMAction2's
default, the keyframe-aware PyAV pair and, where torchcodec imports and finds FFmpeg's shared libraries,
torchcodec with exact and with approximate seeking: see :func:`torchcodec_unavailable`) and every pipeline (the
released train and test pipelines of ``configs/_base_/datasets/ga2clip_pipelines.py``; ``--pipelines ... decode``
adds the train pipeline cut after its decode step, ``device`` the CPU side of the train pipeline with the
augmentation on the device: decode, short side 256, parameter draws, packing), it runs the whole CPU pipeline on one
clip and measures the process CPU time (decoder threads included, so "per core"), at one torch thread as in a
DataLoader worker. Runs are interleaved (round -> video -> source -> backend -> pipeline), and each (round, video)
seeds numpy and ``random`` the same way for every source, backend and pipeline, so all of them decode the same
sampled frame indices and draw the same augmentation.

Example::

    python tools/benchmark_data.py --videos corpus/*.mp4 corpus/*.webm \\
        --prepared gop8=prepared_gop8 gop1=prepared_gop1 --rounds 3 --json out.json

A prepared copy of ``V`` is ``DIR/<stem of V>.mp4`` (what ``tools/data/prepare_videos.py`` writes for a flat
folder). It also prints the disk size of each form and the workers per GPU needed at ``--target`` clips/s.
"""
import argparse
import copy
import json
import os.path as osp
import random
import sys
import time
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np

from .torchcodec_backend import TorchcodecDecode, TorchcodecInit, torchcodec_unavailable

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))  # the checkout (editable install)

PIPELINES_FILE = osp.join(REPO_ROOT, 'configs', '_base_', 'datasets', 'ga2clip_pipelines.py')


#: Backend -> (init transform, decode transform) replacing DecordInit / DecordDecode.
BACKENDS = {
    'decord': (dict(type='DecordInit', num_threads=1), dict(type='DecordDecode')),
    'pyav_keyframe': (dict(type='KeyframePyAVInit', num_threads=1), dict(type='KeyframePyAVDecode')),
    'torchcodec': (dict(type=TorchcodecInit, seek_mode='exact', num_threads=1), dict(type=TorchcodecDecode)),
    'torchcodec_approx': (dict(type=TorchcodecInit, seek_mode='approximate', num_threads=1),
                          dict(type=TorchcodecDecode)),
}
#: Backends that need torchcodec (optional: used only where :func:`torchcodec_unavailable` gives None).
TORCHCODEC_BACKENDS = ('torchcodec', 'torchcodec_approx')
#: Pipeline name -> config variable; ``train`` augments on the CPU (the released pipeline, whatever AUGMENT_ON says),
#: ``decode`` is it cut after its decode step, ``device`` is what stays on the CPU with ``augment_on = 'device'``.
PIPELINES = {'train': 'cpu_train_pipeline', 'test': 'test_pipeline', 'decode': 'cpu_train_pipeline',
             'device': 'device_train_pipeline'}


def usable_backends(backends: Sequence[str]) -> tuple:
    """``(backends that can run here, {skipped backend: reason})``."""
    reason = torchcodec_unavailable() if any(b in TORCHCODEC_BACKENDS for b in backends) else None
    skipped = {b: reason for b in backends if reason and b in TORCHCODEC_BACKENDS}
    return [b for b in backends if b not in skipped], skipped


def build_pipeline(name: str, backend: str):
    """The released ``name`` pipeline (``'train'`` or ``'test'``) with ``backend``'s loading transforms.

    Args:
        name (str): Key of :data:`PIPELINES` (``'train'``, ``'test'``, ``'decode'`` or ``'device'``).
        backend (str): Key of :data:`BACKENDS`.

    Returns:
        mmengine.dataset.Compose: The pipeline.
    """
    from mmengine.config import Config
    from mmengine.dataset import Compose
    import ga2clip_mmaction  # noqa: F401 - registers the transforms
    from mmaction.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    steps = copy.deepcopy(Config.fromfile(PIPELINES_FILE)[PIPELINES[name]])
    init, decode = BACKENDS[backend]
    out = []
    for step in steps:
        step = dict(step)
        if step['type'] == 'DecordInit':
            step = dict(init)
        elif step['type'] == 'DecordDecode':
            step = dict(decode)
        out.append(step)
        if name == 'decode' and step['type'] == decode['type']:
            break
    return Compose(out)


def prepared_path(video: str, folder: str) -> str:
    """Prepared copy of ``video`` in ``folder``: ``folder/<stem>.mp4``."""
    return osp.join(folder, osp.splitext(osp.basename(video))[0] + '.mp4')


def run(videos: Sequence[str], prepared: Dict[str, str], rounds: int = 3, backends: Sequence[str] = tuple(BACKENDS),
        pipelines: Sequence[str] = ('train', 'test'), target: float = 160.0) -> dict:
    """Measure; returns the JSON-able result (see :func:`main` for its keys).

    Args:
        videos (Sequence[str]): Original videos.
        prepared (dict[str, str]): Form name -> folder of prepared copies.
        rounds (int): Interleaved rounds. Defaults to 3.
        backends (Sequence[str]): Keys of :data:`BACKENDS` (default all); the torchcodec ones are skipped, with
            the reason in ``skipped_backends``, where :func:`torchcodec_unavailable` says so.
        pipelines (Sequence[str]): Keys of :data:`PIPELINES`.
        target (float): Clips/s one GPU consumes. Defaults to 160.

    Returns:
        dict: ``rows`` (source, backend, pipeline, clips, cpu_s, clips_per_s_per_core), ``disk_bytes`` per source,
        ``prepared_over_original_clips_per_s`` (train pipeline, per backend and form), ``best``,
        ``workers_per_gpu``, ``skipped_backends`` (backend: why) and, with ``train`` and ``device``,
        ``device_cpu_ms_per_clip`` (per source/backend: CPU ms per clip of decoding and of both pipelines, and the
        saving in %, see :func:`_saving`).
    """
    backends, skipped = usable_backends(backends)
    if not backends:
        raise ValueError(f'no backend can run here: {skipped}')
    sources = {'original': {v: v for v in videos}}
    for form, folder in prepared.items():
        sources[form] = {v: prepared_path(v, folder) for v in videos}
    built = {(b, p): build_pipeline(p, b) for b in backends for p in pipelines}
    cpu = defaultdict(float)
    post = defaultdict(float)  # CPU time after the decode step
    clips = defaultdict(int)
    indices = {}
    # One torch thread, as in a DataLoader worker: idle intra-op threads spinning after a torch op (torchcodec
    # returns tensors) count as process CPU time otherwise (5x the CPU per clip for torchcodec, measured).
    import torch
    torch_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for r in range(rounds):
            for vi, video in enumerate(videos):
                for source, paths in sources.items():
                    for backend in backends:
                        for pipe in pipelines:
                            seed = 1000 * r + vi
                            np.random.seed(seed)
                            random.seed(seed)
                            data = dict(filename=paths[video], label=0, start_index=0, modality='RGB')
                            start = time.process_time()
                            inds, decoded = None, None
                            for transform in built[(backend, pipe)].transforms:
                                data = transform(data)
                                if data is None:
                                    raise RuntimeError(f'{paths[video]}: {transform!r} returned None')
                                if inds is None and 'imgs' in data:
                                    decoded = time.process_time()
                                    inds = np.asarray(data['frame_inds']).tolist()
                            end = time.process_time()
                            cpu[(source, backend, pipe)] += end - start
                            post[(source, backend, pipe)] += end - decoded
                            clips[(source, backend, pipe)] += 1
                            # Same sampled indices for every source and backend: checked.
                            if indices.setdefault((r, vi, pipe), inds) != inds:
                                raise RuntimeError(f'frame indices differ for {paths[video]} ({backend}, {pipe})')
                sys.stderr.write(f'\rround {r + 1}/{rounds}, video {vi + 1}/{len(videos)}')
        sys.stderr.write('\n')
    finally:
        torch.set_num_threads(torch_threads)
    rows = []
    for key in cpu:
        source, backend, pipe = key
        rows.append(dict(source=source, backend=backend, pipeline=pipe, clips=clips[key], cpu_s=round(cpu[key], 3),
                         post_decode_cpu_s=round(post[key], 4),
                         clips_per_s_per_core=round(clips[key] / max(cpu[key], 1e-9), 3)))
    rate = {(r['source'], r['backend'], r['pipeline']): r['clips_per_s_per_core'] for r in rows}
    ratios = {f'{form}/{backend}': round(rate[(form, backend, 'train')] / rate[('original', backend, 'train')], 3)
              for form in prepared for backend in backends if 'train' in pipelines}
    ratio_vs_decord = {f'{form}/{backend}': round(rate[(form, backend, 'train')] / rate[('original', 'decord',
                                                                                         'train')], 3)
                       for form in prepared for backend in backends if 'train' in pipelines and 'decord' in backends}
    disk = {source: int(sum(osp.getsize(p) for p in paths.values())) for source, paths in sources.items()}
    train_rows = [r for r in rows if r['pipeline'] == 'train'] or rows
    best = max(train_rows, key=lambda r: r['clips_per_s_per_core'])
    return dict(videos=list(videos), rounds=rounds, rows=rows, disk_bytes=disk, device_cpu_ms_per_clip=_saving(rows),
                prepared_over_original_clips_per_s=ratios,
                prepared_over_original_decord_clips_per_s=ratio_vs_decord,
                best=best, target_clips_per_s=target, skipped_backends=skipped,
                workers_per_gpu=round(target / best['clips_per_s_per_core'], 1))


def _saving(rows: List[dict]) -> Dict[str, dict]:
    """``{source/backend: {decode, train, device, saving_pct}}``: CPU ms per clip of the decoding (the steps up to the
    decode step, the same work in both pipelines: their mean), of the whole pipeline with the augmentation on the CPU
    (``train``) and on the device (``device``: its CPU side), each as that decoding plus the pipeline's own steps
    after it (less noisy than the two whole-pipeline times), and the share of the CPU time saved."""
    by_key = {(r['source'], r['backend'], r['pipeline']): r for r in rows}
    out = {}
    for (source, backend, pipe), train in sorted(by_key.items()):
        device = by_key.get((source, backend, 'device'))
        if pipe != 'train' or device is None:
            continue
        decode = 500.0 * sum((r['cpu_s'] - r['post_decode_cpu_s']) / r['clips'] for r in (train, device))
        train_ms = decode + 1000.0 * train['post_decode_cpu_s'] / train['clips']
        device_ms = decode + 1000.0 * device['post_decode_cpu_s'] / device['clips']
        out[f'{source}/{backend}'] = dict(decode=round(decode, 2), train=round(train_ms, 2),
                                          device=round(device_ms, 2),
                                          saving_pct=round(100.0 * (1.0 - device_ms / train_ms), 1))
    return out


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--videos', nargs='+', required=True, help='original videos')
    parser.add_argument('--prepared', nargs='*', default=[], metavar='NAME=DIR',
                        help='prepared forms: a name and the folder of prepared copies')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--backends', nargs='+', default=list(BACKENDS), choices=list(BACKENDS))
    parser.add_argument('--pipelines', nargs='+', default=['train', 'test'], choices=list(PIPELINES))
    parser.add_argument('--target', type=float, default=160.0, help='clips/s one GPU consumes (default 160)')
    parser.add_argument('--json', help='also write the result here')
    args = parser.parse_args(argv)
    prepared = dict(item.split('=', 1) for item in args.prepared)
    for backend, reason in usable_backends(args.backends)[1].items():
        print(f'skipping backend {backend}: {reason}')
    result = run(args.videos, prepared, args.rounds, args.backends, args.pipelines, args.target)
    print(f"{'source':<12}{'backend':<19}{'pipeline':<9}{'clips':>6}{'cpu s':>9}{'clips/s/core':>14}")
    for r in sorted(result['rows'], key=lambda r: (r['pipeline'], r['source'], r['backend'])):
        print(f"{r['source']:<12}{r['backend']:<19}{r['pipeline']:<9}{r['clips']:>6}{r['cpu_s']:>9.2f}"
              f"{r['clips_per_s_per_core']:>14.2f}")
    print('disk (bytes):', json.dumps(result['disk_bytes']))
    print('prepared / original, train, same backend:', json.dumps(result['prepared_over_original_clips_per_s']))
    print('prepared / original decord, train:', json.dumps(result['prepared_over_original_decord_clips_per_s']))
    for key, cell in result['device_cpu_ms_per_clip'].items():
        print(f"augmentation on the device, {key}: {cell['train']:.1f} -> {cell['device']:.1f} CPU ms/clip "
              f"({cell['saving_pct']:.1f} % saved; decoding {cell['decode']:.1f})")
    best = result['best']
    print(f"best: {best['source']} + {best['backend']} ({best['pipeline']}) {best['clips_per_s_per_core']:.2f} "
          f"clips/s/core -> {result['workers_per_gpu']} workers per GPU at {result['target_clips_per_s']:.0f} clips/s")
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=1)


if __name__ == '__main__':
    main()
