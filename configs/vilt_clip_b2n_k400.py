# ViLT-CLIP (AAAI 2024; our design from its abstract, docs/vilt_clip.md) base-to-novel on Kinetics-400.
#
# The data, few-shot lists, schedule and evaluation of configs/ga2clip_b2n_k400.py, with ViLT-CLIP's parts
# (configs/_base_/models/vilt_clip_parts.py) in place of GA2-CLIP's.
#   FS_SEED=2 python tools/train.py configs/vilt_clip_b2n_k400.py   # -> work_dirs/vilt_clip_b2n_k400_s2
_base_ = ['./ga2clip_b2n_k400.py', './_base_/models/vilt_clip_parts.py']

fs_seed = '{{$FS_SEED:1}}'  # few-shot training list fs_base_s<FS_SEED> (1, 2 or 3)

model = _base_.vilt_clip_model

# The few-shot base list of the GA2-CLIP config without its anchor-set wrapper and anchor batches.
train_dataloader = dict(
    batch_sampler=dict(_delete_=True, type='SeededBatchSampler'),  # no anchor clips; per-draw seeded augmentation
    dataset=dict(_delete_=True, **_base_.train_dataloader.dataset.dataset))
work_dir = f'./work_dirs/vilt_clip_b2n_k400_s{fs_seed}'
