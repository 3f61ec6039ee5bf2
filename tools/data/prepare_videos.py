"""Re-encode a video dataset for sparse frame sampling: smaller short side, short GOP, yuv420p H.264.

Sparse sampling (32 frames spread over a clip) on a long-GOP video decodes almost every frame up to each sampled
one. A short GOP (or all-intra, ``--gop 1``) bounds the frames decoded per sampled frame; a short side of 256
(MMAction2's resized Kinetics) cuts the pixels per frame. Every frame is kept (same count, same order), so the
frame indices a sampler draws mean the same frames as in the original; B-frames are off, so decoding order is
presentation order. The default is all-intra: on the codec corpus (tools/data/make_codec_corpus.py) plus
demo.mp4, the released 32-frame train pipeline ran 7.8x the clips/s per core of decord on the originals with
KeyframePyAVInit/Decode (3.9x with decord) for 1.17x the disk; GOP 8 gave 3.1x for 0.80x the disk
(tools/benchmark_data.py).

Example::

    python tools/data/prepare_videos.py SRC DST --workers 8 --ann-file SRC/train_list.txt

The tool is resumable: a finished output (written under a temporary name, then renamed) is skipped on the next
run. Failures are printed and written to ``DST/failures.txt`` (``path<TAB>reason``). It writes
``DST/<name of --ann-file>`` with the paths of the prepared files (labels kept), or ``DST/prepared_list.txt``
(one prepared path per line) without ``--ann-file``.

Needs PyAV (``pip install -e ".[data]"``).
"""
import argparse
import os
import os.path as osp
import sys
from fractions import Fraction
from typing import Dict, Optional, Sequence, Tuple

# Shared with extract_frames.py; output_size and VIDEO_EXTENSIONS are this tool's too (re-exported).
from ga2clip_mmaction.data_prep.video_jobs import (VIDEO_EXTENSIONS, output_size, read_sources,  # noqa: F401
                                                  run_pool, write_failures)


def prepare_one(src: str, dst: str, short_side: int = 256, gop: int = 1, crf: int = 18,
                preset: str = 'veryfast') -> int:
    """Re-encode ``src`` to ``dst`` (H.264 yuv420p mp4, no B-frames, keyframe every ``gop`` frames).

    A resized frame is the RGB frame resized with ``cv2.INTER_AREA`` (then converted to yuv420p), so a prepared
    frame equals ``cv2.resize(original, size, interpolation=cv2.INTER_AREA)`` within codec noise.

    Args:
        src (str): Source video.
        dst (str): Output path (``.mp4``); written as ``dst + '.part.mp4'`` then renamed.
        short_side (int): Short side of the output; ``0`` keeps the size. Defaults to 256.
        gop (int): Keyframe interval; ``1`` (the default) is all-intra.
        crf (int): x264 constant rate factor (lower is better quality). Defaults to 18.
        preset (str): x264 preset. Defaults to ``'veryfast'``.

    Returns:
        int: Number of frames written.

    Raises:
        ValueError: The source has no video stream or no frames.
    """
    import av
    import cv2
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    tmp = dst + '.part.mp4'
    count = 0
    with av.open(src) as source:
        if not source.streams.video:
            raise ValueError('no video stream')
        in_stream = source.streams.video[0]
        rate = in_stream.average_rate or in_stream.guessed_rate or Fraction(30)
        with av.open(tmp, 'w') as out:
            out_stream = None
            for frame in source.decode(in_stream):
                if out_stream is None:
                    width, height = output_size(frame.width, frame.height, short_side)
                    out_stream = out.add_stream('libx264', rate=Fraction(rate))
                    out_stream.width, out_stream.height, out_stream.pix_fmt = width, height, 'yuv420p'
                    out_stream.codec_context.gop_size = gop
                    out_stream.options = {
                        'crf': str(crf), 'preset': preset, 'bf': '0',
                        'x264-params': f'keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0'}
                if (width, height) == (frame.width, frame.height):
                    small = frame.reformat(format='yuv420p')
                else:  # resized in RGB with OpenCV's area filter: the reference the PSNR check compares with
                    rgb = cv2.resize(frame.to_ndarray(format='rgb24'), (width, height), interpolation=cv2.INTER_AREA)
                    small = av.VideoFrame.from_ndarray(rgb, format='rgb24').reformat(format='yuv420p')
                small.pts = count
                small.time_base = Fraction(1) / Fraction(rate)
                out.mux(out_stream.encode(small))
                count += 1
            if out_stream is None:
                raise ValueError('no video frames')
            out.mux(out_stream.encode(None))
    os.replace(tmp, dst)
    return count


def _task(job: Tuple[str, str, dict]) -> Tuple[str, Optional[str], int]:
    """Pool worker: ``(src, reason or None, frames)``; never raises."""
    src, dst, options = job
    try:
        return src, None, prepare_one(src, dst, **options)
    except Exception as err:  # noqa: BLE001 - a failure is the file's, listed with its reason
        part = dst + '.part.mp4'
        if osp.exists(part):
            os.remove(part)
        text = str(err).strip().splitlines()
        return src, f'{type(err).__name__}: {text[0] if text else ""}'.rstrip(': '), 0


def destination(rel: str, dst_root: str) -> str:
    """Prepared path of the source video at relative path ``rel``: same folders, extension ``.mp4``."""
    return osp.join(dst_root, osp.splitext(rel)[0] + '.mp4')


def prepare_dataset(src_root: str, dst_root: str, ann_file: Optional[str] = None, workers: int = 1,
                    progress: bool = True, **options) -> Dict[str, object]:
    """Prepare every video of ``src_root`` (or of ``ann_file``) into ``dst_root``; skip finished ones.

    Args:
        src_root (str): Source folder (annotation paths are relative to it).
        dst_root (str): Output folder (same relative layout, ``.mp4``).
        ann_file (str, optional): MMAction2 video list (``path label...`` per line); its prepared copy is
            written to ``dst_root`` under the same name.
        workers (int): Processes. Defaults to 1.
        progress (bool): Print a progress line to stderr. Defaults to True.
        **options: :func:`prepare_one` options (``short_side``, ``gop``, ``crf``, ``preset``).

    Returns:
        dict: ``done`` (newly prepared), ``skipped`` (already finished), ``failed`` (list of
        ``(path, reason)``), ``ann_out`` (the written annotation file).
    """
    rels, rows = read_sources(src_root, ann_file)
    os.makedirs(dst_root, exist_ok=True)
    jobs, skipped = [], 0
    for rel in dict.fromkeys(rels):
        dst = destination(rel, dst_root)
        if osp.isfile(dst) and osp.getsize(dst) > 0:
            skipped += 1
        else:
            jobs.append((osp.join(src_root, rel), dst, options))
    results, failed = run_pool(_task, jobs, workers, progress, skipped)
    write_failures(dst_root, failed)
    bad = {osp.relpath(src, src_root) for src, _ in failed}
    if ann_file:
        ann_out = osp.join(dst_root, osp.basename(ann_file))
        lines = [' '.join([osp.splitext(row[0])[0] + '.mp4'] + row[1:]) for row in rows if row[0] not in bad]
    else:
        ann_out = osp.join(dst_root, 'prepared_list.txt')
        lines = [osp.splitext(rel)[0] + '.mp4' for rel in rels if rel not in bad]
    if osp.abspath(ann_out) == osp.abspath(ann_file or ''):
        raise ValueError(f'the annotation output {ann_out} would overwrite the input')
    with open(ann_out, 'w') as f:
        f.writelines(line + '\n' for line in lines)
    return dict(done=len(results), skipped=skipped, failed=failed, ann_out=ann_out)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command line entry point; exit status 1 when a video failed."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='source folder')
    parser.add_argument('dst', help='output folder')
    parser.add_argument('--ann-file', help='MMAction2 video list (paths relative to SRC); default: every video')
    parser.add_argument('--short-side', type=int, default=256, help='short side, 0 keeps it (default 256)')
    parser.add_argument('--gop', type=int, default=1,
                        help='keyframe interval, 1 = all-intra (default 1: fastest for 32-frame sampling, measured)')
    parser.add_argument('--crf', type=int, default=18, help='x264 CRF (default 18)')
    parser.add_argument('--preset', default='veryfast', help='x264 preset (default veryfast)')
    parser.add_argument('--workers', type=int, default=os.cpu_count() or 1, help='processes (default: all cores)')
    args = parser.parse_args(argv)
    result = prepare_dataset(args.src, args.dst, args.ann_file, args.workers, short_side=args.short_side,
                             gop=args.gop, crf=args.crf, preset=args.preset)
    print(f"prepared {result['done']}, already done {result['skipped']}, failed {len(result['failed'])}; "
          f"annotations: {result['ann_out']}")
    for src, reason in result['failed']:
        print(f'FAILED {src}: {reason}')
    return 1 if result['failed'] else 0


if __name__ == '__main__':
    sys.exit(main())
