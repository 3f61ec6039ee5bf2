"""Fingerprint every video of a dataset: size, container, codec, frame count, fps, resolution, frame hashes.

Usage::

    python tools/data/fingerprint.py configs/ga2clip_b2n_hmdb51.py --out hmdb51_test.json [--split test]
    python tools/data/fingerprint.py data/splits/hmdb_splits/val1.txt --video-root data/hmdb51/videos \\
        --out hmdb51_val1.json [--workers 8]

A config gives the annotation file and video root of its ``--split`` dataloader (default ``test``). The hashes
are of decoded frames at fixed positions (first, quarters, last): re-muxing keeps them, re-encoding does not.
Runs ``--workers`` processes with a progress bar; run it again with the same ``--out`` to resume (unchanged files
are not decoded again). Compare two manifests with ``tools/data/diff_dataset.py``.
"""
import argparse
import os.path as osp
from typing import Any, Dict, Optional, Sequence

from ga2clip_mmaction.data_prep.fingerprint import annotation_of_config, fingerprint_dataset


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description='Fingerprint the videos of a dataset (resumable).')
    parser.add_argument('source', help='config (.py) or annotation file')
    parser.add_argument('--video-root', help='folder the annotation paths are relative to (default: the '
                        "config's data_prefix.video; for an annotation file: its folder)")
    parser.add_argument('--split', default='test', choices=('train', 'val', 'test'),
                        help='dataloader of a config (default test)')
    parser.add_argument('--out', required=True, help='manifest (.json); an existing one is resumed')
    parser.add_argument('--workers', type=int, default=1, help='worker processes (default 1)')
    parser.add_argument('--no-progress', dest='progress', action='store_false', help='no progress bar')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """Write the manifest and print the cost per video; returns the manifest."""
    args = parse_args(argv)
    if args.source.endswith('.py'):
        ann_file, root = annotation_of_config(args.source, args.split)
    else:
        ann_file, root = args.source, osp.dirname(args.source)
    manifest = fingerprint_dataset(ann_file, args.video_root or root, args.out, workers=args.workers,
                                   progress=args.progress)
    videos = manifest['videos'].values()
    missing = sum(1 for v in videos if v.get('missing'))
    bad = sum(1 for v in videos if v.get('error'))
    t = manifest['timing']
    print(f'\n{args.out}: {len(manifest["videos"])} videos ({missing} missing, {bad} unreadable); '
          f'{t["videos"]} fingerprinted now, {t["resumed"]} kept from the previous run')
    if missing == len(manifest['videos']):
        print(f'no video of {ann_file} was found under {args.video_root or root!r}: check --video-root')
    if t['videos']:
        print(f'{t["wall_seconds"]:.2f} s with {t["workers"]} worker(s): {t["wall_seconds_per_video"]:.4f} s per '
              f'video (wall), {t["worker_seconds_per_video"]:.4f} s of one worker per video')
    return manifest


if __name__ == '__main__':
    main()
