"""Registered model components: backbone, temporal pooling, head, loss, recognizer, data preprocessor."""
from .clip_configs import register as _register_clip_configs

_register_clip_configs()

from . import data_preprocessors  # noqa: E402,F401
from .backbones import *  # noqa: E402,F401,F403
from .heads import *  # noqa: E402,F401,F403
from .losses import *  # noqa: E402,F401,F403
from .mappings import *  # noqa: E402,F401,F403
from .necks import *  # noqa: E402,F401,F403
from .recognizers import *  # noqa: E402,F401,F403
