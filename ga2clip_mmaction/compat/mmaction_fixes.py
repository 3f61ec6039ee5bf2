"""Fix of the installed mmaction2 package: the DRN localizer missing from its wheel. The probe is a directory
lookup and runs at ``import ga2clip_mmaction``, before anything imports ``mmaction.models``."""
import importlib.util
import os.path as osp
import sys
import types


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

    Fix: register placeholder modules ``mmaction.models.localizers.drn[.drn]`` whose ``DRN`` is registered in
    ``mmaction.registry.MODELS`` under MMAction2's own name, as the real module would, so that ``type='DRN'``
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

    from mmaction.registry import MODELS  # the registries only: mmaction.models is not imported
    if 'DRN' not in MODELS.module_dict:
        MODELS.register_module(name='DRN', module=DRN)
    pkg = types.ModuleType('mmaction.models.localizers.drn')
    pkg.__path__ = []  # mark as a package
    mod = types.ModuleType('mmaction.models.localizers.drn.drn')
    mod.DRN = DRN
    pkg.drn = mod
    sys.modules[pkg.__name__] = pkg
    sys.modules[mod.__name__] = mod
    return True
