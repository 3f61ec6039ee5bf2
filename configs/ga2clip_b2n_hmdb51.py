# GA2-CLIP base-to-novel on HMDB51, the released recipe (configs/_base_/protocols/b2n.py).
# Published (seed 1): base 78.3, novel 58.9, HM 67.2.
# Data layout and the hard-prompt stage: configs/README.md. Other few-shot seeds: `--cfg-options` on
# train_dataloader.dataset.ann_file and work_dir (fs_base_s2_train.txt, fs_base_s3_train.txt).
# Anchors off (configs/_base_/protocols/b2n.py says why); anchors on: configs/ga2clip_b2n_k400_negative_anchors.py.
_base_ = ['./_base_/protocols/b2n.py']

split_root = 'data/splits/base2novel_splits/hmdb_splits'
data_root = 'data/hmdb51/videos'
all_labels = 'data/labels/hmdb51_b2n_all_labels.txt'  # base names then novel names
# Starting weights: CLIP ViT-B/16 with a K400-tuned image tower (Text4Vis-style checkpoint).
clip = dict(arch=None, weights='data/weights/k400_vit-b-16_text4vis.pt')
hard_prompt = 'data/hard_prompts/k400_base.pt'  # from configs/ga2clip_hard_prompt_k400_base.py
base_labels = 'data/labels/hmdb_51_base_labels.txt'
model = dict(backbone=dict(clip=clip), cls_head=dict(clip=clip, classnames=base_labels, hard_prompt=hard_prompt))
train_dataloader = dict(dataset=dict(ann_file=f'{split_root}/fs_base_s1_train.txt', data_prefix=dict(video=data_root)))
val_dataloader = dict(dataset=dict(ann_file=f'{split_root}/base_val.txt', data_prefix=dict(video=data_root)))
test_dataloader = dict(
    dataset=dict(ann_file=f'{split_root}/base_novel_val.txt', data_prefix=dict(video=data_root)))
test_evaluator = dict(num_base_classes=26)
custom_hooks = [dict(type='ClassNamesHook', test=all_labels)]  # validation keeps the base names
optim_wrapper = dict(optimizer=dict(lr=_base_.base_lr * 0.1))  # the released per-dataset lr multiplier
work_dir = './work_dirs/ga2clip_b2n_hmdb51_s1'
