# Few-shot schedule (released): AdamW lr 8e-3, weight decay 1e-3, 5 warm-up epochs then cosine,
# 30 epochs, 8 GPUs x batch 8 (SSv2: x 4), AMP. Per-dataset lr multiplier applied in the run config.
base_lr = 8e-3
max_epochs = 30
warmup_epochs = 5

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=1, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='AmpOptimWrapper',
    optimizer=dict(type='AdamW', lr=base_lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-3))

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min_ratio=0.01, by_epoch=True,
         begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True)
]

auto_scale_lr = dict(enable=False, base_batch_size=64)
