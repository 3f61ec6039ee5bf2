# GA2-CLIP few-shot on UCF101: K=16 shots per class over all classes (train1_few_shot_16), the released
# recipe (configs/_base_/protocols/fewshot.py); evaluated on the full validation split 1. Published top-1: 95.5.
# K = 2, 4, 8 inherit this file and change the training list. Data layout: configs/README.md.
# Anchors off, as in every released recipe (configs/_base_/protocols/b2n.py says why; anchors on:
# configs/ga2clip_b2n_k400_negative_anchors.py).
_base_ = ['./_base_/protocols/fewshot.py']

shots = 16
split_root = 'data/splits/ucf_splits'
data_root = 'data/ucf101/videos'
# Starting weights: CLIP ViT-B/16 with a K400-tuned image tower (Text4Vis-style checkpoint).
clip = dict(arch=None, weights='data/weights/k400_vit-b-16_text4vis.pt')
hard_prompt = 'data/hard_prompts/k400_base.pt'  # from configs/ga2clip_hard_prompt_k400_base.py
class_names = 'data/labels/ucf_101_labels.txt'
model = dict(backbone=dict(clip=clip), cls_head=dict(clip=clip, classnames=class_names, hard_prompt=hard_prompt))
train_dataloader = dict(
    dataset=dict(ann_file=f'{split_root}/train1_few_shot_{shots}.txt', data_prefix=dict(video=data_root)))
val_dataloader = dict(dataset=dict(ann_file=f'{split_root}/val1.txt', data_prefix=dict(video=data_root)))
test_dataloader = val_dataloader
