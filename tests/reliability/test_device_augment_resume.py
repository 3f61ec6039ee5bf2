"""Exact resume with the augmentation on the device: kill -9 mid-epoch, --resume, bit-identical prompts and metrics.

The ``*Params`` transforms draw crop, flip and grayscale in the pipeline, under the per-draw seeded CPU generators
(``RobustVideoDataset``), and ``DeviceAugmentDataPreprocessor`` applies them as a deterministic function, so the
tolerance stays exactly 0, as in ``test_crash_resume.py`` (whose driver and helpers this reuses).
"""
import os.path as osp

from mmengine.config import Config

from tests.reliability.test_crash_resume import EPOCHS, ITERS, PLAIN, final, killed_run
from tests.reliability.world import latest, make_world, max_abs_diff

#: The world's train augmentation moved to the device: 32 px frames resized to 40 px (on the device), random resized
#: crop to 32 px.
DEVICE_AUGMENTATION = """
model['data_preprocessor']['type'] = 'DeviceAugmentDataPreprocessor'
device_train_pipeline = [
    dict(type='DecordInit'), dict(type='SegmentSample', num_segments=2), dict(type='DecordDecode'),
    dict(type='ResizeParams', scale=(-1, 40)), dict(type='RandomResizedCropParams', scale=(32, 32)),
    dict(type='FlipParams', flip_ratio=0.5), dict(type='RandomGrayscaleParams', p=0.3),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=('img_shape', 'device_aug'))]
train_dataloader['dataset']['dataset']['pipeline'] = device_train_pipeline
train_dataloader['dataset']['anchor_dataset']['pipeline'] = device_train_pipeline
"""


def test_sigkill_then_resume_is_bit_identical_with_device_augmentation(tmp_path):
    import tools.train as train
    config = make_world(str(tmp_path / 'w'), num_train=4, epochs=EPOCHS, extra=DEVICE_AUGMENTATION)
    cfg = Config.fromfile(config)
    assert cfg.model.data_preprocessor.type == 'DeviceAugmentDataPreprocessor'
    assert cfg.train_dataloader.dataset.anchor_dataset.pipeline[4].type == 'RandomResizedCropParams'
    reference = str(tmp_path / 'A')
    train.main([config, '--work-dir', reference, PLAIN])
    work_dir = str(tmp_path / 'B')
    killed_run(tmp_path, config, work_dir, KILL_AT_ITER=ITERS + 1)  # in epoch 2, after epoch_1.pth
    assert latest(work_dir).endswith('epoch_1.pth') and not osp.exists(osp.join(work_dir, f'epoch_{EPOCHS}.pth'))
    runner = train.main([config, '--work-dir', work_dir, '--resume', PLAIN])
    assert (runner.epoch, runner.iter) == (EPOCHS, EPOCHS * ITERS)
    (ref_params, ref_metrics), (params, metrics) = final(reference, config), final(work_dir, config)
    assert max_abs_diff(params, ref_params) == 0.0
    assert metrics == ref_metrics
