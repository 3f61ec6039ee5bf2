# The dataloaders of the released recipes (8 GPUs x batch 8): the training list with the train pipeline, anchors off
# (the released anchor term is inert, see ../models/ga2clip_vit_b16.py: a plain dataset and SeededBatchSampler,
# per-draw seeded augmentation for exact resume), validation and test with the test pipeline. A run config sets
# each dataset's `ann_file` and `data_prefix` (configs/_base_/protocols/). Anchors on (AnchorSetDataset around the
# training list + AnchorBatchSampler + an anchor term): configs/ga2clip_b2n_k400_negative_anchors.py.
_base_ = ['./ga2clip_pipelines.py']

batch_size = 8  # per GPU, 8 GPUs

train_dataloader = dict(
    batch_size=batch_size,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='SeededBatchSampler'),  # anchors off; per-draw seeded augmentation (exact resume)
    dataset=dict(type={{_base_.video_dataset}}, pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    batch_size=batch_size,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type={{_base_.video_dataset}}, pipeline={{_base_.test_pipeline}}, test_mode=True))
test_dataloader = val_dataloader
