# GA2-CLIP base-to-novel on Something-Something v2, the released recipe (configs/_base_/protocols/b2n.py).
# Published (seed 1): base 18.7, novel 14.3, HM 16.2.
# Data layout and the hard-prompt stage: configs/README.md. Other few-shot seeds: `--cfg-options` on
# train_dataloader.dataset.ann_file and work_dir (fs_base_s2_train.txt, fs_base_s3_train.txt).
# Anchors off (configs/_base_/protocols/b2n.py says why); anchors on: configs/ga2clip_b2n_k400_negative_anchors.py.
_base_ = ['./_base_/protocols/b2n.py']

split_root = 'data/splits/base2novel_splits/ssv2_splits'
data_root = 'data/sthv2/videos'
all_labels = 'data/labels/sthv2_b2n_all_labels.txt'  # base names then novel names
# Starting weights: CLIP ViT-B/16 with a K400-tuned image tower (Text4Vis-style checkpoint).
clip = dict(arch=None, weights='data/weights/k400_vit-b-16_text4vis.pt')
hard_prompt = 'data/hard_prompts/k400_base.pt'  # from configs/ga2clip_hard_prompt_k400_base.py
base_labels = 'data/labels/ssv2_174_base_labels.txt'
model = dict(backbone=dict(clip=clip), cls_head=dict(clip=clip, classnames=base_labels, hard_prompt=hard_prompt))
# SSv2: batch 4 per GPU; its own train pipeline (no flip: left/right matters in SSv2 classes).
batch_size = 4
train_dataloader = dict(batch_size=batch_size, dataset=dict(
    ann_file=f'{split_root}/fs_base_s1_train.txt', data_prefix=dict(video=data_root),
    pipeline=_base_.ssv2_train_pipeline))
val_dataloader = dict(batch_size=batch_size,
                      dataset=dict(ann_file=f'{split_root}/base_val.txt', data_prefix=dict(video=data_root)))
test_dataloader = dict(batch_size=batch_size,
                       dataset=dict(ann_file=f'{split_root}/base_novel_val.txt', data_prefix=dict(video=data_root)))
test_evaluator = dict(num_base_classes=87)
custom_hooks = [dict(type='ClassNamesHook', test=all_labels)]  # validation keeps the base names
auto_scale_lr = dict(base_batch_size=8 * batch_size)
work_dir = './work_dirs/ga2clip_b2n_ssv2_s1'
