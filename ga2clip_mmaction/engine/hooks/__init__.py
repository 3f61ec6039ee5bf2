"""Registered hooks."""
from .amp_dtype_hook import AmpDtypeHook
from .bad_video_hook import BadVideoHook
from .class_names_hook import ClassNamesHook
from .clip_visualization_hook import ClipVisualizationHook
from .config_check_hook import ConfigCheckHook
from .inert_anchor_hook import InertAnchorHook
from .preemption_hook import PreemptionHook
from .resumable_randomness_hook import ResumableRandomnessHook
from .small_checkpoint_hook import SmallCheckpointHook
from .small_checkpoint_refill_hook import SmallCheckpointRefillHook

__all__ = ['AmpDtypeHook', 'BadVideoHook', 'ClassNamesHook', 'ClipVisualizationHook', 'ConfigCheckHook',
           'InertAnchorHook', 'PreemptionHook', 'ResumableRandomnessHook', 'SmallCheckpointHook',
           'SmallCheckpointRefillHook']
