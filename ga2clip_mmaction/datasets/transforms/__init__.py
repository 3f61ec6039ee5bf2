"""Registered data transforms that MMAction2 lacks for the GA2-CLIP recipe."""
from .device_aug_record import DEVICE_AUG_KEY, device_aug_record
from .flip_params import FlipParams
from .keyframe_pyav_decode import KeyframePyAVDecode
from .keyframe_pyav_init import KeyframePyAVInit
from .random_grayscale import LUMA_RGB, VideoRandomGrayscale
from .random_grayscale_params import RandomGrayscaleParams
from .random_resized_crop_params import RandomResizedCropParams
from .resize_params import ResizeParams
from .segment_clips import SegmentClips
from .segment_sample import SegmentSample

__all__ = [
    'DEVICE_AUG_KEY', 'FlipParams', 'KeyframePyAVDecode', 'KeyframePyAVInit', 'LUMA_RGB', 'VideoRandomGrayscale',
    'RandomGrayscaleParams', 'RandomResizedCropParams', 'ResizeParams', 'SegmentClips', 'SegmentSample',
    'device_aug_record'
]
