# Step 1 of the K400 recipe: the "K100" prompt model, trained on the 100 Kinetics-600 classes absent
# from K400 (labels/k600_base.csv); its layer-0 text context becomes the K400 hard prompt. IVLP prompts only,
# from OpenAI CLIP, base-to-novel schedule. The training list is not published: make one with
#   python tools/data/make_class_subset.py --pool-list data/kinetics600/kinetics600_train_list_videos.txt \
#       --pool-labels data/labels/kinetics_600_labels.txt --subset-labels data/labels/k600_base.txt \
#       --shots 16 --out data/splits/k100_splits/train.txt
# (paths relative to data/kinetics600/videos_train, as in MMAction2's Kinetics lists), then after training
#   python tools/data/extract_hard_prompt.py work_dirs/ga2clip_hard_prompt_k100/epoch_12.pth \
#       data/hard_prompts/k100.pt
_base_ = [
    './_base_/default_runtime.py', './_base_/models/ga2clip_vit_b16.py',
    './_base_/schedules/ga2clip_b2n_12e.py', './_base_/datasets/ga2clip_pipelines.py'
]

data_root = 'data/kinetics600/videos_train'
class_names = 'data/labels/k600_base.txt'
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
    dataset=dict(type=_base_.video_dataset, ann_file='data/splits/k100_splits/train.txt',
                 data_prefix=dict(video=data_root), pipeline=_base_.train_pipeline))
# No published evaluation list for K100: train without validation.
val_dataloader = None
val_evaluator = None
val_cfg = None
train_cfg = dict(val_interval=_base_.max_epochs + 1)

default_hooks = dict(checkpoint=dict(save_best=None, max_keep_ckpts=2))
auto_scale_lr = dict(base_batch_size=8 * batch_size)
randomness = dict(seed=1024, deterministic=False)
