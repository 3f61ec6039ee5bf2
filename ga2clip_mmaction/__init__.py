"""GA2-CLIP for MMAction2.

Importing this package (configs do it with
``custom_imports = dict(imports=['ga2clip_mmaction'], allow_failed_imports=False)``)

1. applies the upstream compatibility fixes of :mod:`ga2clip_mmaction.compat` before anything
   imports ``mmaction.models``;
2. installs secure checkpoint loading (:mod:`ga2clip_mmaction.utils.checkpoint`);
3. registers every component of this package into ``mmaction.registry``.
"""
try:
    import mmcv  # noqa: F401  (mmcv-lite or the full mmcv; setup.py's extras `lite` / `full`)
except ImportError as err:
    raise ImportError('ga2clip_mmaction needs MMCV (>=2.0.0, <2.2.0), which is not installed: '
                      'pip install "ga2clip_mmaction[lite]" (mmcv-lite, enough for recognition), or install the '
                      'full mmcv, e.g. mim install "mmcv>=2.0.0,<2.2.0"') from err

from . import compat  # noqa: E402

compat.apply_all()

from .utils import checkpoint as _checkpoint  # noqa: E402

_checkpoint.install()

from . import datasets, engine, evaluation, models  # noqa: E402,F401
from .version import __version__  # noqa: E402

__all__ = ['__version__', 'compat']
