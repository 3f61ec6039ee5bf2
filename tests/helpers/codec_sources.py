"""A small mixed-codec source folder for the data-preparation tools' tests, and the PSNR they compare frames by."""
import os.path as osp

import numpy as np

from tools.data.make_codec_corpus import write_video

#: The annotation list :func:`write_codec_sources` writes (``a.mp4`` class 3, ``sub/b.webm`` class 1, a junk file).
TRAIN_LIST = 'a.mp4 3\nsub/b.webm 1\njunk.mp4 2\n'


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio of two uint8 images or clips, in dB (inf when equal)."""
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float('inf') if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def write_codec_sources(root: str, num_frames: int) -> str:
    """Write a long-GOP H.264 clip ``a.mp4``, a VP9 clip ``sub/b.webm`` (``num_frames`` frames each, 128x96, 25 fps),
    a junk ``junk.mp4`` and the list ``train.txt`` (:data:`TRAIN_LIST`) under ``root``; returns ``root``."""
    write_video(osp.join(root, 'a.mp4'), 'libx264', 128, 96, 25, 250, {'crf': '20', 'preset': 'ultrafast'},
                num_frames, seed=0)
    write_video(osp.join(root, 'sub', 'b.webm'), 'libvpx-vp9', 128, 96, 25, 250,
                {'crf': '30', 'b': '0', 'deadline': 'realtime', 'cpu-used': '8'}, num_frames, seed=1)
    with open(osp.join(root, 'junk.mp4'), 'wb') as f:
        f.write(b'not a video at all' * 10)
    with open(osp.join(root, 'train.txt'), 'w') as f:
        f.write(TRAIN_LIST)
    return root
