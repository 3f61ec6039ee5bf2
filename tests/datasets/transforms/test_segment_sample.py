"""Tests for SegmentSample."""
import numpy as np
import pytest

from ga2clip_mmaction.datasets.transforms import SegmentSample


def test_test_mode_takes_first_frame_of_each_segment():
    out = SegmentSample(num_segments=4, test_mode=True).transform(
        dict(total_frames=10, start_index=0))
    assert out['frame_inds'].tolist() == [0, 2, 5, 7]
    assert (out['clip_len'], out['num_clips'], out['frame_interval']) == (4, 1, None)
    out = SegmentSample(num_segments=3, test_mode=True).transform(dict(total_frames=9, start_index=1))
    assert out['frame_inds'].tolist() == [1, 4, 7]


def test_train_mode_draws_one_frame_inside_each_segment():
    np.random.seed(0)
    sampler = SegmentSample(num_segments=4)
    draws = np.stack([sampler.frame_indices(10) for _ in range(400)])
    segments = [(0, 2), (2, 5), (5, 7), (7, 10)]
    for k, (lo, hi) in enumerate(segments):
        assert set(draws[:, k].tolist()) == set(range(lo, hi))


def test_short_video_repeats_frames():
    assert SegmentSample(num_segments=6, test_mode=True).frame_indices(3).tolist() == [0, 0, 1, 1, 2, 2]
    np.random.seed(0)
    assert SegmentSample(num_segments=6).frame_indices(3).tolist() == [0, 0, 1, 1, 2, 2]
    with pytest.raises(ValueError, match='no frames'):
        SegmentSample(num_segments=2).frame_indices(0)


def test_is_mmaction_uniform_sample_except_the_released_segments():
    from mmaction.datasets.transforms import UniformSample
    sampler = SegmentSample(num_segments=4)
    assert isinstance(sampler, UniformSample) and sampler.clip_len == 4
    # UniformSample's training segments of an 8-frame video overlap (segment 0 draws from frames 0-2);
    # the released ones do not (frames 0-1), which is why the segment rule is ours
    np.random.seed(0)
    stock = {int(UniformSample(clip_len=4)._get_sample_clips(8)[0]) for _ in range(200)}
    ours = {int(sampler.frame_indices(8)[0]) for _ in range(200)}
    assert (stock, ours) == ({0, 1, 2}, {0, 1})
    # and in test mode UniformSample takes the middle of each segment, we the first frame
    assert SegmentSample(num_segments=4, test_mode=True).frame_indices(9).tolist() == [0, 2, 4, 6]
    assert UniformSample(clip_len=4, test_mode=True)._get_sample_clips(9).tolist() == [1, 3, 5, 7]
