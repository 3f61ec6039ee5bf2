# Mixing: the prompted CLIP image tower as the backbone of MMAction2's stock Recognizer2D with its stock
# TSNHead (TSN: frames encoded independently, average consensus): closed-set training on the 12 base classes of
# the demo's synthetic world, tested on base_val with AccMetric.
#
# Frames come as 'NCHW' ([segments, C, H, W] per clip); `feature_map=True` makes the backbone return
# [frames, D, 1, 1], which TSNHead pools and averages over the segments.
#
# Needs the demo world: `make demo` (or projects/ga2clip_demo/tools/make_synthetic_videos.py) writes it.
_base_ = ['./promptedclip_recognizer3d_i3dhead_demo.py']

model = dict(
    type='Recognizer2D',
    cls_head=dict(_delete_=True, type='TSNHead', in_channels=128, num_classes=12, dropout_ratio=0.5,
                  init_std=0.01, consensus=dict(type='AvgConsensus', dim=1), average_clips='prob'),
    data_preprocessor=dict(format_shape='NCHW'))

# The base's pipelines (4 training frames, 8 test frames, 64 px), packed as frames: FormatShape 'NCHW'.
train_pipeline = [dict(t, input_format='NCHW') if t['type'] == 'FormatShape' else t for t in _base_.train_pipeline]
test_pipeline = [dict(t, input_format='NCHW') if t['type'] == 'FormatShape' else t for t in _base_.test_pipeline]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
