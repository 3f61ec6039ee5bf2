"""Registered dataset components: the anchor-set wrapper, its batch sampler and extra transforms."""
from .anchor_set import AnchorSetDataset
from .robust_video_dataset import BadVideoError, RobustVideoDataset
from .robust_rawframe_dataset import RobustRawframeDataset
from .samplers import AnchorBatchSampler, SeededBatchSampler
from .split_files import (ClipIndex, VideoEntry, has_time_span, read_video_list, source_video_id,
                          video_id)
from .transforms import (FlipParams, VideoRandomGrayscale, RandomGrayscaleParams, RandomResizedCropParams, ResizeParams,
                         SegmentClips, SegmentSample)
from .views import apply_test_views, apply_views_to_pipeline, build_test_pipeline, parse_views

__all__ = [
    'AnchorSetDataset', 'AnchorBatchSampler', 'SeededBatchSampler', 'BadVideoError', 'RobustVideoDataset', 'RobustRawframeDataset', 'ClipIndex', 'VideoRandomGrayscale', 'SegmentSample', 'VideoEntry',
    'has_time_span', 'read_video_list', 'source_video_id', 'video_id', 'SegmentClips',
    'apply_test_views', 'apply_views_to_pipeline', 'build_test_pipeline', 'parse_views', 'FlipParams',
    'RandomGrayscaleParams', 'RandomResizedCropParams', 'ResizeParams'
]
