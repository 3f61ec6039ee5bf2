"""Several deterministic test clips per video from the same segments (multi-view testing)."""
from typing import Dict

import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform


@TRANSFORMS.register_module()
class SegmentClips(BaseTransform):
    """Split the video into ``num_segments`` equal segments; clip ``k`` of ``num_clips`` takes
    the frame at ``k / num_clips`` of each segment.

    Segments are those of :class:`SegmentSample`: segment ``i`` covers frames
    ``[floor(i * N / S), floor((i + 1) * N / S))``. Clip 0 takes each segment's first frame, so
    ``num_clips=1`` is exactly ``SegmentSample(test_mode=True)`` (the released 1-clip test), and
    the clips of ``num_clips > 1`` interleave evenly inside the segments. Each clip has
    ``num_segments`` frames; ``FormatShape('NCTHW')`` then gives ``[num_clips * crops, C, S, H, W]``,
    the views that the recognizer averages (``view_average``).

    Required keys: ``total_frames``, ``start_index``. Added keys: ``frame_inds`` (clip-major),
    ``clip_len``, ``frame_interval``, ``num_clips``.

    Args:
        num_segments (int): Number of segments (= frames per clip). Defaults to 32.
        num_clips (int): Number of temporal clips. Defaults to 1.
        test_mode (bool): Must be True (a deterministic test-time sampler); accepted so that
            ``SegmentSample(test_mode=True)`` becomes ``SegmentClips`` by changing its ``type``
            only. Defaults to True.
    """

    def __init__(self, num_segments: int = 32, num_clips: int = 1, test_mode: bool = True) -> None:
        if num_segments <= 0 or num_clips <= 0:
            raise ValueError(f'SegmentClips: num_segments and num_clips must be positive, got '
                             f'{num_segments} and {num_clips}')
        if not test_mode:
            raise ValueError('SegmentClips is a test-time sampler: use SegmentSample for training')
        self.num_segments = num_segments
        self.num_clips = num_clips

    def frame_indices(self, num_frames: int) -> np.ndarray:
        """Frame indices (0-based) of all clips, clip after clip.

        Args:
            num_frames (int): Number of frames of the video.

        Returns:
            np.ndarray: ``[num_clips * num_segments]`` int64 indices.
        """
        if num_frames <= 0:
            raise ValueError(f'SegmentClips: the video has no frames (total_frames={num_frames})')
        bounds = (np.arange(self.num_segments + 1) * num_frames) // self.num_segments
        starts = bounds[:-1]
        lengths = np.maximum(bounds[1:] - starts, 1)
        clips = [starts + (k * lengths) // self.num_clips for k in range(self.num_clips)]
        return np.concatenate(clips).astype(np.int64)

    def transform(self, results: Dict) -> Dict:
        """Add the frame indices of the clips.

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
                f'num_clips={self.num_clips})')
