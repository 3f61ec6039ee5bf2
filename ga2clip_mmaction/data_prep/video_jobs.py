"""Video jobs shared by the ``tools/data`` scripts that convert a dataset file by file (``prepare_videos.py``,
``extract_frames.py``): the source list, the output size, a process pool with a progress line, the failure list."""
import os
import os.path as osp
import sys
import time
from multiprocessing import Pool
from typing import List, Optional, Tuple

#: File extensions taken as videos when SRC is a folder.
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.webm', '.mkv', '.mov', '.m4v', '.flv')


def output_size(width: int, height: int, short_side: int) -> Tuple[int, int]:
    """``(width, height)`` with the short side at most ``short_side`` (never upscaled), aspect kept, both even.

    Args:
        width (int): Source width.
        height (int): Source height.
        short_side (int): Wanted short side; ``0``, or a source short side already at most it, keeps the size
            (rounded down to even).

    Returns:
        tuple[int, int]: The output width and height.
    """
    if short_side and min(width, height) > short_side:
        if width <= height:
            width, height = short_side, round(height * short_side / width)
        else:
            width, height = round(width * short_side / height), short_side
    return max(2, width - width % 2), max(2, height - height % 2)


def read_sources(src_root: str, ann_file: Optional[str]) -> Tuple[List[str], List[List[str]]]:
    """Relative source paths and, with an annotation file, its split lines (path first)."""
    if ann_file:
        with open(ann_file) as f:
            rows = [line.split() for line in f if line.strip()]
        return [row[0] for row in rows], rows
    rels = []
    for folder, _, names in os.walk(src_root):
        for name in names:
            if name.lower().endswith(VIDEO_EXTENSIONS) and '.part.' not in name:
                rels.append(osp.relpath(osp.join(folder, name), src_root))
    return sorted(rels), []


def run_pool(task, jobs: list, workers: int, progress: bool, skipped: int = 0
             ) -> Tuple[List[Tuple[str, int]], List[Tuple[str, str]]]:
    """Run ``task`` on ``jobs`` in a process pool with a progress line.

    Args:
        task (callable): Picklable ``job -> (src, reason or None, frames)`` that never raises.
        jobs (list): The jobs.
        workers (int): Processes.
        progress (bool): Print a progress line to stderr.
        skipped (int): Already finished videos, for the progress line. Defaults to 0.

    Returns:
        tuple[list, list]: ``(src, frames)`` of the videos done and ``(src, reason)`` of the failed ones.
    """
    results: List[Tuple[str, int]] = []
    failed: List[Tuple[str, str]] = []
    start = time.time()
    with Pool(max(1, workers)) as pool:
        for i, (src, reason, frames) in enumerate(pool.imap_unordered(task, jobs), 1):
            if reason is None:
                results.append((src, frames))
            else:
                failed.append((src, reason))
            if progress:
                rate = i / max(time.time() - start, 1e-9)
                sys.stderr.write(f'\r[{i}/{len(jobs)}] {rate:.2f} videos/s, {len(failed)} failed, '
                                 f'{skipped} already done')
    if progress:
        sys.stderr.write('\n')
    return results, failed


def write_failures(dst_root: str, failed: List[Tuple[str, str]]) -> None:
    """Write ``DST/failures.txt``: ``path<TAB>reason`` per failed video, sorted."""
    with open(osp.join(dst_root, 'failures.txt'), 'w') as f:
        for src, reason in sorted(failed):
            f.write(f'{src}\t{reason}\n')
