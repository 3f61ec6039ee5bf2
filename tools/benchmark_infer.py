"""Clips per second of open-vocabulary inference: one file at a time vs the batched path (a figure, not a test).

One file at a time is what ``tools/infer.py`` did before it took directories: for each video, MMAction2's
``inference_recognizer`` (decode in this process, a batch of one). The batched path is ``tools/infer.py`` on a
directory: :func:`ga2clip_mmaction.apis.score_clips`, ``--batch-size`` videos per forward, decoded in
``--workers`` DataLoader processes (and, to separate batching from parallel decoding, the same with no worker
process). All run on the same model and videos, alternating ``--repeats`` times so all see the same machine load;
the median is printed, with torch's thread count.

Example:
    python tools/benchmark_infer.py VIDEO_DIR --config CFG --checkpoint CKPT --classes "a,b,c" --workers 2
"""
import argparse
import json
import statistics
import time

import torch

from ga2clip_mmaction.apis import build_model, config_test_pipeline, score_clips, set_classes
from ga2clip_mmaction.apis.infer_tool import collect_videos
from ga2clip_mmaction.datasets.robust_video_dataset import probe_video


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('videos', help='a directory of videos or a list file')
    p.add_argument('--config', required=True)
    p.add_argument('--checkpoint', required=True)
    p.add_argument('--classes', required=True, help='comma-separated class names')
    p.add_argument('--batch-size', type=int, default=8)
    p.add_argument('--workers', type=int, default=2)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--limit', type=int, default=64, help='at most this many videos')
    p.add_argument('--device', default='cpu')
    return p.parse_args(argv)


def main(argv=None) -> dict:
    """Print and return the clips/s of both paths."""
    from mmaction.apis import inference_recognizer
    from mmengine.dataset import Compose
    args = parse_args(argv)
    videos = [v for v in collect_videos(args.videos) if probe_video(v) is None][:args.limit]  # readable ones
    model = build_model(args.config, args.checkpoint, args.device)
    set_classes(model, args.classes)
    pipeline = Compose(config_test_pipeline(model.cfg))
    times = {'one at a time': [], 'batched': [], 'batched, decoded in this process': []}
    for _ in range(args.repeats):
        start = time.perf_counter()
        for video in videos:
            inference_recognizer(model, video, pipeline)
        times['one at a time'].append(time.perf_counter() - start)
        start = time.perf_counter()
        score_clips(model, videos, args.batch_size, args.workers)
        times['batched'].append(time.perf_counter() - start)
        start = time.perf_counter()
        score_clips(model, videos, args.batch_size, 0)
        times['batched, decoded in this process'].append(time.perf_counter() - start)
    result = dict(videos=len(videos), torch_threads=torch.get_num_threads(), batch_size=args.batch_size,
                  workers=args.workers, repeats=args.repeats,
                  clips_per_s={k: round(len(videos) / statistics.median(v), 2) for k, v in times.items()})
    result['speed_up'] = round(result['clips_per_s']['batched'] / result['clips_per_s']['one at a time'], 2)
    print(json.dumps(result, indent=1))
    return result


if __name__ == '__main__':
    main()
