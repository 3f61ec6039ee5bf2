"""Augmentation on the device, a config variant (configs/ga2clip_b2n_k400_device_aug.py): configs, and a Runner run
with the device augmentation on CPU."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config

import ga2clip_mmaction  # noqa: F401
from tests.conftest import REPO_ROOT

BASE = osp.join(REPO_ROOT, 'configs', '_base_')
MEAN, STD = [122.771, 116.746, 104.094], [68.501, 66.632, 70.323]
DEVICE_STEPS = ['DecordInit', 'SegmentSample', 'DecordDecode', 'ResizeParams', 'RandomResizedCropParams', 'FlipParams',
                'RandomGrayscaleParams', 'FormatShape', 'PackActionInputs']


def test_the_variant_sets_pipeline_and_preprocessor_together(monkeypatch):
    monkeypatch.setenv('AUGMENT_ON', 'device')  # once a switch; the environment no longer changes a config
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'ga2clip_b2n_k400_device_aug.py'))
    assert cfg.model.data_preprocessor.type == 'DeviceAugmentDataPreprocessor'
    pipeline = cfg.train_dataloader.dataset.pipeline
    assert [t['type'] for t in pipeline] == DEVICE_STEPS
    assert pipeline[4]['scale'] == (224, 224) and 'device_aug' in pipeline[-1]['meta_keys']
    assert [t['type'] for t in cfg.val_dataloader.dataset.pipeline][3:5] == ['Resize', 'CenterCrop']  # CPU
    assert Config.fromfile(osp.join(REPO_ROOT, 'configs', 'ga2clip_b2n_k400.py')).model.data_preprocessor.type == \
        'AnchorActionDataPreprocessor'
    # the released pipeline is the CPU one, the default
    released = Config.fromfile(osp.join(BASE, 'datasets', 'ga2clip_pipelines.py'))
    assert released.train_pipeline == released.cpu_train_pipeline
    assert [t['type'] for t in released.train_pipeline][4:8] == ['RandomResizedCrop', 'Resize', 'Flip',
                                                                 'VideoRandomGrayscale']
    assert Config.fromfile(osp.join(BASE, 'models', 'ga2clip_vit_b16.py')).model.data_preprocessor.type == \
        'AnchorActionDataPreprocessor'


def _tiny_cfg(work_dir: str, root: str, ann: str, anchor_ann: str) -> dict:
    """GA2-Tiny-Random (32 px) on the switched base files: 4-frame clips, a 32 px crop, 2 iterations."""
    variant = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'ga2clip_b2n_k400_device_aug.py'))
    pipeline = copy.deepcopy(variant.train_dataloader.dataset.pipeline)
    assert [t['type'] for t in pipeline] == DEVICE_STEPS
    pipeline[1]['num_segments'] = 4
    pipeline[4]['scale'] = (32, 32)
    preprocessor = variant.model.data_preprocessor.to_dict()
    assert preprocessor['type'] == 'DeviceAugmentDataPreprocessor'
    clip = dict(arch='GA2-Tiny-Random', weights=None)
    dataset = dict(type='RobustVideoDataset', data_prefix=dict(video=root), pipeline=pipeline)
    return dict(
        default_scope='mmaction', work_dir=work_dir, randomness=dict(seed=0),
        model=dict(
            type='GA2CLIPRecognizer',
            backbone=dict(type='PromptedCLIPVision', clip=clip, vision_ctx=2, vision_depth=2),
            cls_head=dict(type='PromptCouplingHead', clip=clip, classnames=['playing', 'walking'], language_ctx=2,
                          language_depth=2, hard_prompt=torch.full((2, 64), 0.01),
                          anchor_loss=dict(type='AnchorLoss', mode='kl', anchor_names=['object', 'thing'])),
            data_preprocessor=preprocessor),
        train_dataloader=dict(
            batch_size=2, num_workers=0,
            dataset=dict(type='AnchorSetDataset', dataset=dict(dataset, ann_file=ann),
                         anchor_dataset=dict(dataset, ann_file=anchor_ann)),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_sampler=dict(type='AnchorBatchSampler', num_anchors=1)),
        train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-2, weight_decay=1e-3)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1),
                           randomness=dict(type='ResumableRandomnessHook')),
        log_level='WARNING')


def _uint8_levels(x: torch.Tensor) -> torch.Tensor:
    """Normalised NCTHW clips back to pixel levels."""
    return x * torch.tensor(STD).view(3, 1, 1, 1) + torch.tensor(MEAN).view(3, 1, 1, 1)


def test_runner_trains_on_device_augmented_clips(monkeypatch, shared_path, tmp_path):
    from mmengine.runner import Runner
    root = shared_path('videos')
    ann, anchor_ann = tmp_path / 'train.txt', tmp_path / 'anchors.txt'
    ann.write_text('demo.mp4 0\ntest.mp4 1\nstructuralize.mp4 0\ntest.avi 1\n')  # 340x256, 426x240, 320x240
    anchor_ann.write_text('spatiotemporal.mp4 0\n')
    runner = Runner.from_cfg(Config(_tiny_cfg(str(tmp_path / 'work'), root, str(ann), str(anchor_ann))))
    seen = []
    loss = runner.model.loss

    def recording_loss(inputs, data_samples, **kwargs):
        seen.append((inputs.detach().clone(), kwargs['anchor_inputs'].detach().clone()))
        return loss(inputs, data_samples, **kwargs)

    monkeypatch.setattr(runner.model, 'loss', recording_loss)
    prompt = runner.model.backbone.prompt.detach().clone()
    runner.train()
    assert runner.iter == 2 and len(seen) == 2
    assert (runner.model.backbone.prompt.detach() - prompt).abs().max() > 0
    for inputs, anchors in seen:
        assert inputs.shape == (2, 1, 3, 4, 32, 32) and anchors.shape == (1, 1, 3, 4, 32, 32)
        for clips in (inputs, anchors):
            assert clips.dtype == torch.float32
            levels = _uint8_levels(clips[:, 0])
            # normalised exactly once, from uint8 clips: whole levels in [0, 255]
            assert (levels - levels.round()).abs().max() < 1e-3
            assert levels.min() > -1e-3 and levels.max() < 255 + 1e-3 and levels.std() > 5
