""""None of these": a rejection threshold calibrated on the anchor set (videos of none of the classes).

A short class list makes softmax name one of its classes for any video. GA2-CLIP has a set of irrelevant videos,
the anchor set; the threshold is the score at which a chosen fraction (``fpr``) of anchor clips would still be
accepted, and a video scoring at or below it is reported as none of the classes.
"""
from typing import List, Sequence

import torch

#: The scores a threshold can be put on: max cosine, max softmax probability, energy (logsumexp of the logits).
SCORES = ('cosine', 'softmax', 'energy')


def known_score(cosine: torch.Tensor, logit_scale: float, kind: str = 'cosine') -> torch.Tensor:
    """How much a clip looks like one of the classes (higher: more).

    Args:
        cosine (Tensor): ``[N, C]`` cosine similarities with the class text features.
        logit_scale (float): ``exp(logit_scale)`` of the CLIP model (the logits are ``logit_scale * cosine``).
        kind (str): One of :data:`SCORES`. Defaults to ``'cosine'``.

    Returns:
        Tensor: ``[N]``.
    """
    if kind not in SCORES:
        raise ValueError(f'score must be one of {SCORES}, got {kind!r}')
    if kind == 'cosine':
        return cosine.max(dim=1).values
    logits = logit_scale * cosine
    if kind == 'softmax':
        return logits.softmax(dim=1).max(dim=1).values
    return torch.logsumexp(logits, dim=1)


def calibrate_threshold(anchor_scores: Sequence[float], fpr: float) -> float:
    """The threshold above which at most ``fpr`` of the anchor clips lie (as close to ``fpr`` as the count allows).

    Accepted means ``score > threshold``. With ``n`` anchors, the ``floor(fpr * n)`` highest are accepted.

    Args:
        anchor_scores (Sequence[float]): Scores of the anchor clips.
        fpr (float): Fraction of anchor clips to accept, in ``[0, 1)``.

    Returns:
        float: The threshold.

    Raises:
        ValueError: No anchor scores, or ``fpr`` outside ``[0, 1)``.
    """
    scores = sorted((float(s) for s in anchor_scores), reverse=True)
    if not scores:
        raise ValueError('no anchor clips to calibrate the rejection threshold on')
    if not 0 <= fpr < 1:
        raise ValueError(f'--reject-fpr must be in [0, 1), got {fpr}')
    return scores[int(fpr * len(scores))]


def auroc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """Area under the ROC curve: the probability that a positive scores above a negative (ties count half)."""
    pos = torch.as_tensor(list(positives), dtype=torch.float64)
    neg = torch.as_tensor(list(negatives), dtype=torch.float64)
    if pos.numel() == 0 or neg.numel() == 0:
        raise ValueError('AUROC needs positives and negatives')
    greater = (pos[:, None] > neg[None, :]).double().sum()
    ties = (pos[:, None] == neg[None, :]).double().sum()
    return float((greater + 0.5 * ties) / (pos.numel() * neg.numel()))


def anchor_videos(cfg) -> List[str]:
    """The anchor clips of a config (``train_dataloader``'s ``AnchorSetDataset``, after its leakage guard and
    subset).

    Raises:
        ValueError: The config has no anchor set.
    """
    from ..data_prep.config_videos import video_paths
    from mmaction.registry import DATASETS
    from mmengine.registry import init_default_scope
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    loader = cfg.get('train_dataloader') or {}
    spec = loader.get('dataset') if loader else None
    if not spec or 'anchor_dataset' not in spec:
        raise ValueError(f'{cfg.filename}: --reject-fpr calibrates on the anchor set, but '
                         f'train_dataloader.dataset has no anchor_dataset')
    return video_paths(DATASETS.build(spec).anchor_dataset)
