# GA2-CLIP zero-shot evaluation on Kinetics-600 (160 non-K400 classes), split 3 of 3
# (as split 1, another list and class list).
_base_ = ['./ga2clip_zs_eval_k600_split1.py']

split = 3
test_dataloader = dict(dataset=dict(ann_file='data/splits/k600_splits/ZS_split3_K600_eval.txt'))
model = dict(cls_head=dict(classnames='data/labels/ZS_split3_K600.txt'))
