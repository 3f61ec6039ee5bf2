"""Write a small corpus of videos with real codec settings, for the data-path benchmark and tests.

Unlike the 64x64 demo world, these files are what a decoder meets in Kinetics or SSv2: H.264 at 340x256 and
1280x720 with a GOP of 250 frames (YouTube-like) and B-frames, and VP9 webm at 240p. The content moves (a
textured background panning, a bright textured square crossing it), so inter frames are not empty and PSNR
comparisons mean something.

Example::

    python tools/data/make_codec_corpus.py OUT_DIR --seconds 10
    python tools/data/make_codec_corpus.py OUT_DIR --seconds 1 --only h264_340x256

Needs PyAV (``pip install -e ".[data]"``).
"""
import argparse
import os
import os.path as osp
from fractions import Fraction
from typing import Dict, List, Optional, Sequence

import numpy as np

#: The corpus: name -> (container, codec, width, height, fps, gop, extra codec options).
CORPUS: Dict[str, tuple] = {
    'h264_340x256': ('mp4', 'libx264', 340, 256, 30, 250, {'crf': '23', 'preset': 'veryfast'}),
    'h264_1280x720': ('mp4', 'libx264', 1280, 720, 25, 250, {'crf': '23', 'preset': 'veryfast'}),
    'vp9_426x240': ('webm', 'libvpx-vp9', 426, 240, 30, 250, {'crf': '32', 'b': '0', 'deadline': 'realtime',
                                                              'cpu-used': '8'}),
}


def _texture(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """An RGB uint8 texture: multi-scale smoothed noise plus stripes (detail at every scale).

    Fine detail is in brightness only, colour varies at coarse scales: as in camera footage, whose chroma is
    subsampled, so 4:2:0 storage does not by itself cost PSNR.
    """
    import cv2
    acc = np.zeros((height, width, 3), np.float32)
    for scale, weight, channels in ((4, 0.45, 1), (16, 0.35, 3), (64, 0.2, 3)):
        small = rng.random((max(2, height // scale), max(2, width // scale), channels)).astype(np.float32)
        acc += weight * cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC).reshape(
            height, width, -1)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    acc += 0.15 * np.sin((xx + 0.5 * yy) / 7.0)[..., None]
    return np.clip(acc * 230.0, 0, 255).astype(np.uint8)


def frames(width: int, height: int, num_frames: int, seed: int = 0):
    """Yield ``num_frames`` moving textured RGB frames (``height x width x 3`` uint8).

    Args:
        width (int): Frame width.
        height (int): Frame height.
        num_frames (int): How many frames.
        seed (int): Seed of the textures. Defaults to 0.

    Yields:
        np.ndarray: The next frame.
    """
    rng = np.random.default_rng(seed)
    pad = max(width, height) // 2
    background = _texture(height + 2 * pad, width + 2 * pad, rng)
    side = max(8, min(width, height) // 4)
    sprite = _texture(side, side, rng) // 2 + 120
    for i in range(num_frames):
        t = 2 * np.pi * i / 97.0
        dx = int(pad + pad * 0.9 * np.sin(t))
        dy = int(pad + pad * 0.9 * np.sin(1.3 * t + 1.0))
        frame = background[dy:dy + height, dx:dx + width].copy()
        sx = int((width - side) * (0.5 + 0.5 * np.sin(3.1 * t)))
        sy = int((height - side) * (0.5 + 0.5 * np.cos(2.3 * t)))
        frame[sy:sy + side, sx:sx + side] = sprite
        yield frame


def write_video(path: str, codec: str, width: int, height: int, fps: int, gop: int, options: Dict[str, str],
                num_frames: int, seed: int = 0) -> str:
    """Encode moving textured content to ``path`` with PyAV.

    Args:
        path (str): Output file (its extension chooses the container).
        codec (str): FFmpeg encoder name (``'libx264'``, ``'libvpx-vp9'``).
        width (int): Frame width (even).
        height (int): Frame height (even).
        fps (int): Frame rate.
        gop (int): Maximum distance between keyframes.
        options (dict[str, str]): Extra encoder options.
        num_frames (int): Number of frames.
        seed (int): Seed of the content. Defaults to 0.

    Returns:
        str: ``path``.
    """
    import av
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = f'{path}.part{osp.splitext(path)[1]}'
    with av.open(tmp, 'w') as container:
        stream = container.add_stream(codec, rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = width, height, 'yuv420p'
        stream.codec_context.gop_size = gop
        opts = dict(options)
        if codec == 'libx264':
            # No scene-cut keyframes: a GOP of exactly `gop` frames, as a long-GOP upload.
            opts.setdefault('x264-params', f'keyint={gop}:min-keyint={gop}:scenecut=0')
        else:
            opts.setdefault('g', str(gop))
        stream.options = opts
        for i, rgb in enumerate(frames(width, height, num_frames, seed)):
            frame = av.VideoFrame.from_ndarray(rgb, format='rgb24')
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    os.replace(tmp, path)
    return path


def make_corpus(out_dir: str, seconds: float = 10.0, only: Optional[Sequence[str]] = None) -> List[str]:
    """Write the corpus (or the ``only`` entries of it) to ``out_dir``.

    Args:
        out_dir (str): Output folder.
        seconds (float): Length of each video. Defaults to 10.
        only (Sequence[str], optional): Names of :data:`CORPUS` to write; all by default.

    Returns:
        list[str]: The written paths.
    """
    names = list(only) if only else list(CORPUS)
    unknown = [n for n in names if n not in CORPUS]
    if unknown:
        raise ValueError(f'unknown corpus entries {unknown}; choose from {sorted(CORPUS)}')
    paths = []
    for seed, name in enumerate(names):
        ext, codec, width, height, fps, gop, options = CORPUS[name]
        path = osp.join(out_dir, f'{name}.{ext}')
        paths.append(write_video(path, codec, width, height, fps, gop, options,
                                 max(1, int(round(seconds * fps))), seed=seed))
    return paths


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out_dir', help='output folder')
    parser.add_argument('--seconds', type=float, default=10.0, help='length of each video (default 10)')
    parser.add_argument('--only', nargs='+', choices=sorted(CORPUS), help='write only these entries')
    args = parser.parse_args(argv)
    for path in make_corpus(args.out_dir, args.seconds, args.only):
        print(f'{path}\t{osp.getsize(path)} bytes')


if __name__ == '__main__':
    main()
