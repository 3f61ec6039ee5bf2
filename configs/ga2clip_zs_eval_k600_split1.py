# GA2-CLIP zero-shot evaluation on Kinetics-600 (160 non-K400 classes), split 1 of 3.
# Test-only: evaluate the checkpoint of
# configs/ga2clip_zs_k400.py; tools/eval_zero_shot.py runs all splits and reports mean +- std.
#   python tools/test.py configs/ga2clip_zs_eval_k600_split1.py work_dirs/ga2clip_zs_k400/epoch_12.pth
_base_ = [
    './_base_/default_runtime.py', './_base_/models/ga2clip_vit_b16.py',
    './_base_/datasets/ga2clip_pipelines.py'
]

split = 1
data_root = 'data/kinetics600'
eval_list = f'data/splits/k600_splits/ZS_split{split}_K600_eval.txt'
class_names = f'data/labels/ZS_split{split}_K600.txt'
batch_size = 8

# Weights, prompts and the hard prompt (buffer cls_head.prompt_learner.hard_prompt) come from the
# checkpoint; `clip` only fixes the architecture (OpenAI ViT-B/16 format), so no weight file is read.
clip = dict(arch='ViT-B-16-quickgelu', weights=None)
model = dict(
    backbone=dict(clip=clip),
    cls_head=dict(clip=clip, classnames=class_names, hard_prompt=None, anchor_loss=None))

test_dataloader = dict(
    batch_size=batch_size,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=_base_.video_dataset, ann_file=eval_list, data_prefix=dict(video=data_root),
                 pipeline=_base_.test_pipeline, test_mode=True))
test_evaluator = dict(type='AccMetric')
test_cfg = dict(type='TestLoop')
