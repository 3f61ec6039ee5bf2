# Closed-set protocol: train and evaluate on the same classes, top-1 with AccMetric, 8 GPUs x batch 8. The run
# config (or the protocol that inherits this file) adds its schedule: few-shot (./fewshot.py) and, with the
# base-to-novel schedule, the hard-prompt stage (./hard_prompt.py) and fully supervised Kinetics-400
# (configs/ga2clip_k400_fully_supervised.py); base-to-novel (./b2n.py) tests with BaseNovelMetric instead.
#
# Anchors off, as in every released recipe (./b2n.py says why): the plain training list and SeededBatchSampler
# (../datasets/ga2clip_dataloaders.py), cls_head.anchor_loss=None (../models/ga2clip_vit_b16.py).
#
# A run config sets the class list (cls_head.classnames), each dataloader's `ann_file` and `data_prefix`, and its
# starting weights and hard prompt where they differ from the model base's.
_base_ = ['../default_runtime.py', '../models/ga2clip_vit_b16.py', '../datasets/ga2clip_dataloaders.py']

val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator
# No best-epoch checkpoint: the released numbers picked the best epoch on the evaluation split itself.
# Test the last one (epoch_12.pth, few-shot epoch_30.pth).
default_hooks = dict(checkpoint=dict(save_best=None, max_keep_ckpts=2))
randomness = dict(seed=1024, deterministic=False)
