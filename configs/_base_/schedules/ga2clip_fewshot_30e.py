# Few-shot schedule (released): the base-to-novel schedule (./ga2clip_b2n_12e.py: AdamW, weight decay 1e-3, warm-up
# then cosine, AMP) with lr 8e-3, 5 warm-up epochs, 30 epochs and validation every 5 epochs, 8 GPUs x batch 8
# (SSv2: x 4). Per-dataset lr multiplier applied in the run config.
_base_ = ['./ga2clip_b2n_12e.py']

base_lr = 8e-3
max_epochs = 30
warmup_epochs = 5

train_cfg = dict(max_epochs=max_epochs, val_interval=5)
optim_wrapper = dict(optimizer=dict(lr=base_lr))
param_scheduler = [  # the same two phases (linear warm-up, cosine), moved to the new epochs
    dict(_base_.param_scheduler[0], end=warmup_epochs),
    dict(_base_.param_scheduler[1], T_max=max_epochs - warmup_epochs, begin=warmup_epochs, end=max_epochs)
]
