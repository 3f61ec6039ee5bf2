"""Open a video with PyAV for keyframe-aware decoding: a drop-in for ``DecordInit``."""
import os.path as osp
from typing import Dict

from mmcv.transforms import BaseTransform
from mmaction.registry import TRANSFORMS

from .keyframe_video_reader import KeyframeVideoReader


@TRANSFORMS.register_module()
class KeyframePyAVInit(BaseTransform):
    """Open ``filename`` with :class:`KeyframeVideoReader` (PyAV, frame-accurate seeking to keyframes).

    Replaces ``DecordInit`` in a pipeline (pair it with :class:`KeyframePyAVDecode`); it writes the same
    keys. Errors (missing file, no video stream, undecodable container) are raised here, so
    ``RobustVideoDataset`` classifies the video as bad, as it does with decord. MMAction2's own ``PyAVInit`` /
    ``PyAVDecode`` decode every frame up to the last wanted one; this pair seeks.

    Required keys: ``filename``. Added keys: ``video_reader``, ``total_frames``, ``avg_fps``.

    Args:
        num_threads (int): FFmpeg decoding threads (``0``: FFmpeg's choice). Defaults to 1 (a data worker is
            one core).
    """

    def __init__(self, num_threads: int = 1) -> None:
        if num_threads < 0:
            raise ValueError(f'KeyframePyAVInit: num_threads must be >= 0, got {num_threads}')
        self.num_threads = num_threads

    def transform(self, results: Dict) -> Dict:
        """Open the video.

        Args:
            results (dict): The result dict with ``filename``.

        Returns:
            dict: ``results`` with ``video_reader``, ``total_frames`` and ``avg_fps``.
        """
        filename = results['filename']
        if osp.splitext(filename)[0] == filename:  # as DecordInit: no extension means .mp4
            filename = filename + '.mp4'
        reader = KeyframeVideoReader(filename, num_threads=self.num_threads)
        results['video_reader'] = reader
        results['total_frames'] = len(reader)
        results['avg_fps'] = reader.fps
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(num_threads={self.num_threads})'
