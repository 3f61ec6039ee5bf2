# GA2-CLIP zero-shot evaluation on HMDB51, split 3 of 3
# (as split 1, another list).
_base_ = ['./ga2clip_zs_eval_hmdb51_split1.py']

split = 3
test_dataloader = dict(dataset=dict(ann_file='data/splits/hmdb_splits/val3.txt'))
