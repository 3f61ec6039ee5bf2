# Step 1 of the HMDB51 / UCF101 / SSv2 recipes: the prompt model whose layer-0 text context becomes their
# hard prompt. IVLP prompts only (no coupling, no hard prompt, no anchors) on the 200 K400 base classes,
# from OpenAI CLIP, base-to-novel schedule. Then:
#   python tools/data/extract_hard_prompt.py work_dirs/ga2clip_hard_prompt_k400_base/epoch_12.pth \
#       data/hard_prompts/k400_base.pt
# The released code does not say which K400 base list trained it; we use the 16-shot list fs_base_s1.
_base_ = [
    './_base_/default_runtime.py', './_base_/models/ga2clip_vit_b16.py',
    './_base_/schedules/ga2clip_b2n_12e.py', './_base_/datasets/ga2clip_pipelines.py'
]

data_root = 'data/kinetics400'
split_root = 'data/splits/base2novel_splits/k400_splits'
class_names = 'data/labels/kinetics_400_base_labels.txt'
batch_size = 8  # per GPU, 8 GPUs

clip = dict(arch=None, weights='data/weights/ViT-B-16.pt')
model = dict(
    backbone=dict(clip=clip),
    cls_head=dict(clip=clip, classnames=class_names, coupling='none', hard_prompt=None, anchor_loss=None))

train_dataloader = dict(
    batch_size=batch_size,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='SeededBatchSampler'),  # per-draw seeded augmentation (exact resume)
    dataset=dict(type=_base_.video_dataset, ann_file=f'{split_root}/fs_base_s1_train.txt',
                 data_prefix=dict(video=data_root), pipeline=_base_.train_pipeline))
val_dataloader = dict(
    batch_size=batch_size,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=_base_.video_dataset, ann_file=f'{split_root}/base_val.txt',
                 data_prefix=dict(video=data_root), pipeline=_base_.test_pipeline, test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator

default_hooks = dict(checkpoint=dict(save_best=None, max_keep_ckpts=2))
auto_scale_lr = dict(base_batch_size=8 * batch_size)
randomness = dict(seed=1024, deterministic=False)
