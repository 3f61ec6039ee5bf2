"""TSN-style segment sampling: one frame per segment, random (train) or the segment's first frame (test)."""
from typing import Dict, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmaction.registry import TRANSFORMS


@TRANSFORMS.register_module()
class SegmentSample(BaseTransform):
    """Split the video into ``num_segments`` equal segments and take one frame from each.

    Segment ``i`` covers frames ``[floor(i * N / S), floor((i + 1) * N / S))`` of a video of ``N`` frames
    (``S = num_segments``). Training takes a uniformly random frame of each segment, testing its first
    frame (the released recipe). Videos shorter than ``S`` frames repeat frames (a segment with no frame of
    its own uses the frame at its start). The output is one clip of ``S`` frames, so
    ``FormatShape('NCTHW')`` gives ``[1, C, S, H, W]``.

    MMAction2's ``UniformSample`` and ``SampleFrames(clip_len=1, num_clips=S)`` take the middle of each
    segment in test mode, and the latter makes ``S`` one-frame clips.

    Required keys: ``total_frames``, ``start_index``. Added keys: ``frame_inds``, ``clip_len``,
    ``frame_interval``, ``num_clips``.

    Args:
        num_segments (int): Number of segments (= frames per clip). Defaults to 32.
        test_mode (bool): Take the first frame of each segment instead of a random one. Defaults to False.
    """

    def __init__(self, num_segments: int = 32, test_mode: bool = False) -> None:
        if num_segments <= 0:
            raise ValueError(f'SegmentSample: num_segments must be positive, got {num_segments}')
        self.num_segments = num_segments
        self.test_mode = test_mode

    #: Clips per video produced by :meth:`transform` (``SegmentClips`` draws several).
    num_clips: int = 1

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

    def transform(self, results: Dict) -> Dict:
        """Add the frame indices of the clip(s).

        Args:
            results (dict): The pipeline results.

        Returns:
            dict: ``results`` with the added keys.
        """
        inds = self.frame_indices(int(results['total_frames']))
        results['frame_inds'] = (inds + results.get('start_index', 0)).astype(np.int32)
        results['clip_len'] = self.num_segments
        results['frame_interval'] = None
        results['num_clips'] = self.num_clips
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_segments={self.num_segments}, '
                f'test_mode={self.test_mode})')
