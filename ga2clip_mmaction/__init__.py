"""GA2-CLIP for MMAction2.

Importing this package (configs do it with
``custom_imports = dict(imports=['ga2clip_mmaction'], allow_failed_imports=False)``)

registers every component of this package into ``mmaction.registry`` under our own names, and changes no
object that MMEngine, MMAction2, mmcv or torch own, except for the documented list (docs/design.md, "What importing
the plugin changes"; ``tests/test_import_side_effects.py`` checks both):

1. the DRN placeholder (:mod:`ga2clip_mmaction.compat`), without which ``mmaction.models`` does not import from
   the mmaction2 1.2.0 wheel; it must come before anything imports ``mmaction.models``;
2. our open_clip model configs, added to open_clip's model-config registry (:mod:`ga2clip_mmaction.models.clip_configs`);
3. the globals MMEngine's own checkpoints need (``HistoryBuffer``, numpy scalars, ...), added to torch's
   ``weights_only`` allowlist with torch's own ``torch.serialization.add_safe_globals``
   (:func:`ga2clip_mmaction.utils.checkpoint.allow_mmengine_globals`): additive, so nothing torch accepts is refused,
   and ``mmaction.apis.init_recognizer`` loads a training checkpoint under torch >= 2.6.
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

_checkpoint.allow_mmengine_globals()

from . import datasets, engine, evaluation, models  # noqa: E402,F401
from .version import __version__  # noqa: E402

__all__ = ['__version__', 'compat']
