"""GA2-CLIP through MMEngine's Runner on decoded video: train with anchors, validate, checkpoint, test."""
import os.path as osp

import pytest
import torch

import ga2clip_mmaction  # noqa: F401

SHARED_VIDEOS = ['demo.mp4', 'test.mp4', 'test.avi', 'spatiotemporal.mp4']


def runner_cfg(work_dir: str, root: str, ann: str, anchor_ann: str, mode: str) -> dict:
    """A tiny GA2-CLIP run: 4-frame clips at 32 px, 2 classes, one anchor clip per batch."""
    clip = dict(arch='GA2-Tiny-Random', weights=None)
    train_pipeline = [
        dict(type='DecordInit'), dict(type='SegmentSample', num_segments=4), dict(type='DecordDecode'),
        dict(type='Resize', scale=(-1, 40)), dict(type='RandomResizedCrop'), dict(type='Resize',
                                                                                 scale=(32, 32), keep_ratio=False),
        dict(type='Flip', flip_ratio=0.5), dict(type='VideoRandomGrayscale', p=0.2),
        dict(type='FormatShape', input_format='NCTHW'), dict(type='PackActionInputs')]
    test_pipeline = [
        dict(type='DecordInit'), dict(type='SegmentSample', num_segments=4, test_mode=True),
        dict(type='DecordDecode'), dict(type='Resize', scale=(-1, 40)), dict(type='CenterCrop', crop_size=32),
        dict(type='FormatShape', input_format='NCTHW'), dict(type='PackActionInputs')]
    main = dict(type='VideoDataset', ann_file=ann, data_prefix=dict(video=root), pipeline=train_pipeline)
    anchors = dict(type='VideoDataset', ann_file=anchor_ann, data_prefix=dict(video=root), pipeline=train_pipeline)
    val = dict(type='VideoDataset', ann_file=ann, data_prefix=dict(video=root), pipeline=test_pipeline,
               test_mode=True)
    names = ['anchor_else', 'something'] if mode != 'official' else ['else']
    return dict(
        default_scope='mmaction', work_dir=work_dir, randomness=dict(seed=0),
        model=dict(
            type='GA2CLIPRecognizer',
            backbone=dict(type='PromptedCLIPVision', clip=clip, vision_ctx=2, vision_depth=2),
            cls_head=dict(type='PromptCouplingHead', clip=clip, classnames=['playing', 'walking'], language_ctx=3,
                          language_depth=2, hard_prompt=torch.full((3, 64), 0.01),
                          anchor_loss=dict(type='AnchorLoss', mode=mode, anchor_names=names,
                                           allow_inert=mode == 'official')),
            data_preprocessor=dict(type='AnchorActionDataPreprocessor', mean=[122.771, 116.746, 104.094],
                                   std=[68.501, 66.632, 70.323], format_shape='NCTHW')),
        train_dataloader=dict(
            batch_size=2, num_workers=0, dataset=dict(type='AnchorSetDataset', dataset=main, anchor_dataset=anchors),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_sampler=dict(type='AnchorBatchSampler', num_anchors=1)),
        val_dataloader=dict(batch_size=2, num_workers=0, dataset=val,
                            sampler=dict(type='DefaultSampler', shuffle=False)),
        test_dataloader=dict(batch_size=2, num_workers=0, dataset=val,
                             sampler=dict(type='DefaultSampler', shuffle=False)),
        val_evaluator=dict(type='AccMetric'), test_evaluator=dict(type='AccMetric'),
        train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=2, val_interval=1),
        val_cfg=dict(type='ValLoop'), test_cfg=dict(type='TestLoop'),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-2, weight_decay=1e-3)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1), logger=dict(type='LoggerHook',
                                                                                           interval=1)),
        log_level='WARNING')


def write_lists(tmp_path, videos):
    ann = tmp_path / 'train.txt'
    ann.write_text(''.join(f'{v} {i % 2}\n' for i, v in enumerate(videos)))
    anchor_ann = tmp_path / 'anchors.txt'
    anchor_ann.write_text(''.join(f'{v} 0\n' for v in videos[:2]))
    return str(ann), str(anchor_ann)


def run(cfg: dict):
    from mmengine.config import Config
    from mmengine.runner import Runner
    runner = Runner.from_cfg(Config(cfg))
    prompt_before = runner.model.backbone.prompt.detach().clone()
    runner.train()
    moved = (runner.model.backbone.prompt.detach() - prompt_before).abs().max().item()
    metrics = runner.test()
    return runner, moved, metrics


def accuracy_by_hand(runner) -> float:
    """Top-1 of the trained model on the test loader, computed from its own scores (the metric's oracle)."""
    model = runner.model.eval()
    correct = []
    with torch.no_grad():
        for batch in runner.test_loop.dataloader:
            correct += [int(s.pred_score.argmax()) == int(s.gt_label) for s in model.test_step(batch)]
    return sum(correct) / len(correct)


def test_train_on_real_videos(shared_path, tmp_path):
    root = shared_path('videos')
    ann, anchor_ann = write_lists(tmp_path, SHARED_VIDEOS)
    runner, moved, metrics = run(runner_cfg(str(tmp_path / 'work'), root, ann, anchor_ann, 'negative'))
    assert moved > 0  # the prompts were trained
    # the Runner's metric is the accuracy of the trained model itself, over every test video once
    assert metrics['acc/top1'] == pytest.approx(accuracy_by_hand(runner))
    assert metrics['acc/top1'] * len(SHARED_VIDEOS) == pytest.approx(round(metrics['acc/top1'] * len(SHARED_VIDEOS)))
    assert osp.isfile(tmp_path / 'work' / 'epoch_2.pth')


def test_train_on_generated_videos_and_checkpoint_reloads(make_video, tmp_path):
    videos = [osp.basename(make_video(f'v{i}.mp4', num_frames=6 + i)) for i in range(4)]
    root = osp.dirname(make_video('v0.mp4', num_frames=6))
    ann, anchor_ann = write_lists(tmp_path, videos)
    runner, moved, metrics = run(runner_cfg(str(tmp_path / 'work'), root, ann, anchor_ann, 'kl'))
    assert moved > 0
    assert metrics['acc/top1'] == pytest.approx(accuracy_by_hand(runner))
    # the checkpoint is self-contained: hard prompt and prompts load back into a fresh model
    from mmengine.runner import load_checkpoint
    ckpt = str(tmp_path / 'work' / 'epoch_2.pth')
    from mmaction.registry import MODELS
    from mmengine.registry import DefaultScope
    cfg = runner_cfg(str(tmp_path / 'w2'), root, ann, anchor_ann, 'kl')['model']
    cfg['cls_head']['hard_prompt'] = None
    with DefaultScope.overwrite_default_scope('mmaction'), pytest.warns(UserWarning, match='zeros'):
        fresh = MODELS.build(cfg)
    load_checkpoint(fresh, ckpt, strict=True, logger='silent')  # a Runner checkpoint loaded outside a Runner
    torch.testing.assert_close(fresh.cls_head.prompt_learner.hard_prompt, torch.full((3, 64), 0.01))
    torch.testing.assert_close(fresh.backbone.prompt, runner.model.backbone.prompt.detach())
