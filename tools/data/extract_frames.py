"""Extract JPEG frames of a video dataset in MMAction2's rawframe layout (for ``RawFrameDecode``).

Every frame of ``SRC/<path>.<ext>`` becomes ``DST/<path>/img_00001.jpg``, ``img_00002.jpg``, ... (frame ``k`` of
the video, 0-based, is ``img_{k+1:05d}.jpg``: MMAction2's ``filename_tmpl='img_{:05d}.jpg'`` with
``start_index=1``), resized like ``tools/data/prepare_videos.py`` (short side at most ``--short-side``, never
upscaled, RGB ``cv2.INTER_AREA``), JPEG quality ``--quality``. A frame then equals the original frame at the same
index within JPEG noise.

Example::

    python tools/data/extract_frames.py data/hmdb51/videos data/hmdb51/rawframes --workers 8

It writes ``DST/rawframes.txt``, MMAction2's rawframe annotation (``frame_dir total_frames label`` per line,
``frame_dir`` relative to DST; label ``-1`` without ``--ann-file``) of every extracted video, merged with the
entries already there (extracting the train list, then the val list, into one root indexes both; a video listed
with another label than its entry has fails before anything is extracted, naming the video), and with
``--ann-file A`` also ``DST/<name of A>`` in that format (labels kept, failed videos left out).
``RobustRawframeDataset`` (the ``video_source = 'rawframes'`` switch of
``configs/_base_/datasets/ga2clip_pipelines.py``) reads the protocols' video lists and looks up
``DST/rawframes.txt``. Resumable: a video's frames are written to ``<dir>.part`` and renamed when complete, and
finished folders are skipped. Failures go to ``DST/failures.txt`` (``path<TAB>reason``), as in prepare_videos.

Needs PyAV (``pip install -e ".[data]"``).
"""
import argparse
import os
import os.path as osp
import shutil
import sys
from typing import Dict, List, Optional, Sequence, Tuple

from ga2clip_mmaction.data_prep.video_jobs import output_size, read_sources, run_pool, write_failures

#: MMAction2's rawframe file name template (1-based frame numbers).
FILENAME_TMPL = 'img_{:05d}.jpg'
#: Rawframe annotation of every extracted video, written in DST.
INDEX_NAME = 'rawframes.txt'


def extract_one(src: str, dst_dir: str, short_side: int = 256, quality: int = 95) -> int:
    """Decode every frame of ``src`` and write it as ``dst_dir/img_{k+1:05d}.jpg``.

    Args:
        src (str): Source video.
        dst_dir (str): Output folder; written as ``dst_dir + '.part'`` then renamed.
        short_side (int): Short side of the frames; ``0`` keeps the size. Defaults to 256.
        quality (int): JPEG quality (``cv2.IMWRITE_JPEG_QUALITY``). Defaults to 95.

    Returns:
        int: Number of frames written.

    Raises:
        ValueError: The source has no video stream or no frames.
    """
    import av
    import cv2
    tmp = dst_dir + '.part'
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    count = 0
    with av.open(src) as source:
        if not source.streams.video:
            raise ValueError('no video stream')
        for frame in source.decode(source.streams.video[0]):
            rgb = frame.to_ndarray(format='rgb24')
            size = output_size(frame.width, frame.height, short_side)
            if size != (frame.width, frame.height):
                rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
            count += 1
            path = osp.join(tmp, FILENAME_TMPL.format(count))
            if not cv2.imwrite(path, rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality]):
                raise OSError(f'cannot write {path}')
    if count == 0:
        raise ValueError('no video frames')
    os.replace(tmp, dst_dir)
    return count


def _task(job: Tuple[str, str, dict]) -> Tuple[str, Optional[str], int]:
    """Pool worker: ``(src, reason or None, frames)``; never raises."""
    src, dst_dir, options = job
    try:
        return src, None, extract_one(src, dst_dir, **options)
    except Exception as err:  # noqa: BLE001 - a failure is the file's, listed with its reason
        shutil.rmtree(dst_dir + '.part', ignore_errors=True)
        text = str(err).strip().splitlines()
        return src, f'{type(err).__name__}: {text[0] if text else ""}'.rstrip(': '), 0


def frame_dir(rel: str) -> str:
    """Frame folder (relative) of the video at relative path ``rel``: the path without its extension."""
    return osp.splitext(rel)[0]


def count_frames(folder: str) -> int:
    """Number of ``img_*.jpg`` frames in an extracted folder."""
    return sum(1 for name in os.listdir(folder) if name.startswith('img_') and name.endswith('.jpg'))


def read_index(path: str) -> Dict[str, List[str]]:
    """Entries of a rawframe index: ``{frame_dir: [total_frames, label...]}`` (empty when it does not exist).

    Raises:
        ValueError: A line has fewer than 3 fields, or a frame directory is listed twice (``path:line``).
    """
    entries: Dict[str, List[str]] = {}
    if not osp.isfile(path):
        return entries
    with open(path) as f:
        for number, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) < 3 or fields[0] in entries:
                problem = 'expected `frame_dir total_frames label`' if len(fields) < 3 else 'listed twice'
                raise ValueError(f'{path}:{number}: {problem}: {line.strip()!r}')
            entries[fields[0]] = fields[1:]
    return entries


def _labels_conflict(old: List[str], new: List[str]) -> bool:
    """Two label lists of one video disagree (``-1``, no label, agrees with any)."""
    return old != ['-1'] and new != ['-1'] and old != new


def check_index_labels(index: Dict[str, List[str]], rows: Sequence[List[str]], index_path: str,
                       ann_file: Optional[str]) -> None:
    """Refuse an annotation whose label of a video differs from that video's index entry.

    Raises:
        ValueError: Naming the video, both labels and both files.
    """
    for row in rows:
        entry = index.get(frame_dir(row[0]))
        if entry is not None and _labels_conflict(entry[1:], row[1:]):
            raise ValueError(f'{row[0]}: {ann_file} labels it {" ".join(row[1:])}, but {index_path} already has '
                             f'{frame_dir(row[0])} labelled {" ".join(entry[1:])}; one root holds one label per '
                             'video (extract into another root, or fix the list)')


def merge_index(index: Dict[str, List[str]], frames: Dict[str, int], labels: Dict[str, List[str]]) -> Dict[str,
                                                                                                        List[str]]:
    """The index entries after this extraction: the earlier ones, each video extracted now with its frame count
    (counted on disk now) and its label (the earlier label when this list has none)."""
    merged = dict(index)
    for rel, count in frames.items():
        key = frame_dir(rel)
        new = labels.get(rel) or ['-1']
        old = merged.get(key, [None, '-1'])[1:]
        merged[key] = [str(count)] + (old if new == ['-1'] else new)
    return merged


def extract_dataset(src_root: str, dst_root: str, ann_file: Optional[str] = None, workers: int = 1,
                    progress: bool = True, **options) -> Dict[str, object]:
    """Extract every video of ``src_root`` (or of ``ann_file``) into ``dst_root``; skip finished ones.

    Args:
        src_root (str): Source folder (annotation paths are relative to it).
        dst_root (str): Output folder (one frame folder per video, same relative layout).
        ann_file (str, optional): MMAction2 video list (``path label...``); its rawframe version is written to
            ``dst_root`` under the same name.
        workers (int): Processes. Defaults to 1.
        progress (bool): Print a progress line to stderr. Defaults to True.
        **options: :func:`extract_one` options (``short_side``, ``quality``).

    Returns:
        dict: ``done``, ``skipped``, ``failed`` (list of ``(path, reason)``), ``index`` (``rawframes.txt``, its
        earlier entries kept) and
        ``ann_out`` (the rawframe version of ``ann_file``, or None).
    """
    rels, rows = read_sources(src_root, ann_file)
    index = osp.join(dst_root, INDEX_NAME)
    earlier = read_index(index)
    check_index_labels(earlier, rows, index, ann_file)  # before hours of extraction
    os.makedirs(dst_root, exist_ok=True)
    frames: Dict[str, int] = {}
    jobs = []
    for rel in dict.fromkeys(rels):
        out = osp.join(dst_root, frame_dir(rel))
        if osp.isdir(out):
            frames[rel] = count_frames(out)
        else:
            jobs.append((osp.join(src_root, rel), out, options))
    skipped = len(frames)
    results, failed = run_pool(_task, jobs, workers, progress, skipped)
    for src, count in results:
        frames[osp.relpath(src, src_root)] = count
    write_failures(dst_root, failed)
    labels = {row[0]: row[1:] for row in rows}
    merged = merge_index(earlier, frames, labels)
    with open(index, 'w') as f:
        for key in sorted(merged):
            f.write(' '.join([key] + merged[key]) + '\n')
    ann_out = None
    if ann_file:
        ann_out = osp.join(dst_root, osp.basename(ann_file))
        if osp.abspath(ann_out) in (osp.abspath(ann_file), osp.abspath(index)):
            raise ValueError(f'the annotation output {ann_out} would overwrite an input or the index')
        with open(ann_out, 'w') as f:
            for row in rows:
                if row[0] in frames:
                    f.write(' '.join([frame_dir(row[0]), str(frames[row[0]])] + row[1:]) + '\n')
    return dict(done=len(results), skipped=skipped, failed=failed, index=index, ann_out=ann_out)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command line entry point; exit status 1 when a video failed."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='source folder')
    parser.add_argument('dst', help='output folder')
    parser.add_argument('--ann-file', help='MMAction2 video list (paths relative to SRC); default: every video')
    parser.add_argument('--short-side', type=int, default=256, help='short side, 0 keeps it (default 256)')
    parser.add_argument('--quality', type=int, default=95, help='JPEG quality (default 95)')
    parser.add_argument('--workers', type=int, default=os.cpu_count() or 1, help='processes (default: all cores)')
    args = parser.parse_args(argv)
    result = extract_dataset(args.src, args.dst, args.ann_file, args.workers, short_side=args.short_side,
                             quality=args.quality)
    print(f"extracted {result['done']}, already done {result['skipped']}, failed {len(result['failed'])}; "
          f"index: {result['index']}" + (f", annotations: {result['ann_out']}" if result['ann_out'] else ''))
    for src, reason in result['failed']:
        print(f'FAILED {src}: {reason}')
    return 1 if result['failed'] else 0


if __name__ == '__main__':
    sys.exit(main())
