"""Dataset fingerprints: per video its size, container, codec, frame count, fps, resolution and a hash of a few
decoded frames at fixed positions, so that two copies of a dataset can be compared video by video
(:mod:`~ga2clip_mmaction.data_prep.dataset_diff`).

The frame hashes are of the decoded RGB pixels (decord, as training reads them) at fixed fractions of the video
(:data:`POSITIONS`): re-muxing a video into another container keeps them, re-encoding changes them, and a video
with another frame count is told apart by its count. :func:`fingerprint_dataset` runs in a worker pool with a
progress bar and is resumable: an existing manifest's entries are kept for the files whose size and modification
time did not change.
"""
import hashlib
import json
import multiprocessing as mp
import os
import os.path as osp
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..datasets.split_files import parse_video_line

#: Manifest format name (checked when reading one).
FORMAT = 'ga2clip-dataset-fingerprint/1'
#: Where the hashed frames are, as fractions of the video (first frame, quarters, last frame).
POSITIONS = (0.0, 0.25, 0.5, 0.75, 1.0)
_SNIFF = ((b'ftyp', 4, 'mp4/mov'), (b'RIFF', 0, 'avi'), (b'\x1aE\xdf\xa3', 0, 'matroska/webm'))


def frame_indices(num_frames: int, positions: Sequence[float] = POSITIONS) -> List[int]:
    """The frame indices hashed in a video of ``num_frames`` frames (sorted, unique)."""
    return sorted({min(num_frames - 1, int(round(p * (num_frames - 1)))) for p in positions}) if num_frames else []


def _container_and_codec(path: str) -> Tuple[Optional[str], Optional[str]]:
    """Container and video codec names: PyAV's when installed (the ``data`` extra), else the container sniffed
    from the file's first bytes and no codec."""
    try:
        import av
    except ImportError:
        with open(path, 'rb') as f:
            head = f.read(16)
        return next((name for magic, at, name in _SNIFF if head[at:at + len(magic)] == magic), None), None
    with av.open(path) as container:
        streams = container.streams.video
        return container.format.name, (streams[0].codec_context.name if streams else None)


def fingerprint_video(path: str, video_id: str, positions: Sequence[float] = POSITIONS) -> Dict[str, Any]:
    """The fingerprint of one video file.

    Args:
        path (str): The file.
        video_id (str): Its id in the manifest (the path as the annotation file gives it).
        positions (Sequence[float]): Fractions of the video whose frames are hashed. Defaults to :data:`POSITIONS`.

    Returns:
        dict: ``id``, ``size``, ``mtime_ns``, ``container``, ``codec``, ``frames``, ``fps``, ``width``,
        ``height``, ``frame_hashes`` (index -> sha256 of the RGB pixels, 16 hex digits), ``frames_sha256`` (one
        digest over them) and ``seconds``; a missing file has ``missing: True``, an unreadable one ``error``.
    """
    start = time.perf_counter()
    entry: Dict[str, Any] = dict(id=video_id)
    if not osp.isfile(path):
        entry['missing'] = True
        return entry
    stat = os.stat(path)
    entry.update(size=stat.st_size, mtime_ns=stat.st_mtime_ns)
    try:
        import decord
        entry['container'], entry['codec'] = _container_and_codec(path)
        reader = decord.VideoReader(path, num_threads=1)
        count = len(reader)
        entry.update(frames=count, fps=round(float(reader.get_avg_fps()), 3))
        if count == 0:
            raise ValueError('no frames')
        indices = frame_indices(count, positions)
        frames = reader.get_batch(indices).asnumpy()
        entry.update(height=int(frames.shape[1]), width=int(frames.shape[2]))
        hashes = {}
        total = hashlib.sha256()
        for index, frame in zip(indices, frames):
            digest = hashlib.sha256(np.ascontiguousarray(frame).tobytes()).hexdigest()[:16]
            hashes[str(index)] = digest
            total.update(f'{index}:{digest};'.encode())
        entry.update(frame_hashes=hashes, frames_sha256=total.hexdigest())
    except Exception as err:  # noqa: BLE001 - any decoder error makes the video unreadable
        entry['error'] = f'{type(err).__name__}: {str(err)[:200]}'
    entry['seconds'] = round(time.perf_counter() - start, 4)
    return entry


def _work(task: Tuple[str, str, Sequence[float]]) -> Dict[str, Any]:
    path, video_id, positions = task
    return fingerprint_video(path, video_id, positions)


def read_annotation(ann_file: str) -> List[Tuple[str, str]]:
    """``(video id, line)`` of every non-blank line of an annotation file (MMAction2 ``path label`` lists)."""
    found = []
    with open(ann_file, encoding='utf-8') as f:
        for lineno, line in enumerate(f.read().splitlines(), start=1):
            entry = parse_video_line(line, ann_file, lineno)
            if entry is not None:
                found.append((entry.path, line.strip()))
    return found


def annotation_of_config(config: str, split: str = 'test') -> Tuple[str, str]:
    """``(annotation file, video root)`` of a config's ``<split>_dataloader`` (inside an ``AnchorSetDataset``:
    the main dataset).

    Raises:
        KeyError: The config has no such dataloader.
    """
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    loader = cfg.get(f'{split}_dataloader')
    if not loader:
        raise KeyError(f'{config}: no {split}_dataloader')
    dataset = loader['dataset']
    while dataset.get('type') == 'AnchorSetDataset':
        dataset = dataset['dataset']
    return dataset['ann_file'], (dataset.get('data_prefix') or {}).get('video', '')


def load_manifest(path: str) -> Dict[str, Any]:
    """Read a manifest written by :func:`fingerprint_dataset`.

    Raises:
        ValueError: Not a manifest of this format (names the file).
    """
    with open(path, encoding='utf-8') as f:
        manifest = json.load(f)
    if not isinstance(manifest, dict) or manifest.get('format') != FORMAT:
        raise ValueError(f'{path}: not a dataset fingerprint manifest (format {FORMAT!r})')
    return manifest


def _save(manifest: Dict[str, Any], out: str) -> None:
    tmp = f'{out}.tmp{os.getpid()}'
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    os.replace(tmp, out)


def fingerprint_dataset(ann_file: str, video_root: str, out: str, workers: int = 1, progress: bool = True,
                        save_every: int = 100, positions: Sequence[float] = POSITIONS) -> Dict[str, Any]:
    """Fingerprint every video of an annotation file into a JSON manifest (resumable).

    Args:
        ann_file (str): Annotation file (``path label`` lines, paths relative to ``video_root``).
        video_root (str): Folder the paths are relative to.
        out (str): Manifest file; entries of an existing one are kept where the file is unchanged.
        workers (int): Worker processes. Defaults to 1.
        progress (bool): Show a progress bar. Defaults to True.
        save_every (int): Write the manifest every this many videos (so an interrupted run resumes). Defaults
            to 100.
        positions (Sequence[float]): Hashed frame positions. Defaults to :data:`POSITIONS`.

    Returns:
        dict: The manifest: ``format``, ``ann_file``, ``video_root``, ``positions``, ``annotation`` (``[id,
        line]`` in file order), ``videos`` (id -> :func:`fingerprint_video`), ``timing`` (this run).
    """
    annotation = read_annotation(ann_file)
    old: Dict[str, Any] = {}
    if osp.isfile(out):
        previous = load_manifest(out)
        if list(previous.get('positions', [])) == list(positions):
            old = previous.get('videos', {})
    manifest = dict(format=FORMAT, ann_file=osp.abspath(ann_file), video_root=osp.abspath(video_root),
                    positions=list(positions), annotation=[list(a) for a in annotation], videos={})
    todo = []
    for video_id in dict.fromkeys(video_id for video_id, _ in annotation):  # each video once, in file order
        path = osp.join(video_root, video_id)
        kept = old.get(video_id)
        if kept is not None and osp.isfile(path) and not kept.get('missing'):
            stat = os.stat(path)
            if kept.get('size') == stat.st_size and kept.get('mtime_ns') == stat.st_mtime_ns:
                manifest['videos'][video_id] = kept
                continue
        todo.append((path, video_id, tuple(positions)))
    resumed = len(manifest['videos'])
    start = time.perf_counter()
    bar = None
    if progress and todo:
        from mmengine.utils import ProgressBar
        bar = ProgressBar(len(todo))
    done = 0
    ctx = mp.get_context('fork' if 'fork' in mp.get_all_start_methods() else 'spawn')
    pool = ctx.Pool(workers) if workers > 1 and len(todo) > 1 else None
    try:
        results = pool.imap_unordered(_work, todo) if pool else map(_work, todo)
        for entry in results:
            manifest['videos'][entry['id']] = entry
            done += 1
            if bar is not None:
                bar.update()
            if done % save_every == 0:
                _save(manifest, out)
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    wall = time.perf_counter() - start
    spent = [manifest['videos'][t[1]].get('seconds', 0.0) for t in todo]
    manifest['timing'] = dict(videos=done, resumed=resumed, workers=workers, wall_seconds=round(wall, 3),
                              wall_seconds_per_video=round(wall / done, 4) if done else None,
                              worker_seconds_per_video=round(sum(spent) / done, 4) if done else None)
    _save(manifest, out)
    return manifest
