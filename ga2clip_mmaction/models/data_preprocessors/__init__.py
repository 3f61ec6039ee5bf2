"""Registered data preprocessors."""
from .anchor_data_preprocessor import AnchorActionDataPreprocessor
from .device_augment import apply_device_aug
from .device_augment_data_preprocessor import DeviceAugmentDataPreprocessor

__all__ = ['AnchorActionDataPreprocessor', 'DeviceAugmentDataPreprocessor', 'apply_device_aug']
