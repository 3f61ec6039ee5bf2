"""Part (c) of the GPU check: DataLoader clips/s of the released train pipeline from video and from JPEG frames.

It writes its own videos (moving noise, Kinetics-like 340x256 x 300 frames; smoke size in the dry run) and the same
clips as JPEG frames, times a DataLoader per worker count over each, and, given part b's training clips/s, the
fraction of the time the GPU would wait for data.
"""
import argparse
import os
import os.path as osp
import time
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

from .common import BENCH_CONFIG, write_json

if TYPE_CHECKING:
    from torch.utils.data import Dataset


def write_videos(folder: str, count: int, frames: int, size: Tuple[int, int],
                 frames_dir: Optional[str] = None) -> List[str]:
    """Write ``count`` 'mp4v' videos of moving noise and, optionally, the same frames as JPEG files.

    Args:
        folder (str): Where the videos go (``clip000.mp4`` ...).
        count (int): Videos.
        frames (int): Frames per video.
        size (tuple[int, int]): ``(width, height)``.
        frames_dir (str, optional): Where the JPEG frames go (``<frames_dir>/clip000/img_00001.jpg`` ...).
            Defaults to None (no frames).

    Returns:
        list[str]: The video files.
    """
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


def loader_rate(dataset: 'Dataset', workers: int, batch: int, batches: int) -> float:
    """Clips/s of a DataLoader over ``dataset`` (the first batch, worker start-up included, is not timed).

    Args:
        dataset (Dataset): The dataset (its items are dicts with ``inputs``).
        workers (int): Loader processes.
        batch (int): Clips per batch.
        batches (int): Timed batches (fewer when the dataset ends first).

    Returns:
        float: Clips per second.
    """
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
    """The ``data`` sub-command: clips/s of the released train pipeline from video and from frames, per worker count.

    Args:
        argv (list[str]): Its command line: ``--out FILE`` (the figures, rewritten after each measurement),
            ``--dry-run``, ``--model-clips-per-s X`` (part b's training speed, for the GPU idle fraction).

    Returns:
        int: The exit status (0).
    """
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
            write_json(args.out, out)
            print(f'{name:6s} {n:2d} workers: {rate:8.2f} clips/s', flush=True)
    if args.model_clips_per_s:
        out['model_clips_per_s'] = args.model_clips_per_s
    write_json(args.out, out)
    return 0
