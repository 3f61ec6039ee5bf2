# Stage 1 of the embedded demo: IVLP prompt tuning on a class set of the synthetic world disjoint from
# the base and novel classes. Its layer-0 soft text context becomes the hard prompt of
# configs/ga2clip_b2n_demo.py (as a K400 prompt model gives the hard prompt of the released settings).
_base_ = ['./ga2clip_b2n_demo_ivlp.py']

model = dict(cls_head=dict(classnames='data/synthetic/labels/synth_stage1_labels.csv'))
train_dataloader = dict(dataset=dict(ann_file='data/synthetic/splits/stage1_splits/train.txt'))
# Stage 1 is not evaluated (its classes are neither base nor novel).
test_dataloader = None
test_evaluator = None
test_cfg = None
custom_hooks = []
