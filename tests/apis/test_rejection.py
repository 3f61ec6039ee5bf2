"""ga2clip_mmaction.apis.rejection: scores, the anchor-calibrated threshold, AUROC."""
import math

import pytest
import torch

from ga2clip_mmaction.apis.rejection import auroc, calibrate_threshold, known_score


def test_calibrated_threshold_accepts_the_asked_fraction_of_anchors():
    anchors = torch.linspace(0, 1, 100).tolist()[::-1]
    t = calibrate_threshold(anchors, 0.05)
    assert sum(a > t for a in anchors) == 5
    assert sum(a > calibrate_threshold(anchors, 0.0) for a in anchors) == 0
    assert sum(a > calibrate_threshold(anchors[:30], 0.05) for a in anchors[:30]) == 1  # floor(1.5)
    with pytest.raises(ValueError, match='no anchor clips'):
        calibrate_threshold([], 0.05)
    with pytest.raises(ValueError, match=r'--reject-fpr must be in \[0, 1\), got 1'):
        calibrate_threshold([0.1], 1)


def test_scores():
    cos = torch.tensor([[0.3, 0.1], [0.2, 0.2]])
    assert known_score(cos, 10, 'cosine').tolist() == pytest.approx([0.3, 0.2])
    assert known_score(cos, 10, 'softmax').tolist() == pytest.approx([1 / (1 + math.exp(-2)), 0.5])
    assert known_score(cos, 10, 'energy').tolist() == pytest.approx(
        [torch.logsumexp(torch.tensor([3., 1.]), 0).item(), torch.logsumexp(torch.tensor([2., 2.]), 0).item()])
    with pytest.raises(ValueError, match="score must be one of"):
        known_score(cos, 10, 'max')


def test_auroc():
    assert auroc([3, 4], [1, 2]) == 1 and auroc([1, 2], [3, 4]) == 0
    assert auroc([1, 2], [1, 2]) == 0.5
    assert auroc([2, 3, 1], [0, 2]) == pytest.approx((1 + 0.5 + 1 + 1 + 1 + 0) / 6)
