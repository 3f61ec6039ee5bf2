# GA2-CLIP few-shot on Something-Something v2, K=4 shots per class. Published top-1: 9.9.
# Same recipe as K=16 (configs/ga2clip_fs_ssv2_k16.py), another training list.
_base_ = ['./ga2clip_fs_ssv2_k16.py']

shots = 4
train_dataloader = dict(
    dataset=dict(ann_file=f'data/splits/ssv2_splits/train1_few_shot_{shots}.txt'))
