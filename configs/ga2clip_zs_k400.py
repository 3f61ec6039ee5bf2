# GA2-CLIP zero-shot protocol, training run: all of Kinetics-400
# (as configs/ga2clip_k400_fully_supervised.py).
# The anchor leakage guard also covers every zero-shot evaluation list. Evaluate the last checkpoint with
#   python tools/eval_zero_shot.py --checkpoint work_dirs/ga2clip_zs_k400/epoch_12.pth \
#       configs/ga2clip_zs_eval_{hmdb51,ucf101,k600}_split{1,2,3}.py
# (mean +- std over the three splits of each dataset; no published numbers).
_base_ = ['./ga2clip_k400_fully_supervised.py']

train_dataloader = dict(
    dataset=dict(eval_ann_files=[
        'data/splits/k400_splits/val.txt',
        'data/splits/hmdb_splits/val1.txt', 'data/splits/hmdb_splits/val2.txt',
        'data/splits/hmdb_splits/val3.txt',
        'data/splits/ucf_splits/val1.txt', 'data/splits/ucf_splits/val2.txt',
        'data/splits/ucf_splits/val3.txt',
        'data/splits/k600_splits/ZS_split1_K600_eval.txt', 'data/splits/k600_splits/ZS_split2_K600_eval.txt',
        'data/splits/k600_splits/ZS_split3_K600_eval.txt'
    ]))
