"""Compare two dataset fingerprint manifests (:mod:`~ga2clip_mmaction.data_prep.fingerprint`) video by video.

Kinds of difference (:data:`KINDS`): a video listed in one manifest only or whose file is absent on one side
(``missing_in_a`` / ``missing_in_b``; ``missing_in_both``), that cannot be decoded on a side (``unreadable``),
with another frame count (``truncated``: fewer frames in B, ``padded``: more), or with the same count and other
decoded frames (``re-encoded``). Videos whose frame count and frame hashes agree agree, whatever their container or
byte size (re-muxed copies agree; :func:`diff_manifests` lists them as ``remuxed`` for information).
"""
from typing import Any, Dict, List

#: Kinds of difference, in report order.
KINDS = ('missing_in_a', 'missing_in_b', 'missing_in_both', 'unreadable', 'truncated', 'padded', 're-encoded')


def _state(entry: Dict[str, Any]) -> str:
    if entry is None or entry.get('missing'):
        return 'missing'
    return 'unreadable' if entry.get('error') else 'ok'


def diff_manifests(a: Dict[str, Any], b: Dict[str, Any]) -> Dict[str, Any]:
    """Classify every video of two manifests.

    Args:
        a (dict): Manifest A (the reference; its annotation order is kept).
        b (dict): Manifest B.

    Returns:
        dict: ``{kind: [{'id', 'detail'}, ...]}`` for each of :data:`KINDS`, ``agree`` (ids, A's order) and
        ``remuxed`` (agreeing ids whose container, codec or size differ).
    """
    result: Dict[str, Any] = {kind: [] for kind in KINDS}
    result.update(agree=[], remuxed=[])
    va, vb = a['videos'], b['videos']
    order = list(dict.fromkeys([i for i, _ in a['annotation']] + [i for i, _ in b['annotation']]))
    for vid in order:
        ea, eb = va.get(vid), vb.get(vid)
        sa, sb = _state(ea), _state(eb)
        if sa == 'missing' or sb == 'missing':
            if sa != sb:
                kind = 'missing_in_a' if sa == 'missing' else 'missing_in_b'
                where = 'not listed' if (ea if sa == 'missing' else eb) is None else 'file absent'
                result[kind].append(dict(id=vid, detail=where))
            else:
                result['missing_in_both'].append(dict(id=vid, detail='absent on both sides'))
            continue
        if sa == 'unreadable' or sb == 'unreadable':
            detail = '; '.join(f'{side}: {e["error"]}' for side, e in (('A', ea), ('B', eb)) if e.get('error'))
            result['unreadable'].append(dict(id=vid, detail=detail))
            continue
        if ea['frames'] != eb['frames']:
            kind = 'truncated' if eb['frames'] < ea['frames'] else 'padded'
            result[kind].append(dict(id=vid, detail=f'{ea["frames"]} frames in A, {eb["frames"]} in B'))
            continue
        if ea['frames_sha256'] != eb['frames_sha256']:
            same = [i for i, h in ea['frame_hashes'].items() if eb['frame_hashes'].get(i) == h]
            details = [f'{len(same)} of {len(ea["frame_hashes"])} hashed frames equal']
            for key in ('width', 'height', 'codec', 'container', 'fps', 'size'):
                if ea.get(key) != eb.get(key):
                    details.append(f'{key} {ea.get(key)} -> {eb.get(key)}')
            result['re-encoded'].append(dict(id=vid, detail=', '.join(details)))
            continue
        result['agree'].append(vid)
        if any(ea.get(k) != eb.get(k) for k in ('container', 'codec', 'size')):
            result['remuxed'].append(vid)
    return result


def common_annotation(a: Dict[str, Any], diff: Dict[str, Any]) -> List[str]:
    """The lines of A's annotation file whose videos agree (A's order)."""
    agree = set(diff['agree'])
    return [line for vid, line in a['annotation'] if vid in agree]
