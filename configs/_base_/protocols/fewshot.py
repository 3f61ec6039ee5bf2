# Few-shot protocol of the released recipe: K = 2, 4, 8, 16 shots per class over all classes (train1_few_shot_K),
# evaluated on the full validation split 1 with AccMetric (./closed_set.py). The released schedule: 30 epochs,
# 8 GPUs x batch 8. Anchors off, as in every released recipe (./b2n.py says why).
#
# Each dataset's config (configs/ga2clip_fs_<dataset>_k16.py) sets what differs: the lists, the videos, the class
# list, the hard prompt, the starting weights and the lr multiplier; K = 2, 4, 8 inherit it and change the list.
_base_ = ['./closed_set.py', '../schedules/ga2clip_fewshot_30e.py']
