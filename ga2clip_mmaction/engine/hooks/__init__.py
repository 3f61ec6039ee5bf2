"""Registered hooks."""
from .bad_video_hook import BadVideoHook
from .class_names_hook import ClassNamesHook
from .clip_visualization_hook import ClipVisualizationHook
from .config_check_hook import ConfigCheckHook
from .resumable_randomness_hook import ResumableRandomnessHook

__all__ = ['BadVideoHook', 'ClassNamesHook', 'ClipVisualizationHook', 'ConfigCheckHook', 'ResumableRandomnessHook']
