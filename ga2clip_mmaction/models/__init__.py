"""Registered model components: backbone, head, loss, recognizer, data preprocessor."""
from .clip_configs import register as _register_clip_configs

_register_clip_configs()
