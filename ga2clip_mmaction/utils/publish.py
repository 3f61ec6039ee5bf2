"""Publish a checkpoint (MMAction2's ``tools/publish_model.py`` convention): what loading needs, named by its sha256.

:func:`publish_checkpoint` keeps ``state_dict`` and the ``meta`` entries that loading and provenance need (a small
checkpoint's frozen-weight record, the dataset meta, the config text, epoch/iteration, seed, versions), drops the
optimizer, scheduler, message-hub and every other runtime state, and writes ``OUT_PREFIX-<first 8 hex of
sha256>.pth``. The file loads with ``tools/test.py`` and ``tools/infer.py`` as the original does (a small
checkpoint keeps its fingerprint, so it is refilled and checked against the config's ``clip.weights``).
"""
import hashlib
import os
import os.path as osp
from typing import Any, Dict, List, Tuple

import torch

from .checkpoint import safe_torch_load
from .small_checkpoint import SMALL_META_KEY, small_checkpoint_record

#: ``meta`` entries a published checkpoint keeps (the rest is runtime state of the run that wrote it).
KEEP_META = (SMALL_META_KEY, 'dataset_meta', 'cfg', 'epoch', 'iter', 'seed', 'experiment_name',
             'mmengine_version', 'mmaction_version', 'ga2clip_mmaction_version')


def strip_for_publishing(checkpoint: Dict[str, Any]) -> Tuple[Dict[str, Any], List[str]]:
    """The publishable part of a loaded checkpoint.

    Args:
        checkpoint (dict): An MMEngine checkpoint (``state_dict`` + ``meta`` + runtime state).

    Returns:
        tuple[dict, list[str]]: The published checkpoint (``state_dict``, ``meta``) and the names of what was
        dropped (top-level keys, and ``meta.<key>`` entries).

    Raises:
        KeyError: No ``state_dict`` (not a checkpoint written by MMEngine's Runner).
    """
    if not isinstance(checkpoint, dict) or not isinstance(checkpoint.get('state_dict'), dict):
        keys = sorted(checkpoint)[:5] if isinstance(checkpoint, dict) else type(checkpoint).__name__
        raise KeyError(f'not an MMEngine checkpoint: no `state_dict` (top level: {keys})')
    small_checkpoint_record(checkpoint)  # an old small-checkpoint record is refused, not published
    dropped = [k for k in checkpoint if k not in ('state_dict', 'meta')]
    meta = checkpoint.get('meta') or {}
    dropped += [f'meta.{k}' for k in meta if k not in KEEP_META]
    published = dict(state_dict=checkpoint['state_dict'], meta={k: meta[k] for k in KEEP_META if k in meta})
    return published, dropped


def publish_checkpoint(src: str, out_prefix: str) -> Tuple[str, List[str]]:
    """Write the published form of ``src`` as ``<out_prefix>-<sha256[:8]>.pth``.

    Args:
        src (str): Checkpoint written by training (secure loading).
        out_prefix (str): Output path without the digest (a trailing ``.pth`` is removed).

    Returns:
        tuple[str, list[str]]: The written file and what was dropped.
    """
    published, dropped = strip_for_publishing(safe_torch_load(src, map_location='cpu'))
    prefix = out_prefix[:-len('.pth')] if out_prefix.endswith('.pth') else out_prefix
    folder = osp.dirname(osp.abspath(prefix))
    os.makedirs(folder, exist_ok=True)
    tmp = f'{prefix}.publishing.{os.getpid()}'
    try:
        torch.save(published, tmp)
        digest = hashlib.sha256()
        with open(tmp, 'rb') as f:
            for block in iter(lambda: f.read(1 << 22), b''):
                digest.update(block)
        out = f'{prefix}-{digest.hexdigest()[:8]}.pth'
        os.replace(tmp, out)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    return out, dropped
