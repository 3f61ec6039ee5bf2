"""Fixes of the installed mmaction2 package: the DRN localizer missing from its wheel, and the numpy 2 hue
overflow of ``ColorJitter``. Both probes are cheap (a directory lookup; one call on a 1x1 image) and run at
``import ga2clip_mmaction``, the DRN one before anything imports ``mmaction.models``."""
import importlib.util
import os.path as osp
import sys
import types

import numpy as np


def _mmaction_dir() -> str:
    """Return the directory of the installed ``mmaction`` package without importing it."""
    spec = importlib.util.find_spec('mmaction')
    if spec is None or spec.origin is None:
        raise ImportError('mmaction2 is not installed; run `make setup`.')
    return osp.dirname(spec.origin)


def drn_missing() -> bool:
    """Whether the installed mmaction2 lacks ``mmaction/models/localizers/drn``."""
    return not osp.isdir(osp.join(_mmaction_dir(), 'models', 'localizers', 'drn'))


def fix_missing_drn_localizer() -> bool:
    """Make ``import mmaction.models`` work when the DRN localizer sources are missing.

    Upstream bug: the mmaction2 1.2.0 wheel and sdist on PyPI omit
    ``mmaction/models/localizers/drn`` while ``mmaction/models/localizers/__init__.py`` imports
    ``.drn.drn.DRN``, so ``import mmaction.models`` raises ``ModuleNotFoundError``
    (open-mmlab/mmaction2#2714).

    Fix: register placeholder modules ``mmaction.models.localizers.drn[.drn]`` whose ``DRN``
    raises a clear error when built. DRN (temporal grounding) is unrelated to recognition.

    Delete when: the mmaction2 release we pin ships the ``drn`` package (the probe then
    returns ``False`` and this fix is inert).

    Returns:
        bool: Whether the fix acted.
    """
    if not drn_missing() or 'mmaction.models.localizers.drn.drn' in sys.modules:
        return False

    class DRN:  # noqa: D401 - placeholder with a clear error
        """Placeholder for the DRN localizer missing from the mmaction2 1.2.0 wheel."""

        def __init__(self, *args, **kwargs):
            raise ImportError('DRN is missing from the installed mmaction2 wheel '
                              '(open-mmlab/mmaction2#2714); install mmaction2 from source '
                              'to use it.')

    pkg = types.ModuleType('mmaction.models.localizers.drn')
    pkg.__path__ = []  # mark as a package
    mod = types.ModuleType('mmaction.models.localizers.drn.drn')
    mod.DRN = DRN
    pkg.drn = mod
    sys.modules[pkg.__name__] = pkg
    sys.modules[mod.__name__] = mod
    return True


def colorjitter_hue_overflows() -> bool:
    """Whether mmaction's ``ColorJitter.adjust_hue`` fails on a negative hue shift."""
    from mmaction.datasets.transforms.processing import ColorJitter
    img = np.full((1, 1, 3), (255, 0, 0), dtype=np.float32)  # hue 0 in OpenCV's HSV
    try:
        ColorJitter.adjust_hue(img, -0.1)
    except OverflowError:
        return True
    return False


def _adjust_hue_int(img: np.ndarray, factor: float) -> np.ndarray:
    """Shift the hue of an RGB image by ``factor`` (fraction of 255), computed in int32."""
    import cv2
    img = np.clip(img, 0, 255).astype(np.uint8)
    hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)
    hue = (hsv[..., 0].astype(np.int32) + int(factor * 255)) % 180
    hsv[..., 0] = hue.astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB).astype(np.float32)


def fix_colorjitter_hue_numpy2() -> bool:
    """Make mmaction's ``ColorJitter`` hue shift work with numpy 2.

    Upstream bug: ``ColorJitter.adjust_hue`` adds a Python ``int`` offset to a ``uint8``
    array. Under numpy 2 (NEP 50) a negative offset raises ``OverflowError`` and a positive one
    wraps around 256 before the ``% 180``; numpy 1 upcast the negative case.

    Fix: replace the static method by one that shifts the hue in int32.

    Delete when: mmaction2 computes the hue shift in a wider dtype (the probe then returns
    ``False`` and this fix is inert).

    Returns:
        bool: Whether the fix acted.
    """
    if not colorjitter_hue_overflows():
        return False
    from mmaction.datasets.transforms.processing import ColorJitter
    ColorJitter.adjust_hue = staticmethod(_adjust_hue_int)
    return True
