"""The one workaround for the pinned OpenMMLab stack that must run at import: the DRN placeholder.

The mmaction2 1.2.0 wheel lacks ``mmaction/models/localizers/drn`` while ``mmaction.models`` imports it, so nothing
of MMAction2's models imports (open-mmlab/mmaction2#2714). ``import ga2clip_mmaction`` calls :func:`apply_all`
before anything of ours imports ``mmaction.models``. The fix detects the bug itself (a directory lookup, never a
version number) and does nothing when the bug is absent, is idempotent, and records whether it acted in
:data:`APPLIED`. It is one of the documented exceptions to "importing the plugin changes nothing it does not own"
(docs/design.md, "What importing the plugin changes").

Other upstream problems are handled by our own components, chosen in our configs, never by patching the
libraries: distributed training on CPUs (:class:`ga2clip_mmaction.engine.runners.GA2CLIPRunner`), atomic
checkpoint files (:mod:`ga2clip_mmaction.utils.atomic_write`), small checkpoints
(:mod:`ga2clip_mmaction.utils.small_checkpoint`); checkpoint loading uses torch's own allowlist
(:mod:`ga2clip_mmaction.utils.checkpoint`).
"""
from typing import Callable, Dict

from .mmaction_fixes import fix_missing_drn_localizer

#: Name of each fix -> whether it acted in this process (``False``: bug absent, nothing done).
APPLIED: Dict[str, bool] = {}

#: Fixes applied at import, in the order they must run. The DRN fix must precede any ``mmaction.models`` import.
FIXES: Dict[str, Callable[[], bool]] = {
    'missing_drn_localizer': fix_missing_drn_localizer,
}


def apply_all() -> Dict[str, bool]:
    """Apply every import-time fix whose bug is present (idempotent).

    Returns:
        dict[str, bool]: For each fix, whether it acted in this process.
    """
    for name, fix in FIXES.items():
        if name not in APPLIED:
            APPLIED[name] = fix()
    return dict(APPLIED)
