# Zero-shot evaluation protocol (test only): the checkpoint of configs/ga2clip_zs_k400.py on the classes and videos of
# another dataset, one split per config, top-1 with AccMetric; tools/eval_zero_shot.py runs every split and reports
# mean +- std.
#
# Weights, prompts and the hard prompt (buffer cls_head.prompt_learner.hard_prompt) come from the checkpoint; `clip`
# only fixes the architecture (OpenAI ViT-B/16 format), so no weight file is read. Anchors off (no training).
#
# Each split's config (configs/ga2clip_zs_eval_<dataset>_split1.py) sets what differs: the videos (`data_root`),
# the evaluation list and the class list; splits 2 and 3 inherit split 1 and change the split.
_base_ = ['../default_runtime.py', '../models/ga2clip_vit_b16.py', '../datasets/ga2clip_pipelines.py']

batch_size = 8

clip = dict(arch='ViT-B-16-quickgelu', weights=None)
model = dict(backbone=dict(clip=clip), cls_head=dict(clip=clip, hard_prompt=None, anchor_loss=None))

test_dataloader = dict(
    batch_size=batch_size,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=_base_.video_dataset, pipeline=_base_.test_pipeline, test_mode=True))
test_evaluator = dict(type='AccMetric')
test_cfg = dict(type='TestLoop')
