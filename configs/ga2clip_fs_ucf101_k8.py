# GA2-CLIP few-shot on UCF101, K=8 shots per class. Published top-1: 93.8.
# Same recipe as K=16 (configs/ga2clip_fs_ucf101_k16.py), another training list.
_base_ = ['./ga2clip_fs_ucf101_k16.py']

shots = 8
train_dataloader = dict(
    dataset=dict(ann_file=f'data/splits/ucf_splits/train1_few_shot_{shots}.txt'))
