# GA2-CLIP base-to-novel on Something-Something v2, the released recipe.
# Published (seed 1): base 18.7, novel 14.3, HM 16.2.
#
# Train on 16 shots per base class (fs_base_s{1,2,3}; report the mean of the three), validate on base_val
# with the base names, test in one pass over base_val + novel_val with all names (BaseNovelMetric: base
# accuracy among base classes, novel among novel classes, HM).
#   FS_SEED=2 python tools/train.py configs/ga2clip_b2n_ssv2.py   # -> work_dirs/ga2clip_b2n_ssv2_s2
# Data layout and the hard-prompt stage: configs/README.md.
_base_ = [
    './_base_/default_runtime.py', './_base_/models/ga2clip_vit_b16.py',
    './_base_/schedules/ga2clip_b2n_12e.py', './_base_/datasets/ga2clip_pipelines.py'
]

fs_seed = '{{$FS_SEED:1}}'  # few-shot training list fs_base_s<FS_SEED> (1, 2 or 3)

data_root = 'data/sthv2/videos'
split_root = 'data/splits/base2novel_splits/ssv2_splits'
base_labels = 'data/labels/ssv2_174_base_labels.txt'
all_labels = 'data/labels/sthv2_b2n_all_labels.txt'  # base names then novel names
num_base_classes = 87
anchor_list = 'data/anchors/k600_anchor_clips.txt'  # released anchor clips (Kinetics-600)
anchor_root = 'data/kinetics600_anchors'
hard_prompt = 'data/hard_prompts/k400_base.pt'  # from configs/ga2clip_hard_prompt_k400_base.py
lr_mult = 1.0  # per-dataset multiplier of the released code
batch_size = 4  # per GPU, 8 GPUs

# Starting weights: CLIP ViT-B/16 with a K400-tuned image tower (Text4Vis-style checkpoint).
clip = dict(arch=None, weights='data/weights/k400_vit-b-16_text4vis.pt')
model = dict(
    backbone=dict(clip=clip),
    cls_head=dict(clip=clip, classnames=base_labels, hard_prompt=hard_prompt))

train_dataloader = dict(
    batch_size=batch_size,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AnchorBatchSampler', num_anchors=1),  # one anchor clip per GPU batch
    dataset=dict(
        type='AnchorSetDataset',
        dataset=dict(type=_base_.video_dataset, ann_file=f'{split_root}/fs_base_s{fs_seed}_train.txt',
                     data_prefix=dict(video=data_root), pipeline=_base_.ssv2_train_pipeline),
        anchor_dataset=dict(type=_base_.video_dataset, ann_file=anchor_list,
                            data_prefix=dict(video=anchor_root), pipeline=_base_.ssv2_train_pipeline),
        max_anchor_videos=0,  # > 0: a seeded subset (the 4..64 ablation)
        eval_ann_files=[f'{split_root}/base_val.txt', f'{split_root}/novel_val.txt'],
        leakage='drop'))
val_dataloader = dict(
    batch_size=batch_size,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=_base_.video_dataset, ann_file=f'{split_root}/base_val.txt',
                 data_prefix=dict(video=data_root), pipeline=_base_.test_pipeline, test_mode=True))
test_dataloader = dict(
    batch_size=batch_size,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=_base_.video_dataset, ann_file=f'{split_root}/base_novel_val.txt',
                 data_prefix=dict(video=data_root), pipeline=_base_.test_pipeline, test_mode=True))
val_evaluator = dict(type='AccMetric')
test_evaluator = dict(type='BaseNovelMetric', num_base_classes=num_base_classes)
custom_hooks = [dict(type='ClassNamesHook', test=all_labels)]  # validation keeps the base names

optim_wrapper = dict(optimizer=dict(lr=_base_.base_lr * lr_mult))
# No best-epoch checkpoint: the released numbers picked the best epoch on the evaluation split itself.
# Test the last one (epoch_12.pth).
default_hooks = dict(checkpoint=dict(save_best=None, max_keep_ckpts=2))
auto_scale_lr = dict(base_batch_size=8 * batch_size)
randomness = dict(seed=1024, deterministic=False)
work_dir = f'./work_dirs/ga2clip_b2n_ssv2_s{fs_seed}'
