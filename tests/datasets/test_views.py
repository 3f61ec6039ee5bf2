"""Multi-view test pipelines: clips x crops views end to end on a real (tiny) video file."""
import numpy as np
import pytest
from mmaction.datasets.transforms import *  # noqa: F401,F403  (register MMAction2 transforms)
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope

import ga2clip_mmaction  # noqa: F401
from ga2clip_mmaction.datasets import views


def _run(pipeline, video):
    with DefaultScope.overwrite_default_scope('mmaction'):
        return Compose(pipeline)(dict(filename=video, label=0, start_index=0, modality='RGB'))


@pytest.mark.parametrize('clips, crops', [(1, 1), (2, 1), (3, 1), (4, 3), (1, 10)])
def test_views_shape(make_video, clips, crops):
    video = make_video('v.mp4', num_frames=12, size=(40, 32))
    out = _run(views.build_test_pipeline(num_frames=4, num_clips=clips, num_crops=crops, scale=32,
                                         crop_size=24), video)
    assert tuple(out['inputs'].shape) == (clips * crops, 3, 4, 24, 24)


def test_views_are_crop_major_and_clips_take_their_frames(make_video):
    # make_video fills frame i with the value 7 * i; 12 frames in 4 segments of 3 frames.
    video = make_video('v.mp4', num_frames=12, size=(40, 32))
    out = _run(views.build_test_pipeline(num_frames=4, num_clips=3, num_crops=3, scale=32,
                                         crop_size=24), video)
    means = out['inputs'].float().mean(dim=(1, 3, 4)).numpy()  # [views, T]
    expected = 7 * np.array([[0, 3, 6, 9], [1, 4, 7, 10], [2, 5, 8, 11]])  # clip k: frame 3i + k
    for crop in range(3):
        np.testing.assert_allclose(means[crop * 3:(crop + 1) * 3], expected, atol=4)


def test_parse_views():
    assert views.parse_views('4x3') == (4, 3)
    assert views.parse_views((2, 1)) == (2, 1)
    for bad, match in (('4', 'look like'), ('0x1', 'clips must be >= 1'), ('2x5', 'one of')):
        with pytest.raises(ValueError, match=match):
            views.parse_views(bad)


DEMO_LIKE = [
    dict(type='DecordInit'),
    dict(type='SegmentSample', num_segments=8, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]


def test_rewrite_a_pipeline_without_crop():
    new = views.apply_views_to_pipeline(DEMO_LIKE, '2x3', crop_size=56)
    assert new[1] == dict(type='SegmentClips', num_segments=8, num_clips=2)
    assert new[4:6] == [dict(type='Resize', scale=(-1, 56)), dict(type='ThreeCrop', crop_size=56)]
    assert DEMO_LIKE[1]['type'] == 'SegmentSample'  # the input is not modified
    assert views.apply_views_to_pipeline(DEMO_LIKE, '2x1')[3:] == DEMO_LIKE[3:]
    with pytest.raises(ValueError, match='pass crop_size'):
        views.apply_views_to_pipeline(DEMO_LIKE, '1x3')


def test_rewrite_replaces_an_existing_crop_and_mmaction_samplers():
    released = views.build_test_pipeline(num_frames=32, crop_size=224)
    new = views.apply_views_to_pipeline(released, '4x3')
    assert new[1]['num_clips'] == 4 and new[5] == dict(type='ThreeCrop', crop_size=224)
    assert views.apply_views_to_pipeline(new, '1x10')[4] == dict(type='TenCrop', crop_size=224)
    sample_frames = [dict(type='SampleFrames', clip_len=8, num_clips=1, test_mode=True)]
    assert views.apply_views_to_pipeline(sample_frames, '3x1')[0]['num_clips'] == 3


def test_rewrite_refuses_a_training_sampler():
    with pytest.raises(ValueError, match='test_mode=True'):
        views.apply_views_to_pipeline([dict(type='SegmentSample', num_segments=8)], '2x1')
    with pytest.raises(ValueError, match='one frame sampler'):
        views.apply_views_to_pipeline([dict(type='DecordInit')], '2x1')


def test_apply_test_views_to_a_config_with_a_wrapped_dataset():
    cfg = Config(dict(
        test_pipeline=DEMO_LIKE,
        test_dataloader=dict(dataset=dict(type='ConcatDataset', datasets=[
            dict(type='VideoDataset', pipeline=DEMO_LIKE),
            dict(type='RepeatDataset', dataset=dict(type='VideoDataset', pipeline=DEMO_LIKE))
        ]))))
    views.apply_test_views(cfg, '3x1')
    for dataset in (cfg.test_dataloader.dataset.datasets[0],
                    cfg.test_dataloader.dataset.datasets[1].dataset):
        assert dataset.pipeline[1] == dict(type='SegmentClips', num_segments=8, num_clips=3)
    assert cfg.test_pipeline[1]['num_clips'] == 3
    with pytest.raises(KeyError, match='no test_dataloader.dataset.pipeline'):
        views.apply_test_views(Config(dict(test_dataloader=dict(dataset=dict()))), '2x1')


def test_cfg_options_route_of_the_docs():
    """docs/evaluation.md: 2x1 by --cfg-options on a config whose transform 1 is SegmentSample."""
    import ga2clip_mmaction  # noqa: F401
    from mmaction.registry import TRANSFORMS
    cfg = Config(dict(test_dataloader=dict(dataset=dict(pipeline=DEMO_LIKE))))
    cfg.merge_from_dict({'test_dataloader.dataset.pipeline.1.type': 'SegmentClips',
                         'test_dataloader.dataset.pipeline.1.num_clips': 2})
    sampler = TRANSFORMS.build(cfg.test_dataloader.dataset.pipeline[1])
    assert sampler.frame_indices(16).tolist() == [0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15]
