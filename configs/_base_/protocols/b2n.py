# Base-to-novel protocol of the released recipe (ViFi-CLIP's): train on 16 shots per base class
# (fs_base_s{1,2,3}_train.txt; report the mean of the three seeds), validate on base_val with the base names, test
# in one pass over base_val + novel_val with all names (BaseNovelMetric: base accuracy among base classes, novel
# among novel classes, HM): the closed-set protocol (./closed_set.py) with another test metric. The released
# schedule: 12 epochs, 8 GPUs x batch 8.
#
# Anchors: off. The released anchor term (mode 'official', the single anchor name 'else') adds a constant to every
# logit of a row and has zero gradient, so the released recipe trains the same without it and without decoding one
# anchor clip per batch (docs/model.md, difference 11). Dataset, sampler, preprocessor and loss say so together:
# the plain training list and SeededBatchSampler (../datasets/ga2clip_dataloaders.py), cls_head.anchor_loss=None
# (../models/ga2clip_vit_b16.py). Anchors on, with a term that acts: configs/ga2clip_b2n_k400_negative_anchors.py
# (copy it and change its `_base_` line for another dataset).
#
# Each dataset's config (configs/ga2clip_b2n_<dataset>.py) sets what differs: `split_root` (the lists), `data_root`
# (the videos), the class lists, the hard prompt, the starting weights and the lr multiplier.
_base_ = ['./closed_set.py', '../schedules/ga2clip_b2n_12e.py']

test_evaluator = dict(type='BaseNovelMetric')
