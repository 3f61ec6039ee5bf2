"""The recipe's pipelines (configs/_base_/datasets/ga2clip_pipelines.py) decode real videos to the right shapes."""
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmaction.registry import DATASETS
from mmaction.utils import register_all_modules

import ga2clip_mmaction  # noqa: F401

register_all_modules(init_default_scope=True)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PIPELINES = Config.fromfile(osp.join(ROOT, 'configs', '_base_', 'datasets', 'ga2clip_pipelines.py'))
VIDEOS = ('demo.mp4', 'test.avi', 'structuralize.mp4')  # 340x256 / 320x240 / 426x240


def _dataset(tmp_path, videos_root, pipeline, test_mode):
    ann = tmp_path / 'list.txt'
    ann.write_text(''.join(f'{v} {i}\n' for i, v in enumerate(VIDEOS)))
    return DATASETS.build(dict(type='VideoDataset', ann_file=str(ann), data_prefix=dict(video=videos_root),
                               pipeline=pipeline, test_mode=test_mode))


@pytest.mark.parametrize('key', ['train_pipeline', 'ssv2_train_pipeline', 'test_pipeline'])
def test_real_videos_decode_to_one_32_frame_224px_clip(key, tmp_path, shared_path):
    videos = shared_path('videos')
    ds = _dataset(tmp_path, videos, PIPELINES[key], test_mode=key == 'test_pipeline')
    for i in range(len(VIDEOS)):
        sample = ds[i]
        assert tuple(sample['inputs'].shape) == (1, 3, 32, 224, 224)
        assert sample['data_samples'].gt_label.item() == i


def test_test_pipeline_takes_first_frame_of_each_segment(tmp_path, shared_path):
    videos = shared_path('videos')
    pipeline = [dict(type='DecordInit'), dict(type='SegmentSample', num_segments=32, test_mode=True)]
    ds = _dataset(tmp_path, videos, pipeline, test_mode=True)
    info = ds[0]
    assert info['total_frames'] == 280  # demo.mp4
    np.testing.assert_array_equal(info['frame_inds'], (np.arange(32) * 280) // 32)


def test_test_pipeline_values_are_center_crops_of_the_segment_first_frames(tmp_path, shared_path):
    import decord
    videos = shared_path('videos')
    ds = _dataset(tmp_path, videos, PIPELINES.test_pipeline, test_mode=True)
    clip = ds[0]['inputs'][0].numpy()  # demo.mp4: 340x256, short side already 256 -> crop only
    reader = decord.VideoReader(osp.join(videos, 'demo.mp4'))
    frames = reader.get_batch(list((np.arange(32) * 280) // 32)).asnumpy()  # T x H x W x C, RGB
    expected = frames[:, 16:240, 58:282].transpose(3, 0, 1, 2)  # C x T x 224 x 224
    np.testing.assert_array_equal(clip, expected)
    np.testing.assert_array_equal(ds[0]['inputs'].numpy(), clip[None])  # deterministic
