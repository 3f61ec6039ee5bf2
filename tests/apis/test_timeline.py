"""ga2clip_mmaction.apis.timeline: windows, merged segments, temporal IoU, SRT."""
import pytest

from ga2clip_mmaction.apis.timeline import merge_segments, sliding_windows, srt_text, temporal_iou


def test_sliding_windows_cover_the_video():
    windows = sliding_windows(num_frames=100, fps=10, window=2, stride=1)
    assert [w.start_frame for w in windows] == list(range(0, 81, 10))
    assert all(w.num_frames == 20 for w in windows) and windows[-1].end == 10
    ragged = sliding_windows(num_frames=95, fps=10, window=2, stride=1)  # the last window ends at the end
    assert [w.start_frame for w in ragged][-2:] == [70, 75] and ragged[-1].end == 9.5
    short = sliding_windows(num_frames=8, fps=10, window=2, stride=1)
    assert [(w.start_frame, w.num_frames) for w in short] == [(0, 8)]
    with pytest.raises(ValueError, match='--window and --stride must be > 0'):
        sliding_windows(10, 10, 0, 1)


def test_merge_segments_splits_at_the_centres():
    windows = sliding_windows(num_frames=60, fps=10, window=2, stride=1)  # centres 1, 2, 3, 4, 5
    segs = merge_segments(windows, ['a', 'a', 'b', 'b', 'a'], [0.9, 0.7, 0.6, 0.8, 0.5], duration=6)
    assert segs == [dict(label='a', start=0.0, end=2.5, score=0.8), dict(label='b', start=2.5, end=4.5, score=0.7),
                    dict(label='a', start=4.5, end=6.0, score=0.5)]


def test_temporal_iou():
    truth = [dict(label='a', start=0, end=4), dict(label='b', start=4, end=6)]
    assert temporal_iou(truth, truth) == 1
    shifted = [dict(label='a', start=0, end=5), dict(label='b', start=5, end=6)]
    assert temporal_iou(shifted, truth) == pytest.approx((4 / 5 + 1 / 2) / 2)
    assert temporal_iou([dict(label='c', start=0, end=6)], truth) == 0
    # the same class twice: each true segment is measured against the class's time near it
    twice = [dict(label='a', start=0, end=2), dict(label='b', start=2, end=4), dict(label='a', start=4, end=6)]
    assert temporal_iou(twice, twice) == 1


def test_srt():
    segs = [dict(label='a', start=0, end=61.5, score=0.5), dict(label='none', start=61.5, end=3700, score=0.1)]
    assert srt_text(segs) == ('1\n00:00:00,000 --> 00:01:01,500\na (0.50)\n\n'
                              '2\n00:01:01,500 --> 01:01:40,000\nnone (0.10)\n')
    assert srt_text(segs, skip='none') == '1\n00:00:00,000 --> 00:01:01,500\na (0.50)\n'
