# GA2-CLIP with the released anchor term on the embedded demo ("GA2-CLIP (released anchors)" of `make demo`).
#
# configs/ga2clip_b2n_demo.py with `model.cls_head.anchor_loss.mode='official'`: the released code's logit term. Fed this
# world's 12 generic attribute names for 12 base classes, it adds one anchor logit per class, i.e. a learned
# per-class bias; with the released one-name list it is a constant and does nothing (AnchorLoss.is_inert).
_base_ = ['./ga2clip_b2n_demo.py']

model = dict(cls_head=dict(anchor_loss=dict(mode='official')))
