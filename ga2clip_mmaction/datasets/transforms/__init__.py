"""Registered data transforms that MMAction2 lacks for the GA2-CLIP recipe."""
from .keyframe_pyav_decode import KeyframePyAVDecode
from .keyframe_pyav_init import KeyframePyAVInit
from .random_grayscale import RandomGrayscale
from .segment_clips import SegmentClips
from .segment_sample import SegmentSample

__all__ = ['KeyframePyAVDecode', 'KeyframePyAVInit', 'RandomGrayscale', 'SegmentClips', 'SegmentSample']
