"""The work of ``tools/infer.py``: inputs, scoring, rejection, timelines, and what it prints and writes."""
import argparse
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import torch

from ..datasets.robust_video_dataset import BadVideoError, probe_video
from ..datasets.views import apply_test_views
from ..engine.runner_setup import load_config
from .model import build_model, parse_class_names
from .open_vocab import VideoScores, score_clips, set_classes
from .rejection import anchor_videos, calibrate_threshold, known_score
from .timeline import NONE_LABEL, merge_segments, sliding_windows, srt_text, video_length, window_items

#: File endings taken as videos when INPUT is a directory.
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mkv', '.webm', '.mov', '.m4v', '.mpg', '.mpeg', '.flv', '.wmv', '.3gp',
                    '.ogv', '.ts')
LIST_EXTENSIONS = ('.txt', '.lst')


def collect_videos(source: str) -> List[str]:
    """The videos of INPUT: a video file, a directory (every video below it, sorted) or a list file.

    Args:
        source (str): The path.

    Returns:
        list[str]: Video paths.

    Raises:
        FileNotFoundError: ``source`` does not exist.
        ValueError: A directory or list file with no video.
    """
    if osp.isdir(source):
        found = []
        for folder, dirs, files in os.walk(source):
            dirs.sort()
            found += [osp.join(folder, f) for f in sorted(files) if f.lower().endswith(VIDEO_EXTENSIONS)]
        if not found:
            raise ValueError(f'{source}: no video files ({", ".join(VIDEO_EXTENSIONS)}) below this directory')
        return found
    if not osp.isfile(source):
        raise FileNotFoundError(f'Video not found: {source}')
    if not source.lower().endswith(LIST_EXTENSIONS):
        return [source]
    found = []
    with open(source, encoding='utf-8') as f:
        for line in f.read().splitlines():
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            parts = line.rsplit(maxsplit=1)
            if not osp.exists(line) and len(parts) == 2 and parts[1].lstrip('-').isdigit():
                line = parts[0]  # an annotation line `path label`
            if not osp.isabs(line) and not osp.exists(line):
                beside = osp.join(osp.dirname(source), line)
                line = beside if osp.exists(beside) else line
            found.append(line)
    if not found:
        raise ValueError(f'{source}: the list names no video')
    return found


def _topk(probs: torch.Tensor, names: Sequence[str], k: int) -> List[Tuple[str, float]]:
    values, order = probs.topk(min(k, len(names)))
    return [(names[i], float(p)) for p, i in zip(values, order.tolist())]


def _logit_scale(model) -> float:
    return float(model.cls_head.logit_scale)


def rejection_threshold(model, args: argparse.Namespace) -> Tuple[float, int]:
    """The ``--reject-score`` threshold at which ``--reject-fpr`` of the config's anchor clips are accepted.

    Returns:
        tuple[float, int]: The threshold and the number of anchor clips it was calibrated on.
    """
    paths = anchor_videos(model.cfg)
    scores = score_clips(model, paths, args.batch_size, args.workers, progress=not args.no_progress)
    good = [i for i in range(len(paths)) if i not in scores.bad]
    if scores.bad:
        print(f'{len(scores.bad)} anchor clip(s) unreadable, left out of the calibration')
    values = known_score(scores.cosine[good], _logit_scale(model), args.reject_score)
    return calibrate_threshold(values.tolist(), args.reject_fpr), len(good)


def _write_json_lines(path: str, records: Sequence[dict]) -> None:
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        f.writelines(json.dumps(r) + '\n' for r in records)


def video_records(paths: Sequence[str], scores: VideoScores, names: Sequence[str], topk: int,
                  threshold: Optional[float] = None, score_kind: str = 'cosine',
                  logit_scale: float = 1.0) -> List[Dict[str, object]]:
    """One ``--out`` record per video: ``video``, ``topk`` (``[name, probability]`` pairs), ``label``; with a
    threshold also ``known_score`` and ``accepted``; for a bad video ``video`` and ``error``."""
    records = []
    values = known_score(scores.cosine, logit_scale, score_kind) if threshold is not None else None
    for i, path in enumerate(paths):
        if i in scores.bad:
            records.append(dict(video=path, error=scores.bad[i]))
            continue
        top = _topk(scores.probs[i], names, topk)
        record = dict(video=path, topk=[[n, round(p, 6)] for n, p in top], label=top[0][0])
        if threshold is not None:
            accepted = bool(values[i] > threshold)
            record.update(known_score=round(float(values[i]), 6), accepted=accepted)
            if not accepted:
                record['label'] = NONE_LABEL
        records.append(record)
    return records


def timeline(model, path: str, names: Sequence[str], args: argparse.Namespace,
             threshold: Optional[float]) -> Dict[str, object]:
    """Sliding windows of one video and the segments they merge into (see :mod:`.timeline`)."""
    frames, fps = video_length(path)
    windows = sliding_windows(frames, fps, args.window, args.stride)
    scores = score_clips(model, window_items(path, windows), args.batch_size, args.workers,
                         progress=not args.no_progress)
    if scores.bad:
        first = next(iter(scores.bad.items()))
        raise BadVideoError(f'{path}: cannot read window {first[0]} ({windows[first[0]].start:.2f} s): {first[1]}')
    values = known_score(scores.cosine, _logit_scale(model), args.reject_score) if threshold is not None else None
    labels, label_scores, rows = [], [], []
    for i, w in enumerate(windows):
        top = _topk(scores.probs[i], names, args.topk)
        label, score = top[0]
        if values is not None and not values[i] > threshold:
            label = NONE_LABEL
        labels.append(label)
        label_scores.append(score)
        row = dict(start=round(w.start, 3), end=round(w.end, 3), label=label, topk=[[n, round(p, 6)] for n, p in top])
        if values is not None:
            row['known_score'] = round(float(values[i]), 6)
        rows.append(row)
    duration = frames / fps
    result = dict(video=path, fps=fps, frames=frames, duration=round(duration, 3), window=args.window,
                  stride=args.stride, classes=list(names), windows=rows,
                  segments=merge_segments(windows, labels, label_scores, duration))
    if threshold is not None:
        result.update(reject_score=args.reject_score, reject_fpr=args.reject_fpr, threshold=threshold)
    return result


def run(args: argparse.Namespace):
    """Run ``tools/infer.py`` (see its docstring for what it prints, writes and returns)."""
    videos = collect_videos(args.video)
    single = len(videos) == 1 and not osp.isdir(args.video) and not args.video.lower().endswith(LIST_EXTENSIONS)
    if single:
        reason = probe_video(videos[0])  # a clear message instead of the decoder's traceback
        if reason is not None:
            raise BadVideoError(f'{videos[0]}: cannot read the video: {reason}')
    if args.timeline and not single:
        raise ValueError('--timeline takes one video file')
    if args.topk < 1:
        raise ValueError(f'--topk must be >= 1, got {args.topk}')
    if args.srt and not args.timeline:
        raise ValueError('--srt needs --timeline')
    names = parse_class_names(args.classes, args.class_file)
    cfg = load_config(args.config, args.cfg_options)
    if args.views is not None:
        apply_test_views(cfg, args.views, crop_size=None)
    model = build_model(cfg, args.checkpoint, args.device)
    set_classes(model, names)
    threshold = None
    if args.reject_fpr is not None:
        threshold, count = rejection_threshold(model, args)
        print(f'rejection: {args.reject_score} > {threshold:.4f} accepts {args.reject_fpr:g} of the {count} '
              f'anchor clips; lower is "{NONE_LABEL}"')

    if args.timeline:
        result = timeline(model, videos[0], names, args, threshold)
        print(f'{videos[0]}: {len(result["windows"])} windows of {args.window:g} s every {args.stride:g} s, '
              f'{len(result["segments"])} segments')
        for seg in result['segments']:
            print(f'{seg["start"]:9.2f} - {seg["end"]:9.2f} s  {seg["label"]} ({seg["score"]:.2f})')
        if args.out:
            os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
            with open(args.out, 'w', encoding='utf-8') as f:
                json.dump(result, f, indent=1)
        if args.srt:
            os.makedirs(osp.dirname(osp.abspath(args.srt)), exist_ok=True)
            with open(args.srt, 'w', encoding='utf-8') as f:
                f.write(srt_text(result['segments'], skip=NONE_LABEL))
        return result

    workers = 0 if single else args.workers  # one video: no worker process to start
    scores = score_clips(model, videos, args.batch_size, workers, progress=not (args.no_progress or single))
    records = video_records(videos, scores, names, args.topk, threshold, args.reject_score, _logit_scale(model))
    if args.out:
        _write_json_lines(args.out, records)
    if args.save_features:
        import numpy as np
        os.makedirs(osp.dirname(osp.abspath(args.save_features)), exist_ok=True)
        np.save(args.save_features, scores.features.numpy())
    if single:
        top = _topk(scores.probs[0], names, args.topk)
        width = max(len(name) for name, _ in top)
        print(f'{videos[0]}: top-{len(top)} of {len(names)} classes')
        for rank, (name, prob) in enumerate(top, start=1):
            print(f'{rank:>3}. {name:<{width}}  {prob:.4f}')
        if threshold is not None and not records[0]['accepted']:
            print(f'  -> {NONE_LABEL} ({args.reject_score} {records[0]["known_score"]:.4f} <= {threshold:.4f})')
        return top
    for r in records:
        if 'error' not in r:
            print(f'{r["video"]}: {r["label"]} | ' + ', '.join(f'{n} {p:.4f}' for n, p in r['topk']))
    bad = [r for r in records if 'error' in r]
    print(f'{len(records) - len(bad)} of {len(records)} videos scored' + (f', {len(bad)} unreadable:' if bad else ''))
    for r in bad:
        print(f'  {r["video"]}: {r["error"]}')
    return records
