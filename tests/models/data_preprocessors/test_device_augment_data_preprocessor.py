"""DeviceAugmentDataPreprocessor against the CPU pipeline: same seeded draws, the same normalised clips.

Tolerance, in uint8 levels (``difference * std``; one level is 1 / std <= 0.0150 after the CLIP normalisation): at
most 2 levels on any pixel, more than 1 level on at most 0.3 % of the pixels, a mean below 0.3 levels. Both paths crop
the same integer box out of the same frames (exact) and flip alike (exact); they differ in the bilinear resizes:
``mmcv.imresize`` (OpenCV ``INTER_LINEAR``) interpolates uint8 frames in fixed point, with weights quantised to 1/2048
and one rounding at the end, while the device resizes in float32 (``interpolate(bilinear, align_corners=False,
antialias=False)``, the same sampling grid) and rounds half to even. A pixel whose exact value lies near a rounding
boundary lands one level apart after one resize (the weight error is below 0.13 levels). Two resizes in a row (frames
smaller than 256 px are resized to short side 256 on the device, then the crop to 224) can add up to 2 levels, and so
can the gray conversion of channels each one level apart on a rounding tie. Measured here: max 2 levels, mean 0.13
levels (frames resized once) to 0.25 levels (twice), about 0.1 % of the pixels (0 to 0.0005 % with one resize) more
than one level apart. A one-pixel crop shift or a flip of the wrong axis exceeds the tolerance by far (tested below).
"""
import copy
import random
from typing import List, Tuple

import numpy as np
import pytest
import torch
from mmengine.dataset import Compose
from mmaction.registry import MODELS, TRANSFORMS

import ga2clip_mmaction  # noqa: F401
from ga2clip_mmaction.datasets.transforms import DEVICE_AUG_KEY

MEAN, STD = [122.771, 116.746, 104.094], [68.501, 66.632, 70.323]
MAX_LEVELS, MEAN_LEVELS, SHARE_ABOVE_ONE = 2.0, 0.3, 0.003
#: The released train augmentation after decoding, and its device form (configs/_base_/datasets/ga2clip_pipelines.py).
CPU_STEPS = [
    dict(type='Resize', scale=(-1, 256)),
    dict(type='RandomResizedCrop', area_range=(0.08, 1.0), aspect_ratio_range=(3 / 4, 4 / 3)),
    dict(type='Resize', scale=(224, 224), keep_ratio=False), dict(type='Flip', flip_ratio=0.5),
    dict(type='VideoRandomGrayscale', p=0.2), dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=('img_shape', 'crop_bbox', 'flip', 'grayscale'))]
DEVICE_STEPS = [
    dict(type='ResizeParams', scale=(-1, 256)),
    dict(type='RandomResizedCropParams', area_range=(0.08, 1.0), aspect_ratio_range=(3 / 4, 4 / 3),
         scale=(224, 224)),
    dict(type='FlipParams', flip_ratio=0.5), dict(type='RandomGrayscaleParams', p=0.2),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=('img_shape', 'device_aug'))]
#: Decoded frame sizes (h, w): 4:3, Kinetics 340x256, taller than wide, smaller than 256 (upscaled), 16:9.
SIZES = [(240, 320), (256, 340), (300, 200), (128, 170), (360, 640)]


def _frames(h: int, w: int, seed: int, t: int = 3) -> List[np.ndarray]:
    """Textured RGB frames: smooth colour waves, a sharp-edged box and noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([128 + 90 * np.sin(xx / (5 + 4 * c) + yy / (9 + c) + c) for c in range(3)], -1)
    base[h // 4:h // 2, w // 3:w // 2] = (250, 20, 60)
    return [np.clip(base + rng.normal(0, 20, (h, w, 3)) + 5 * i, 0, 255).astype(np.uint8) for i in range(t)]


def _seeded(pipeline: Compose, frames: List[np.ndarray], seed: int) -> dict:
    np.random.seed(seed)
    random.seed(seed)
    h, w = frames[0].shape[:2]
    return pipeline(dict(imgs=[f.copy() for f in frames], img_shape=(h, w), original_shape=(h, w), modality='RGB',
                         num_clips=1, clip_len=len(frames), label=0))


def _preprocessor(name: str):
    return MODELS.build(dict(type=name, mean=MEAN, std=STD, format_shape='NCTHW'))


def _batches(seeds, anchors=(1, 3), frames_of=None) -> Tuple[list, list]:
    """(CPU batch, device batch) of ``len(seeds)`` samples under the same draws; ``anchors``: anchor positions."""
    cpu_pipe, dev_pipe = (Compose([TRANSFORMS.build(copy.deepcopy(s)) for s in steps])
                          for steps in (CPU_STEPS, DEVICE_STEPS))
    cpu, dev = [], []
    for pos, seed in enumerate(seeds):
        frames = frames_of(seed) if frames_of else _frames(*SIZES[seed % len(SIZES)], seed)
        a, b = _seeded(cpu_pipe, frames, seed), _seeded(dev_pipe, frames, seed)
        if pos in anchors:
            a['data_samples'].set_metainfo(dict(is_anchor=True))
            b['data_samples'].set_metainfo(dict(is_anchor=True))
        cpu.append(a)
        dev.append(b)
    return cpu, dev


def _run(preprocessor, batch: list) -> dict:
    data = dict(inputs=[s['inputs'] for s in batch], data_samples=[s['data_samples'] for s in batch])
    return preprocessor(data, training=True)


def _levels(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Absolute difference of two normalised NCTHW batches in uint8 levels."""
    std = torch.tensor(STD).view(3, 1, 1, 1)
    return ((a - b) * std).abs()


def _compare(cpu_batch: list, dev_batch: list) -> torch.Tensor:
    ref = _run(_preprocessor('AnchorActionDataPreprocessor'), cpu_batch)
    out = _run(_preprocessor('DeviceAugmentDataPreprocessor'), dev_batch)
    assert out['inputs'].shape == ref['inputs'].shape and out['inputs'].dtype == torch.float32
    assert out['anchor_inputs'].shape == ref['anchor_inputs'].shape
    return torch.cat([_levels(out['inputs'], ref['inputs']).flatten(),
                      _levels(out['anchor_inputs'], ref['anchor_inputs']).flatten()])


def _check_tolerance(diffs: torch.Tensor) -> None:
    assert diffs.max().item() <= MAX_LEVELS + 1e-3, diffs.max().item()
    assert (diffs > 1.5).float().mean().item() <= SHARE_ABOVE_ONE, (diffs > 1.5).float().mean().item()
    assert diffs.mean().item() <= MEAN_LEVELS, diffs.mean().item()


def test_device_path_gives_the_cpu_clips_main_and_anchor():
    diffs, flips, grays, resized = [], set(), set(), set()
    for first in range(0, 40, 4):
        seeds = list(range(first, first + 4))
        cpu, dev = _batches(seeds)
        for a, b in zip(cpu, dev):  # the same decisions, read off the packed samples
            record = b['data_samples'].metainfo[DEVICE_AUG_KEY]
            assert record['crop'] == tuple(int(v) for v in a['data_samples'].metainfo['crop_bbox'])
            assert record['flip'] == bool(a['data_samples'].metainfo['flip'])
            assert record['grayscale'] == a['data_samples'].metainfo['grayscale']
            assert b['inputs'].dtype == torch.uint8 and b['inputs'].shape[-2:] != (224, 224)  # shipped uncropped
            resized.add('resize' in record)
            flips.add(record['flip'])
            grays.add(record['grayscale'])
        diffs.append(_compare(cpu, dev))
    diffs = torch.cat(diffs)
    assert flips == grays == {False, True}  # both branches of every decision were exercised
    assert resized == {False, True}  # frames resized on the device first, and not
    _check_tolerance(diffs)


def test_real_decoded_videos(shared_path):
    """Frames of a Kinetics clip (340x256), a 320x240 clip (resized on the device) and a 1920x1080 NTU clip (shrunk
    to 455x256 on the CPU)."""
    from mmaction.datasets.transforms import DecordDecode, DecordInit
    from ga2clip_mmaction.datasets.transforms import SegmentSample
    videos = [shared_path('videos', name) for name in ('demo.mp4', 'test.avi', 'ntu_sample.avi')]
    decode = Compose([DecordInit(), SegmentSample(num_segments=3, test_mode=True), DecordDecode()])
    decoded = [decode(dict(filename=v, start_index=0, modality='RGB'))['imgs'] for v in videos]
    cpu, dev = _batches([0, 1, 2, 3, 4, 5], anchors=(2, ), frames_of=lambda seed: decoded[seed % 3])
    assert [('resize' in s['data_samples'].metainfo[DEVICE_AUG_KEY]) for s in dev[:3]] == [False, True, False]
    assert dev[2]['inputs'].shape[-2:] == (256, 455)  # shrunk on the CPU
    _check_tolerance(_compare(cpu, dev))


@pytest.mark.parametrize('bug', ['crop shifted one pixel right', 'flip of the wrong axis'])
def test_a_wrong_record_exceeds_the_tolerance(bug):
    """The comparison can fail: the tolerance is far below what a small geometric error costs."""
    seeds = [s for s in range(40) if _batches([s], anchors=())[1][0]['data_samples'].metainfo[DEVICE_AUG_KEY]
             ['flip']][:4]
    cpu, dev = _batches(seeds, anchors=(3, ))
    for sample in dev:
        record = dict(sample['data_samples'].metainfo[DEVICE_AUG_KEY])
        if bug == 'flip of the wrong axis':
            record['flip_direction'] = 'vertical'
        else:
            x1, y1, x2, y2 = record['crop']
            shift = 1 if x2 < record['frame'][1] else -1
            record['crop'] = (x1 + shift, y1, x2 + shift, y2)
        sample['data_samples'].set_metainfo({DEVICE_AUG_KEY: record})
    assert _compare(cpu, dev).max().item() > 10 * MAX_LEVELS


def test_clips_without_a_record_pass_through_as_in_the_anchor_preprocessor():
    clips = [torch.randint(0, 256, (1, 3, 2, 8, 8), dtype=torch.uint8) for _ in range(2)]
    from mmaction.structures import ActionDataSample
    data = dict(inputs=clips, data_samples=[ActionDataSample().set_gt_label(0) for _ in clips])
    ours = _preprocessor('DeviceAugmentDataPreprocessor')(dict(data), training=False)
    ref = _preprocessor('AnchorActionDataPreprocessor')(dict(data), training=False)
    torch.testing.assert_close(ours['inputs'], ref['inputs'], rtol=0, atol=0)
    assert 'anchor_inputs' not in ours


def test_the_anchor_preprocessor_refuses_unaugmented_clips():
    _, dev = _batches([0, 1], anchors=())
    with pytest.raises(ValueError, match='DeviceAugmentDataPreprocessor'):
        _run(_preprocessor('AnchorActionDataPreprocessor'), dev)


def test_a_record_drawn_on_other_frames_is_an_error():
    _, dev = _batches([0, 1], anchors=())
    dev[0]['inputs'] = dev[0]['inputs'][..., :-1]  # one column less than the record's frame
    with pytest.raises(ValueError, match='drawn on'):
        _run(_preprocessor('DeviceAugmentDataPreprocessor'), dev)


def test_nchw_layout_and_float_clips():
    """2D-model layout ``[T, C, H, W]``; float clips are resized without rounding (cv2 on float frames)."""
    from ga2clip_mmaction.models.data_preprocessors import apply_device_aug
    clip = torch.rand(2, 3, 1, 10, 12) * 255
    record = dict(frame=(10, 12), crop=(2, 1, 10, 9), size=(4, 4), flip=True, flip_direction='horizontal',
                  grayscale=False)
    ncthw = apply_device_aug(clip, record, 'NCTHW')
    nchw = apply_device_aug(clip[:, :, 0], record, 'NCHW')
    assert ncthw.shape == (2, 3, 1, 4, 4) and nchw.shape == (2, 3, 4, 4) and nchw.dtype == torch.float32
    torch.testing.assert_close(ncthw[:, :, 0], nchw)
    assert not torch.equal(nchw, nchw.round())
    with pytest.raises(ValueError, match='outside'):
        apply_device_aug(clip, dict(record, crop=(0, 0, 13, 5)))
