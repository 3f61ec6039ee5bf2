"""Registered data transforms that MMAction2 lacks for the GA2-CLIP recipe."""
from .random_grayscale import RandomGrayscale
from .segment_clips import SegmentClips
from .segment_sample import SegmentSample

__all__ = ['RandomGrayscale', 'SegmentClips', 'SegmentSample']
