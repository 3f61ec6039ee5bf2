"""ResizeParams, RandomResizedCropParams, FlipParams, RandomGrayscaleParams: the CPU transforms' draws and shapes,
the frames untouched (ResizeParams shrinks them as Resize does)."""
import random

import numpy as np
import pytest
from mmaction.datasets.transforms import Flip, RandomResizedCrop, Resize

from ga2clip_mmaction.datasets.transforms import (DEVICE_AUG_KEY, FlipParams, VideoRandomGrayscale, RandomGrayscaleParams,
                                                  RandomResizedCropParams, ResizeParams)


def _results(h: int = 60, w: int = 90) -> dict:
    imgs = [np.random.default_rng(i).integers(0, 256, (h, w, 3), dtype=np.uint8) for i in range(2)]
    return dict(imgs=imgs, img_shape=(h, w), original_shape=(h, w), modality='RGB')


def _cpu(results: dict) -> dict:
    for t in (RandomResizedCrop(), Resize(scale=(32, 24), keep_ratio=False), Flip(flip_ratio=0.5),
              VideoRandomGrayscale(p=0.4)):
        results = t(results)
    return results


def _params(results: dict) -> dict:
    for t in (RandomResizedCropParams(scale=(32, 24)), FlipParams(flip_ratio=0.5), RandomGrayscaleParams(p=0.4)):
        results = t(results)
    return results


def _seed(seed: int) -> None:
    np.random.seed(seed)
    random.seed(seed)


@pytest.mark.parametrize('shape', [(60, 90), (90, 60), (40, 40), (7, 300)])  # (7, 300): the fallback crop too
def test_params_draw_what_the_cpu_transforms_draw_and_leave_the_generators_alike(shape):
    seen_flip, seen_gray = set(), set()
    for seed in range(30):
        _seed(seed)
        cpu = _cpu(_results(*shape))
        cpu_state = (np.random.get_state()[1].tolist(), random.getstate())
        _seed(seed)
        frames = _results(*shape)['imgs']
        dev = _params(dict(_results(*shape), imgs=frames))
        # the next draw of the pipeline (and of anything after it) is the same: same calls, same order
        assert (np.random.get_state()[1].tolist(), random.getstate()) == cpu_state
        record = dev[DEVICE_AUG_KEY]
        assert record['crop'] == tuple(int(v) for v in cpu['crop_bbox'])
        assert record['frame'] == shape and record['size'] == (24, 32)
        assert record['flip'] == bool(cpu['flip']) and record['flip_direction'] == cpu['flip_direction']
        assert record['grayscale'] == cpu['grayscale'] and dev['grayscale'] == cpu['grayscale']
        assert dev['img_shape'] == cpu['img_shape'] == (24, 32)
        assert dev['imgs'] is frames and dev['imgs'][0].shape == (*shape, 3)  # pixels untouched
        seen_flip.add(record['flip'])
        seen_gray.add(record['grayscale'])
    assert seen_flip == seen_gray == {False, True}


@pytest.mark.parametrize('shape, where', [((300, 400), 'cpu'), ((256, 340), 'nowhere'), ((240, 320), 'device'),
                                          ((128, 600), 'device')])
def test_resize_params_shrinks_here_skips_or_leaves_it_to_the_device(shape, where):
    cpu = Resize(scale=(-1, 256))(_results(*shape))
    results = _results(*shape)
    frames = results['imgs']
    dev = ResizeParams(scale=(-1, 256))(results)
    assert dev['img_shape'] == cpu['img_shape'] and dev['keep_ratio'] is True
    np.testing.assert_allclose(dev['scale_factor'], cpu['scale_factor'])
    if where == 'cpu':
        assert DEVICE_AUG_KEY not in dev and dev['imgs'][0].shape == (*cpu['img_shape'], 3)
        np.testing.assert_array_equal(np.stack(dev['imgs']), np.stack(cpu['imgs']))
    elif where == 'nowhere':
        assert DEVICE_AUG_KEY not in dev and dev['imgs'] is frames
        np.testing.assert_array_equal(np.stack(frames), np.stack(cpu['imgs']))  # what OpenCV's copy gives
    else:
        assert dev['imgs'] is frames and dev[DEVICE_AUG_KEY] == dict(frame=shape, resize=cpu['img_shape'])
    kept = ResizeParams(scale=(-1, 256), shrink_on_cpu=False)(_results(*shape))
    assert (DEVICE_AUG_KEY in kept) == (where != 'nowhere')


def test_crop_after_a_deferred_resize_is_drawn_on_the_resized_frame():
    for seed in range(10):
        _seed(seed)
        cpu = RandomResizedCrop()(Resize(scale=(-1, 256))(_results(120, 160)))
        _seed(seed)
        dev = RandomResizedCropParams(scale=(32, 24))(ResizeParams(scale=(-1, 256))(_results(120, 160)))
        record = dev[DEVICE_AUG_KEY]
        assert record['frame'] == (120, 160) and record['resize'] == (256, 341)
        assert record['crop'] == tuple(int(v) for v in cpu['crop_bbox'])


def test_record_values_are_plain_python():
    _seed(0)
    record = _params(_results())[DEVICE_AUG_KEY]
    assert set(record) == {'frame', 'crop', 'size', 'flip', 'flip_direction', 'grayscale'}
    assert all(type(v) is int for k in ('frame', 'crop', 'size') for v in record[k])
    assert type(record['flip']) is bool and type(record['grayscale']) is bool


def test_the_crop_must_be_drawn_first_and_each_draw_once():
    results = FlipParams()(_results())
    with pytest.raises(ValueError, match='before the other'):
        RandomResizedCropParams()(results)
    with pytest.raises(ValueError, match='one flip'):
        FlipParams()(results)
    results = RandomGrayscaleParams()(results)
    with pytest.raises(ValueError, match='one grayscale'):
        RandomGrayscaleParams()(results)
    with pytest.raises(ValueError, match='before the other'):
        ResizeParams(scale=(-1, 256))(results)  # would grow the 60x90 frames: the device resizes first
    with pytest.raises(ValueError, match='keypoints'):
        ResizeParams(scale=(-1, 256))(dict(_results(), keypoint=np.zeros((1, 1, 2))))


def test_arguments_are_checked():
    with pytest.raises(ValueError, match='scale'):
        RandomResizedCropParams(scale=(224, 0))
    with pytest.raises(TypeError):
        RandomResizedCropParams(area_range=(1, 2))  # RandomResizedCrop's own check
    with pytest.raises(ValueError, match='direction'):
        FlipParams(direction='diagonal')
    with pytest.raises(ValueError, match='flip_ratio'):
        FlipParams(flip_ratio=2.0)
    with pytest.raises(ValueError):
        RandomGrayscaleParams(p=-0.1)
    assert RandomResizedCropParams(scale=112).scale == (112, 112)
    assert 'scale=(112, 112)' in repr(RandomResizedCropParams(scale=112))
    assert repr(FlipParams(0.3)) == "FlipParams(flip_ratio=0.3, direction='horizontal')"
    assert 'shrink_on_cpu=True' in repr(ResizeParams(scale=(-1, 256)))
