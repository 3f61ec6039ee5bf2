"""Frame-accurate random access to a video with PyAV, seeking to the keyframe before each wanted frame."""
import bisect
from typing import Dict, List, Optional, Sequence

import numpy as np

try:
    # Imported with the package, before decord is: decord bundles its own FFmpeg libraries, and PyAV loaded after
    # them fails to open some encoders (libvpx-vp9: "Invalid argument"), seen with av 18.1 and decord 0.6.
    import av  # noqa: F401
except ImportError:  # the `data` extra is optional; KeyframeVideoReader says what to install
    av = None


class KeyframeVideoReader:
    """Random access by frame index (presentation order, as decord numbers frames) with PyAV.

    Opening demuxes the packets once (no decoding) to learn every frame's timestamp and which frames are
    keyframes. :meth:`get_batch` then decodes the wanted frames in increasing order: it keeps decoding
    forward while the next wanted frame is before the next keyframe, and seeks to the keyframe at or before
    it otherwise. On a long-GOP video this decodes what decord decodes; on a short-GOP or all-intra video it
    decodes little more than the wanted frames.

    Args:
        filename (str): Path of the video (also its name in messages).
        num_threads (int): FFmpeg decoding threads (``0``: FFmpeg's choice). Defaults to 1.
        file (file-like, optional): The video's bytes (e.g. ``io.BytesIO`` from a remote storage backend), read
            instead of ``filename``. Defaults to None.

    Raises:
        ValueError: The file has no video stream or no frames.
    """

    def __init__(self, filename: str, num_threads: int = 1, file=None) -> None:
        if av is None:
            raise ImportError('KeyframeVideoReader needs PyAV: pip install -e ".[data]" (or pip install av)')
        self.filename = filename
        self.container = av.open(filename if file is None else file)
        try:
            self._index(num_threads)
        except BaseException:  # a demux error: close the file now, not when garbage collection gets to it
            self.close()
            raise

    def _index(self, num_threads: int) -> None:
        """Demux the packets once: timestamps, keyframes, frame count (raises on a bad container)."""
        filename = self.filename
        if not self.container.streams.video:
            raise ValueError(f'{filename}: no video stream')
        self.stream = self.container.streams.video[0]
        self.stream.thread_count = num_threads
        if num_threads != 1:
            self.stream.thread_type = 'AUTO'
        pts: List[int] = []
        keys: List[int] = []
        for packet in self.container.demux(self.stream):
            if packet.size == 0:
                continue
            pts.append(packet.pts)
            keys.append(bool(packet.is_keyframe))
        if not pts:
            raise ValueError(f'{filename}: no video frames')
        #: Frames have usable timestamps, else decoding is sequential, counting frames. AVI gives packet-order
        #: timestamps that packed B-frames (DivX) break, so AVI is decoded sequentially (as decord numbers it).
        self.seekable = (all(p is not None for p in pts)
                         and 'avi' not in self.container.format.name.split(','))
        if self.seekable:
            order = np.argsort(np.asarray(pts, dtype=np.int64), kind='stable')
            self.pts = [int(pts[i]) for i in order]
            self._index_of: Dict[int, int] = {p: i for i, p in enumerate(self.pts)}
            # A keyframe packet's timestamp is where decoding can start; the frames it covers are those from it.
            self.key_frames = sorted(self._index_of[pts[i]] for i, k in enumerate(keys) if k)
            if not self.key_frames or self.key_frames[0] != 0:
                self.key_frames = [0] + self.key_frames
        rate = self.stream.average_rate or self.stream.guessed_rate
        self.fps = float(rate) if rate else 30.0
        self.num_frames = len(pts)
        self._frames = None  # live decoding iterator
        self._position = -1  # index of the last frame it gave

    def __len__(self) -> int:
        return self.num_frames

    def close(self) -> None:
        """Close the file."""
        self.container.close()

    def _restart(self, index: int) -> None:
        """Position the decoder at the keyframe at or before frame ``index``."""
        if self.seekable:
            key = self.key_frames[bisect.bisect_right(self.key_frames, index) - 1]
            self.container.seek(self.pts[key], stream=self.stream, backward=True, any_frame=False)
        else:
            self.container.seek(0)
        self._frames = self.container.decode(self.stream)
        self._position = -1

    def _next_key_after(self, index: int) -> Optional[int]:
        pos = bisect.bisect_right(self.key_frames, index)
        return self.key_frames[pos] if pos < len(self.key_frames) else None

    def get_batch(self, indices: Sequence[int]) -> List[np.ndarray]:
        """RGB frames (``H x W x 3`` uint8) at ``indices`` (any order, repeats allowed).

        Args:
            indices (Sequence[int]): Frame indices in ``[0, len(self))``.

        Returns:
            list[np.ndarray]: One frame per index, in the order of ``indices``.

        Raises:
            IndexError: An index is out of range, or the file does not give that frame.
        """
        wanted = sorted({int(i) for i in indices})
        if wanted and (wanted[0] < 0 or wanted[-1] >= self.num_frames):
            raise IndexError(f'{self.filename}: frame indices {wanted[0]}..{wanted[-1]} outside '
                             f'[0, {self.num_frames})')
        got: Dict[int, np.ndarray] = {}
        for target in wanted:
            if self._frames is None or self._position >= target:
                self._restart(target)
            elif self.seekable:
                next_key = self._next_key_after(self._position)
                if next_key is not None and next_key <= target:
                    self._restart(target)
            for frame in self._frames:
                if self.seekable:
                    if frame.pts is None or frame.pts not in self._index_of:
                        continue
                    self._position = self._index_of[frame.pts]
                else:
                    self._position += 1
                if self._position == target:
                    got[target] = frame.to_ndarray(format='rgb24')
                    break
                if self._position > target:
                    break
            if target not in got:
                raise IndexError(f'{self.filename}: the decoder did not give frame {target} '
                                 f'(of {self.num_frames})')
        return [got[int(i)] for i in indices]
