# A tiny MMAction2 recognizer (ResNet3d-18 with 4 base channels, I3D head) on 32x32 px clips of
# 4 frames: trains, validates and tests through the real Runner in seconds on a CPU, without
# downloads. Tests point the three dataloaders at synthetic videos they write themselves.
_base_ = ['../../../configs/_base_/default_runtime.py']

num_classes = 3
model = dict(
    type='Recognizer3D',
    backbone=dict(
        type='ResNet3d', depth=18, base_channels=4, pretrained=None, pretrained2d=False,
        conv1_kernel=(1, 3, 3), inflate=(0, 0, 0, 0), norm_eval=False),
    cls_head=dict(
        type='I3DHead', in_channels=32, num_classes=num_classes, dropout_ratio=0.0,
        average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor', mean=[127.5, 127.5, 127.5], std=[64.0, 64.0, 64.0],
        format_shape='NCTHW'))

dataset_type = 'VideoDataset'
data_root = 'data/toy_videos'
ann_file = 'data/toy_videos/ann.txt'

train_pipeline = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=4, frame_interval=1, num_clips=1),
    dict(type='DecordDecode'),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=4, frame_interval=1, num_clips=1, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]

train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, ann_file=ann_file, data_prefix=dict(video=data_root),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, ann_file=ann_file, data_prefix=dict(video=data_root),
                 pipeline=test_pipeline, test_mode=True))
test_dataloader = val_dataloader

val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.5, by_epoch=True, begin=0, end=1),
    dict(type='CosineAnnealingLR', T_max=2, eta_min=1e-4, by_epoch=True, begin=1, end=2)
]

default_hooks = dict(logger=dict(interval=1))
randomness = dict(seed=0)
