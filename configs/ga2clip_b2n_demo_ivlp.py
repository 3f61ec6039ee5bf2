# IVLP baseline of the embedded demo: the same deep prompts as configs/ga2clip_b2n_demo.py, without
# the hard prompt (coupling='none') and without anchors. See docs/synthetic_world.md.
_base_ = ['./ga2clip_b2n_demo.py']

model = dict(
    cls_head=dict(coupling='none', hard_prompt=None, anchor_loss=None))

train_dataloader = dict(
    # no anchor clips; per-draw seeded augmentation (_delete_: the base's AnchorBatchSampler num_anchors would merge in)
    batch_sampler=dict(_delete_=True, type='SeededBatchSampler'),
    dataset=dict(
        _delete_=True,
        type='RobustVideoDataset',
        ann_file={{_base_.train_dataloader.dataset.dataset.ann_file}},
        data_prefix=dict(video={{_base_.video_root}}),
        pipeline={{_base_.train_pipeline}}))
