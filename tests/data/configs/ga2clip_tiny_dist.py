# GA2-CLIP on the tiny random CLIP (GA2-Tiny-Random: 64 wide, 2+2 layers, 32 px) for the distributed launcher
# tests (tests/tools/test_dist_launch.py): the full recipe (deep prompts in both towers, concat_mlp coupling with
# a hard prompt, AnchorSetDataset + AnchorBatchSampler, base+novel test with BaseNovelMetric) in seconds on a CPU.
#
# The tests write the videos, the class lists and the hard prompt, and point `data_root` at them through a config
# that inherits this one. Deterministic on purpose, so that runs with different world sizes can be compared
# sample for sample: the train pipeline samples the middle frame of each segment (SegmentSample test_mode) and
# does not flip, the coupling dropout is 0, and the anchor term has weight 0 (W ranks draw W times the anchor
# clips of one process: the term cannot match across world sizes, its clips are still drawn, decoded and run).
_base_ = ['../../../configs/_base_/default_runtime.py']

data_root = 'data/tiny_dist'  # replaced by the tests
clip = dict(arch='GA2-Tiny-Random', weights=None)  # random init from the Runner's seed (same on every rank)
frames = 4

model = dict(
    type='GA2CLIPRecognizer',
    backbone=dict(type='PromptedCLIPVision', clip=clip, vision_ctx=2, vision_depth=2, grad_checkpointing=False),
    neck=dict(type='MeanTemporalPooling'),
    cls_head=dict(
        type='PromptCouplingHead',
        clip=clip,
        classnames=f'{data_root}/base_labels.csv',
        language_ctx=2,
        language_depth=2,
        coupling='concat_mlp',
        coupling_dropout=0.0,
        hard_prompt=f'{data_root}/hard_prompt.pt',
        grad_checkpointing=False,
        loss_cls=dict(type='CrossEntropyLoss'),
        anchor_loss=dict(type='AnchorLoss', mode='kl', loss_weight=0.0,
                         anchor_names=['bright thing', 'dark thing'], template='a video of a {}.')),
    freeze='prompts',
    view_average='feature',
    data_preprocessor=dict(type='AnchorActionDataPreprocessor', mean=[127.5, 127.5, 127.5],
                           std=[64.0, 64.0, 64.0], format_shape='NCTHW'))

pipeline = [
    dict(type='DecordInit'),
    dict(type='SegmentSample', num_segments=frames, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(32, 32), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]

train_dataloader = dict(
    batch_size=2,  # per rank
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AnchorBatchSampler', num_anchors=2),
    dataset=dict(
        type='AnchorSetDataset',
        dataset=dict(type='VideoDataset', ann_file=f'{data_root}/train.txt',
                     data_prefix=dict(video=f'{data_root}/videos'), pipeline=pipeline),
        anchor_dataset=dict(type='VideoDataset', ann_file=f'{data_root}/anchors.txt',
                            data_prefix=dict(video=f'{data_root}/videos'), pipeline=pipeline)))
test_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='VideoDataset', ann_file=f'{data_root}/test.txt',
                 data_prefix=dict(video=f'{data_root}/videos'), pipeline=pipeline, test_mode=True))
test_evaluator = dict(type='BaseNovelMetric', num_base_classes=4, topk=(1, 2))
test_cfg = dict(type='TestLoop')
custom_hooks = [dict(type='ClassNamesHook',
                     test=[f'{data_root}/base_labels.csv', f'{data_root}/novel_labels.csv'])]
val_dataloader = None
val_evaluator = None
val_cfg = None

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2, val_interval=100)
# SGD, not the recipe's AdamW: Adam divides by sqrt(v), so a gradient entry that is zero up to float rounding
# (a dead ReLU unit of the coupling MLP) moves by a full learning rate in a direction set by the rounding, and
# runs that only differ in the order of reductions would differ by ~lr there. With SGD the parameters differ
# by what the gradients differ.
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=1e-3),
                     clip_grad=dict(max_norm=1.0))
# Warm-up over the first 2 iterations, then constant: independent of max_epochs, so a run stopped after
# epoch 1 and resumed is the same schedule as an uninterrupted one.
param_scheduler = [dict(type='LinearLR', start_factor=0.5, by_epoch=False, begin=0, end=2)]
auto_scale_lr = dict(enable=False, base_batch_size=4)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1, save_best=None, max_keep_ckpts=-1))
randomness = dict(seed=0, deterministic=False)
