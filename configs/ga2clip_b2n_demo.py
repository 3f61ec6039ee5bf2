# GA2-CLIP base-to-novel on the synthetic world with the tiny pretrained CLIP (the embedded demo).
#
# Runs on a CPU in a few minutes. `make demo` (projects/ga2clip_demo/tools/run_demo.py) generates the data
# (projects/ga2clip_demo/tools/make_synthetic_videos.py), learns the hard prompt on a disjoint class set of the same
# world (configs/ga2clip_b2n_demo_stage1.py), then trains and tests this config and the IVLP baseline
# (configs/ga2clip_b2n_demo_ivlp.py). See docs/synthetic_world.md.
#
# The full recipe: IVLP deep prompts in both towers, the hard prompt coupled to the soft text context
# (concat_mlp), and the generic-attribute anchor term on anchor clips of unrelated classes.
_base_ = ['./_base_/default_runtime.py']

data_root = 'data/synthetic'
video_root = f'{data_root}/videos'
split_root = f'{data_root}/splits/base2novel_splits/synth_splits'
label_root = f'{data_root}/labels'
base_labels = f'{label_root}/synth_base_labels.csv'
novel_labels = f'{label_root}/synth_novel_labels.csv'
hard_prompt = f'{data_root}/hard_prompts/stage1_ctx.pt'  # written by the demo's stage-1 run (run_demo)

clip = dict(arch='GA2-Tiny', weights='{{ fileDirname }}/../projects/ga2clip_demo/assets/GA2-Tiny.pt')
train_frames = 4  # one random frame from each of 4 segments (the clips have 8 frames)
test_frames = 8
image_size = 64

model = dict(
    type='GA2CLIPRecognizer',
    backbone=dict(type='PromptedCLIPVision', clip=clip, vision_ctx=4, vision_depth=4),
    temporal_pooling='mean',
    cls_head=dict(
        type='PromptCouplingHead',
        clip=clip,
        classnames=base_labels,
        language_ctx=4,
        language_depth=3,
        coupling='concat_mlp',
        coupling_dropout=0.5,
        hard_prompt=hard_prompt,
        loss_cls=dict(type='CrossEntropyLoss')),
    # 12 generic attribute names ("red object", ..., "circle", ...) for 12 base classes.
    anchor_loss=dict(type='AnchorLoss', mode='kl', loss_weight=1.0,
                     anchor_names=f'{label_root}/synth_generic_attributes.csv',
                     template='a video of a {}.'),
    freeze='prompts',
    view_average='feature',
    data_preprocessor=dict(type='AnchorActionDataPreprocessor',
                           mean=[122.771, 116.746, 104.094], std=[68.501, 66.632, 70.323],
                           format_shape='NCTHW'))

train_pipeline = [
    dict(type='DecordInit'),
    dict(type='SegmentSample', num_segments=train_frames),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='DecordInit'),
    dict(type='SegmentSample', num_segments=test_frames, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]

train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AnchorBatchSampler', num_anchors=2),
    dataset=dict(
        type='AnchorSetDataset',
        dataset=dict(type='RobustVideoDataset', ann_file=f'{split_root}/fs_base_s1_train.txt',
                     data_prefix=dict(video=video_root), pipeline=train_pipeline),
        anchor_dataset=dict(type='RobustVideoDataset', ann_file=f'{data_root}/anchors/anchor_clips.txt',
                            data_prefix=dict(video=video_root), pipeline=train_pipeline),
        max_anchor_videos=64,  # the largest count of the paper's Figure 5(a); the world has 72
        eval_ann_files=[f'{split_root}/base_val.txt', f'{split_root}/novel_val.txt'],
        leakage='strict'))

# One pass over base_val + novel_val (labels in the `base + novel` index space, base first).
test_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='RobustVideoDataset', ann_file=f'{split_root}/base_novel_val.txt',
                 data_prefix=dict(video=video_root), pipeline=test_pipeline, test_mode=True))
test_evaluator = dict(type='BaseNovelMetric', num_base_classes=12)
test_cfg = dict(type='TestLoop')
custom_hooks = [dict(type='ClassNamesHook', test=[base_labels, novel_labels])]

# No validation during the demo's short run (the test pass reports base, novel and HM).
val_dataloader = None
val_evaluator = None
val_cfg = None

max_epochs = 6
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs + 1)
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-2, weight_decay=1e-3),
    clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=0, by_epoch=True, begin=1,
         end=max_epochs, convert_to_iter_based=True)
]
default_hooks = dict(
    logger=dict(interval=8),
    checkpoint=dict(interval=max_epochs, save_best=None, max_keep_ckpts=1))
randomness = dict(seed=0, deterministic=False)
