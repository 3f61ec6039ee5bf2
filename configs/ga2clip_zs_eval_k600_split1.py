# GA2-CLIP zero-shot evaluation on Kinetics-600 (160 non-K400 classes), split 1 of 3
# (configs/_base_/protocols/zero_shot.py): the class list, the evaluation list and the videos. Test-only:
# evaluate the checkpoint of configs/ga2clip_zs_k400.py; tools/eval_zero_shot.py runs all splits and reports
# mean +- std.
#   python tools/test.py configs/ga2clip_zs_eval_k600_split1.py work_dirs/ga2clip_zs_k400/epoch_12.pth
_base_ = ['./_base_/protocols/zero_shot.py']

split = 1
model = dict(cls_head=dict(classnames=f'data/labels/ZS_split{split}_K600.txt'))
test_dataloader = dict(dataset=dict(ann_file=f'data/splits/k600_splits/ZS_split{split}_K600_eval.txt',
                                    data_prefix=dict(video='data/kinetics600')))
