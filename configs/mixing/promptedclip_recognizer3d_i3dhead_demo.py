# Mixing: the prompted CLIP image tower (PromptedCLIPVision: frozen CLIP, deep visual prompts) as the backbone
# of MMAction2's stock Recognizer3D with its stock I3DHead: closed-set training on the 12 base classes of the
# demo's synthetic world, tested on base_val with AccMetric.
#
# `feature_map=True` makes the backbone return MMAction2's layout [N, D, T, 1, 1], which I3DHead pools. Only the
# visual prompts and the linear classifier train (the CLIP weights stay frozen inside the backbone).
#
# Needs the demo world: `make demo` (or projects/ga2clip_demo/tools/make_synthetic_videos.py) writes it. The data
# settings are the demo's IVLP baseline's (training clips without anchor clips).
_base_ = ['../ga2clip_b2n_demo_ivlp.py']

clip = {{_base_.clip}}
num_classes = 12

model = dict(
    _delete_=True,
    type='Recognizer3D',
    backbone=dict(type='PromptedCLIPVision', clip=clip, vision_ctx=4, vision_depth=4, feature_map=True),
    cls_head=dict(type='I3DHead', in_channels=128, num_classes=num_classes, dropout_ratio=0.5,
                  init_std=0.01, average_clips='prob'),
    data_preprocessor=dict(type='ActionDataPreprocessor', mean=[122.771, 116.746, 104.094],
                           std=[68.501, 66.632, 70.323], format_shape='NCTHW'))

test_dataloader = dict(dataset=dict(ann_file='data/synthetic/splits/base2novel_splits/synth_splits/base_val.txt'))
test_evaluator = dict(_delete_=True, type='AccMetric')
custom_hooks = []
