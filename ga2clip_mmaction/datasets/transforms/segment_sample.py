"""TSN-style segment sampling: one frame per segment, random (train) or the segment's first frame (test)."""
from typing import Tuple

import numpy as np
from mmaction.datasets.transforms import UniformSample
from mmaction.registry import TRANSFORMS


@TRANSFORMS.register_module()
class SegmentSample(UniformSample):
    """MMAction2's ``UniformSample`` (one clip of one frame per segment) with the released segment rule.

    Segment ``i`` covers frames ``[floor(i * N / S), floor((i + 1) * N / S))`` of a video of ``N`` frames
    (``S = num_segments``). Training takes a uniformly random frame of each segment, testing its first
    frame. Videos shorter than ``S`` frames repeat frames (a segment with no frame of its own uses the frame at
    its start). The output is one clip of ``S`` frames, so ``FormatShape('NCTHW')`` gives ``[1, C, S, H, W]``.
    Everything else (the keys it writes, ``frame_interval=None``, ``start_index``) is ``UniformSample``'s.

    Differences from ``UniformSample(clip_len=S)``, both from the released code: in test mode
    ``UniformSample`` takes the middle of each segment (here the first frame); in training its segments are
    ``[round(i * (N - 1) / S), round((i + 1) * (N - 1) / S)]`` with both ends included, so neighbouring
    segments share a frame and the draw is not the released one (8 frames, 4 segments: segment 0 draws from
    frames 0-2 there, 0-1 here).

    Required keys: ``total_frames``, ``start_index``. Added keys: ``frame_inds``, ``clip_len``,
    ``frame_interval``, ``num_clips``.

    Args:
        num_segments (int): Number of segments (= frames per clip). Defaults to 32.
        test_mode (bool): Take the first frame of each segment instead of a random one. Defaults to False.
    """

    def __init__(self, num_segments: int = 32, test_mode: bool = False) -> None:
        if num_segments <= 0:
            raise ValueError(f'{type(self).__name__}: num_segments must be positive, got {num_segments}')
        super().__init__(clip_len=num_segments, num_clips=1, test_mode=test_mode)

    @property
    def num_segments(self) -> int:
        """Number of segments (``UniformSample``'s ``clip_len``)."""
        return self.clip_len

    def segment_bounds(self, num_frames: int) -> Tuple[np.ndarray, np.ndarray]:
        """First frame and length (at least 1) of each segment.

        Args:
            num_frames (int): Number of frames of the video.

        Returns:
            tuple[np.ndarray, np.ndarray]: ``starts`` and ``lengths``, each ``[num_segments]``.

        Raises:
            ValueError: The video has no frames.
        """
        if num_frames <= 0:
            raise ValueError(f'{type(self).__name__}: the video has no frames (total_frames={num_frames})')
        bounds = (np.arange(self.num_segments + 1) * num_frames) // self.num_segments
        starts = bounds[:-1]
        return starts, np.maximum(bounds[1:] - starts, 1)

    def frame_indices(self, num_frames: int) -> np.ndarray:
        """Frame indices (0-based) for a video of ``num_frames`` frames.

        Args:
            num_frames (int): Number of frames of the video.

        Returns:
            np.ndarray: ``[num_segments]`` int64 indices.
        """
        starts, lengths = self.segment_bounds(num_frames)
        if self.test_mode:
            return starts.astype(np.int64)
        return np.random.randint(starts, starts + lengths).astype(np.int64)

    def _get_sample_clips(self, num_frames: int) -> np.ndarray:
        """``UniformSample``'s sampling step, with the segments above."""
        return self.frame_indices(int(num_frames))

    def __repr__(self) -> str:
        return f'{type(self).__name__}(num_segments={self.num_segments}, test_mode={self.test_mode})'
