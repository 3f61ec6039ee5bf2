"""GA2-CLIP for MMAction2.

Importing this package (configs do it with
``custom_imports = dict(imports=['ga2clip_mmaction'], allow_failed_imports=False)``)

1. applies the upstream compatibility fixes of :mod:`ga2clip_mmaction.compat` before anything
   imports ``mmaction.models``;
2. installs secure checkpoint loading (:mod:`ga2clip_mmaction.utils.checkpoint`);
3. registers every component of this package into ``mmaction.registry``.
"""
from . import compat

compat.apply_all()

from .utils import checkpoint as _checkpoint  # noqa: E402

_checkpoint.install()

from . import datasets, engine, evaluation, models  # noqa: E402,F401
from .version import __version__  # noqa: E402

__all__ = ['__version__', 'compat']
