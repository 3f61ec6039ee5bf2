"""Workarounds for upstream bugs in the pinned OpenMMLab stack, applied in one place.

``import ga2clip_mmaction`` calls :func:`apply_all` before anything of ours imports ``mmaction.models``. Every
fix

* detects the bug itself (by probing the installed code, never by version number alone) and does nothing when
  the bug is absent, so a fixed upstream release is never patched;
* says which upstream bug it works around and when it can be deleted;
* is idempotent, and records whether it acted in :data:`APPLIED`.

Two fixes of mmaction2 (:mod:`.mmaction_fixes`) probe at import: a directory lookup and one call on a 1x1
image. The fix of MMEngine's distributed path (:mod:`.distributed`) probes MMEngine internals with mocks, so it
runs at the first launcher or DDP use instead (``APPLIED['distributed_without_cuda']`` appears then).

Secure checkpoint loading under torch >= 2.6 (MMEngine 0.10.7 calls ``torch.load`` without ``weights_only``)
is not a compatibility fix but a policy that holds for every MMEngine release; it lives in
:mod:`ga2clip_mmaction.utils.checkpoint` and is installed by the package ``__init__``.
"""
from typing import Callable, Dict

from . import distributed
from .mmaction_fixes import fix_colorjitter_hue_numpy2, fix_missing_drn_localizer

#: Name of each fix -> whether it acted in this process (``False``: bug absent, nothing done).
APPLIED: Dict[str, bool] = {}

#: Fixes applied at import, in the order they must run. The DRN fix must precede any ``mmaction.models`` import.
FIXES: Dict[str, Callable[[], bool]] = {
    'missing_drn_localizer': fix_missing_drn_localizer,
    'colorjitter_hue_numpy2': fix_colorjitter_hue_numpy2,
}

#: Fixes applied at their first use (name -> installer of the first-use stand-ins).
LAZY_FIXES: Dict[str, Callable[[Dict[str, bool]], None]] = {
    distributed.NAME: distributed.install_on_first_use,
}


def apply_all() -> Dict[str, bool]:
    """Apply every import-time fix whose bug is present and arm the first-use ones (idempotent).

    Returns:
        dict[str, bool]: For each fix that ran, whether it acted in this process.
    """
    for name, fix in FIXES.items():
        if name not in APPLIED:
            APPLIED[name] = fix()
    for install in LAZY_FIXES.values():
        install(APPLIED)
    return dict(APPLIED)


def apply_distributed_now() -> bool:
    """Run the distributed fix now rather than at its first use (idempotent).

    Returns:
        bool: Whether it acted.
    """
    return distributed.apply_now(APPLIED)
