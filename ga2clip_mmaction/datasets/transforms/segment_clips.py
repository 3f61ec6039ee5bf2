"""Several deterministic test clips per video from the same segments (multi-view testing)."""
import numpy as np
from mmaction.registry import TRANSFORMS

from .segment_sample import SegmentSample


@TRANSFORMS.register_module()
class SegmentClips(SegmentSample):
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
        super().__init__(num_segments=num_segments, test_mode=True)
        self.num_clips = num_clips

    def frame_indices(self, num_frames: int) -> np.ndarray:
        """Frame indices (0-based) of all clips, clip after clip.

        Args:
            num_frames (int): Number of frames of the video.

        Returns:
            np.ndarray: ``[num_clips * num_segments]`` int64 indices.
        """
        starts, lengths = self.segment_bounds(num_frames)
        clips = [starts + (k * lengths) // self.num_clips for k in range(self.num_clips)]
        return np.concatenate(clips).astype(np.int64)
