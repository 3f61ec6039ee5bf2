# GA2-CLIP zero-shot evaluation on HMDB51, split 1 of 3 (configs/_base_/protocols/zero_shot.py):
# the class list, the evaluation list and the videos. Test-only: evaluate the checkpoint of
# configs/ga2clip_zs_k400.py; tools/eval_zero_shot.py runs all splits and reports mean +- std.
#   python tools/test.py configs/ga2clip_zs_eval_hmdb51_split1.py work_dirs/ga2clip_zs_k400/epoch_12.pth
_base_ = ['./_base_/protocols/zero_shot.py']

split = 1
model = dict(cls_head=dict(classnames='data/labels/hmdb_51_labels.txt'))
test_dataloader = dict(dataset=dict(ann_file=f'data/splits/hmdb_splits/val{split}.txt',
                                    data_prefix=dict(video='data/hmdb51/videos')))
