"""Registered dataset components: the anchor-set wrapper, its batch sampler and extra transforms."""
from .anchor_set import AnchorSetDataset
from .samplers import AnchorBatchSampler
from .split_files import (ClipIndex, VideoEntry, has_time_span, read_video_list, source_video_id,
                          video_id)
from .transforms import RandomGrayscale, SegmentSample

__all__ = [
    'AnchorSetDataset', 'AnchorBatchSampler', 'ClipIndex', 'RandomGrayscale', 'SegmentSample', 'VideoEntry',
    'has_time_span', 'read_video_list', 'source_video_id', 'video_id'
]
