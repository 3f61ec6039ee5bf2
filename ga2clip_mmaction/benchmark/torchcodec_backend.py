"""torchcodec as a decoding backend of ``tools/benchmark_data.py``: transforms in place of ``DecordInit`` /
``DecordDecode`` (benchmark only, not registered: ``docs/data_path.md``, "torchcodec") and the check of whether it
can run here."""
import os.path as osp
from typing import Dict, Optional

import numpy as np
from mmcv.transforms import BaseTransform


class TorchcodecInit(BaseTransform):
    """Open ``filename`` with torchcodec's ``VideoDecoder`` (benchmark only: not registered, see
    ``docs/data_path.md``, "torchcodec"). Writes what ``DecordInit`` writes; errors are raised here.

    Args:
        seek_mode (str): ``'exact'`` (scans the file's packets when opening) or ``'approximate'`` (trusts the
            container's header). Defaults to ``'exact'``.
        num_threads (int): FFmpeg decoding threads. Defaults to 1 (a data worker is one core).
    """

    def __init__(self, seek_mode: str = 'exact', num_threads: int = 1) -> None:
        self.seek_mode = seek_mode
        self.num_threads = num_threads

    def transform(self, results: Dict) -> Dict:
        """Open the video; adds ``video_reader``, ``total_frames`` and ``avg_fps``."""
        from torchcodec.decoders import VideoDecoder
        filename = results['filename']
        if osp.splitext(filename)[0] == filename:  # as DecordInit: no extension means .mp4
            filename = filename + '.mp4'
        decoder = VideoDecoder(filename, seek_mode=self.seek_mode, num_ffmpeg_threads=self.num_threads,
                               dimension_order='NHWC')
        results['video_reader'] = decoder
        results['total_frames'] = len(decoder)
        results['avg_fps'] = decoder.metadata.average_fps
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(seek_mode={self.seek_mode!r}, num_threads={self.num_threads})'


class TorchcodecDecode(BaseTransform):
    """Decode ``frame_inds`` with ``VideoDecoder.get_frames_at`` (RGB ``H x W x 3`` uint8 frames in the order of
    ``frame_inds``, as ``DecordDecode``), then drop the decoder. decord's frames on MP4 and WebM; on AVI with packed
    B-frames its frame numbers are 1-2 behind decord's (measured), so it is not a drop-in there."""

    def transform(self, results: Dict) -> Dict:
        """Decode the frames; adds ``imgs``, ``original_shape`` and ``img_shape``."""
        frame_inds = results['frame_inds']
        if frame_inds.ndim != 1:
            frame_inds = np.squeeze(frame_inds)
            results['frame_inds'] = frame_inds
        try:
            frames = results['video_reader'].get_frames_at(frame_inds.tolist()).data.numpy()
        finally:
            results['video_reader'] = None
        imgs = list(frames)
        results['imgs'] = imgs
        results['original_shape'] = imgs[0].shape[:2]
        results['img_shape'] = imgs[0].shape[:2]
        return results


def torchcodec_unavailable() -> Optional[str]:
    """Why the torchcodec backends cannot run here, or None when they can.

    torchcodec is not a dependency of this project: its wheel (0.12 and later pair with torch >= 2.11) loads
    FFmpeg's shared libraries (libavcodec etc., FFmpeg 4-9) from the system, which pip cannot install. ``import
    torchcodec`` succeeds without them (``torchcodec.ffmpeg_major_version`` is then None).
    """
    try:
        import av  # noqa: F401 - before torchcodec: its FFmpeg loaded first breaks PyAV's libvpx-vp9 encoder
    except ImportError:
        pass
    try:
        import torchcodec
    except Exception as e:  # ImportError, or a torch ABI mismatch raised while loading its libraries
        return f'torchcodec does not import ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ""})'
    if getattr(torchcodec, 'ffmpeg_major_version', None) is None:
        return (f'torchcodec {getattr(torchcodec, "__version__", "?")} imports but finds no FFmpeg shared libraries '
                '(libavcodec, libavformat, libavutil, libswscale, libswresample, FFmpeg 4-9: apt-get install '
                'libavcodec59 ... or conda install ffmpeg)')
    return None
