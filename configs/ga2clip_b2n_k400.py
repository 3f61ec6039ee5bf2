# GA2-CLIP base-to-novel on Kinetics-400, the released recipe (configs/_base_/protocols/b2n.py).
# Published (seed 1): base 77.0, novel 63.3, HM 69.5.
# Data layout and the hard-prompt stage: configs/README.md. Other few-shot seeds: `--cfg-options` on
# train_dataloader.dataset.ann_file and work_dir (fs_base_s2_train.txt, fs_base_s3_train.txt).
# Anchors off (configs/_base_/protocols/b2n.py says why); anchors on: configs/ga2clip_b2n_k400_negative_anchors.py.
_base_ = ['./_base_/protocols/b2n.py']

split_root = 'data/splits/base2novel_splits/k400_splits'
data_root = 'data/kinetics400'
all_labels = 'data/labels/kinetics400_b2n_all_labels.txt'  # base names then novel names
# Starting weights: OpenAI CLIP ViT-B/16.
clip = dict(arch=None, weights='data/weights/ViT-B-16.pt')
hard_prompt = 'data/hard_prompts/k100.pt'  # from configs/ga2clip_hard_prompt_k100.py
base_labels = 'data/labels/kinetics_400_base_labels.txt'
model = dict(backbone=dict(clip=clip), cls_head=dict(clip=clip, classnames=base_labels, hard_prompt=hard_prompt))
train_dataloader = dict(dataset=dict(ann_file=f'{split_root}/fs_base_s1_train.txt', data_prefix=dict(video=data_root)))
val_dataloader = dict(dataset=dict(ann_file=f'{split_root}/base_val.txt', data_prefix=dict(video=data_root)))
test_dataloader = dict(
    dataset=dict(ann_file=f'{split_root}/base_novel_val.txt', data_prefix=dict(video=data_root)))
test_evaluator = dict(num_base_classes=200)
custom_hooks = [dict(type='ClassNamesHook', test=all_labels)]  # validation keeps the base names
work_dir = './work_dirs/ga2clip_b2n_k400_s1'
