"""Published GA2-CLIP top-1 accuracies (percent; arXiv 2511.22125, seed 1 only).

No zero-shot numbers are published.
"""
from typing import Dict, Optional

#: Base-to-novel: ``{dataset: {'base', 'novel', 'hm'}}``.
BASE_TO_NOVEL: Dict[str, Dict[str, float]] = {
    'k400': dict(base=77.0, novel=63.3, hm=69.5),
    'hmdb51': dict(base=78.3, novel=58.9, hm=67.2),
    'ucf101': dict(base=96.8, novel=75.2, hm=84.6),
    'ssv2': dict(base=18.7, novel=14.3, hm=16.2),
}

#: Few-shot on val split 1: ``{dataset: {shots: top1}}``.
FEW_SHOT: Dict[str, Dict[int, float]] = {
    'hmdb51': {2: 61.9, 4: 64.3, 8: 68.1, 16: 70.8},
    'ucf101': {2: 90.0, 4: 91.8, 8: 93.8, 16: 95.5},
    'ssv2': {2: 6.8, 4: 9.9, 8: 10.6, 16: 14.7},
}


def published_base_to_novel(dataset: Optional[str]) -> Optional[Dict[str, float]]:
    """Published base/novel/HM of a dataset (``'k400'``, ``'hmdb51'``, ``'ucf101'``, ``'ssv2'``).

    Args:
        dataset (str, optional): Dataset key.

    Returns:
        dict[str, float] | None: ``dict(base, novel, hm)`` in percent, None if not published.
    """
    return BASE_TO_NOVEL.get(dataset) if dataset else None


def published_few_shot(dataset: Optional[str], shots: Optional[int]) -> Optional[float]:
    """Published few-shot top-1 (percent) of a dataset and shot count, None if not published.

    Args:
        dataset (str, optional): Dataset key.
        shots (int, optional): Shots per class K.

    Returns:
        float | None: The top-1 accuracy in percent.
    """
    return FEW_SHOT.get(dataset, {}).get(shots) if dataset else None
