# The released anchor formula fed C names, on the embedded demo: a per-class bias, neither the paper nor the release
# (the earlier grid's row once labelled "the paper's"; GA2-CLIP as released is ga2clip_b2n_demo_as_released.py).
#
# configs/ga2clip_b2n_demo.py with `model.cls_head.anchor_loss.mode='official'`: the released code's logit term. Fed this
# world's 12 generic attribute names for 12 base classes, it adds one anchor logit per class, i.e. a learned
# per-class bias; with the released one-name list it is a constant and does nothing (AnchorLoss.is_inert).
_base_ = ['./ga2clip_b2n_demo.py']

model = dict(cls_head=dict(anchor_loss=dict(mode='official')))
