"""Tests for VideoRandomGrayscale."""
import numpy as np
import pytest

from ga2clip_mmaction.datasets.transforms import VideoRandomGrayscale


def _clip():
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (4, 5, 3), dtype=np.uint8) for _ in range(3)]


def test_always_gray_uses_luma_weights():
    clip = _clip()
    out = VideoRandomGrayscale(p=1.0).transform(dict(imgs=[c.copy() for c in clip]))
    assert out['grayscale'] is True
    for src, gray in zip(clip, out['imgs']):
        assert gray.dtype == np.uint8 and gray.shape == src.shape
        expected = np.rint(src.astype(np.float64) @ [0.299, 0.587, 0.114])
        np.testing.assert_allclose(gray[..., 0], expected, atol=1)
        assert (gray[..., 0] == gray[..., 1]).all() and (gray[..., 1] == gray[..., 2]).all()


def test_never_and_whole_clip_decision():
    clip = _clip()
    out = VideoRandomGrayscale(p=0.0).transform(dict(imgs=clip))
    assert out['grayscale'] is False and all(a is b for a, b in zip(out['imgs'], clip))
    np.random.seed(1)
    flags = [VideoRandomGrayscale(p=0.2).transform(dict(imgs=_clip()))['grayscale'] for _ in range(500)]
    assert 70 < sum(flags) < 130  # ~100 expected


def test_bad_arguments():
    with pytest.raises(ValueError, match=r'p must be in \[0, 1\]'):
        VideoRandomGrayscale(p=1.5)
    with pytest.raises(ValueError, match='H x W x 3'):
        VideoRandomGrayscale.to_gray(np.zeros((4, 4), np.uint8))
