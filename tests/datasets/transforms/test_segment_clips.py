"""Tests for SegmentClips (several deterministic test clips from the same segments)."""
import pytest

from ga2clip_mmaction.datasets.transforms import SegmentClips, SegmentSample


def test_one_clip_is_the_released_first_frame_sampling():
    for frames in (3, 10, 31, 32, 33, 300):
        assert SegmentClips(num_segments=32).frame_indices(frames).tolist() == \
            SegmentSample(num_segments=32, test_mode=True).frame_indices(frames).tolist()


def test_clips_interleave_inside_segments():
    # 10 frames in 4 segments: [0, 2), [2, 5), [5, 7), [7, 10).
    assert SegmentClips(num_segments=4, num_clips=2).frame_indices(10).tolist() == \
        [0, 2, 5, 7, 1, 3, 6, 8]
    # 12 frames in 2 segments of 6 frames, 3 clips: offsets 0, 2, 4.
    assert SegmentClips(num_segments=2, num_clips=3).frame_indices(12).tolist() == \
        [0, 6, 2, 8, 4, 10]


def test_transform_keys_and_start_index():
    out = SegmentClips(num_segments=2, num_clips=2).transform(dict(total_frames=8, start_index=1))
    assert out['frame_inds'].tolist() == [1, 5, 3, 7]
    assert (out['clip_len'], out['num_clips'], out['frame_interval']) == (2, 2, None)


def test_short_video_repeats_frames():
    assert SegmentClips(num_segments=4, num_clips=2).frame_indices(2).tolist() == \
        [0, 0, 1, 1, 0, 0, 1, 1]


@pytest.mark.parametrize('kwargs', [dict(num_segments=0), dict(num_clips=0)])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError, match='must be positive'):
        SegmentClips(**kwargs)


def test_empty_video_is_an_error():
    with pytest.raises(ValueError, match='no frames'):
        SegmentClips(num_segments=2).frame_indices(0)


def test_training_mode_is_refused():
    with pytest.raises(ValueError, match='test-time sampler'):
        SegmentClips(num_segments=2, test_mode=False)
