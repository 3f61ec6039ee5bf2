"""Tests for AnchorActionDataPreprocessor."""
import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

import ga2clip_mmaction  # noqa: F401

MEAN, STD = [122.771, 116.746, 104.094], [68.501, 66.632, 70.323]


def _sample(label, anchor=False):
    sample = ActionDataSample().set_gt_label(label)
    if anchor:
        sample.set_metainfo(dict(is_anchor=True))
    return sample


def _preprocessor():
    return MODELS.build(dict(type='AnchorActionDataPreprocessor', mean=MEAN, std=STD,
                             format_shape='NCTHW'))


def test_anchors_are_split_and_normalised_like_main_clips():
    torch.manual_seed(0)
    clips = [torch.randint(0, 256, (1, 3, 4, 8, 8), dtype=torch.uint8) for _ in range(4)]
    samples = [_sample(0), _sample(1, anchor=True), _sample(2), _sample(0, anchor=True)]
    out = _preprocessor()(dict(inputs=clips, data_samples=samples), training=True)
    mean = torch.tensor(MEAN).view(3, 1, 1, 1)
    std = torch.tensor(STD).view(3, 1, 1, 1)
    expected = [(c.float() - mean) / std for c in clips]
    assert out['inputs'].shape == (2, 1, 3, 4, 8, 8)
    assert out['anchor_inputs'].shape == (2, 1, 3, 4, 8, 8)
    torch.testing.assert_close(out['inputs'], torch.stack([expected[0], expected[2]]))
    torch.testing.assert_close(out['anchor_inputs'], torch.stack([expected[1], expected[3]]))
    assert [s.gt_label.item() for s in out['data_samples']] == [0, 2]


def test_no_anchors_matches_mmaction_preprocessor():
    clips = [torch.full((1, 3, 2, 4, 4), 200, dtype=torch.uint8) for _ in range(2)]
    data = dict(inputs=clips, data_samples=[_sample(0), _sample(1)])
    ours = _preprocessor()(dict(data), training=False)
    ref = MODELS.build(dict(type='ActionDataPreprocessor', mean=MEAN, std=STD,
                            format_shape='NCTHW'))(dict(data), training=False)
    assert 'anchor_inputs' not in ours
    torch.testing.assert_close(ours['inputs'], ref['inputs'])


def test_only_anchors_is_an_error():
    clips = [torch.zeros((1, 3, 2, 4, 4), dtype=torch.uint8)]
    with pytest.raises(ValueError, match='only anchor clips'):
        _preprocessor()(dict(inputs=clips, data_samples=[_sample(0, anchor=True)]), training=True)
