"""Open a video with PyAV for keyframe-aware decoding: a drop-in for ``DecordInit``."""
import io
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
        io_backend (str): Storage backend of the videos, as ``DecordInit``'s (``'disk'``: read from the file
            system; another name, e.g. ``'petrel'`` or ``'http'``, reads the bytes through MMEngine's file backend
            of that name, built with ``kwargs``). Defaults to ``'disk'``.
        num_threads (int): FFmpeg decoding threads (``0``: FFmpeg's choice). Defaults to 1 (a data worker is
            one core).
        **kwargs: Arguments of the file backend (``DecordInit``'s ``kwargs``).
    """

    def __init__(self, io_backend: str = 'disk', num_threads: int = 1, **kwargs) -> None:
        if num_threads < 0:
            raise ValueError(f'KeyframePyAVInit: num_threads must be >= 0, got {num_threads}')
        self.io_backend = io_backend
        self.num_threads = num_threads
        self.kwargs = kwargs
        self._backend = None

    def _file(self, filename: str):
        """The video's bytes from the storage backend (None: open the path itself)."""
        if self.io_backend == 'disk' and not self.kwargs:
            return None
        if self._backend is None:
            from mmengine.fileio import get_file_backend
            name = 'local' if self.io_backend == 'disk' else self.io_backend
            self._backend = get_file_backend(backend_args=dict(backend=name, **self.kwargs))
        return io.BytesIO(self._backend.get(filename))

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
        reader = KeyframeVideoReader(filename, num_threads=self.num_threads, file=self._file(filename))
        results['video_reader'] = reader
        results['total_frames'] = len(reader)
        results['avg_fps'] = reader.fps
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(io_backend={self.io_backend}, num_threads={self.num_threads})'
