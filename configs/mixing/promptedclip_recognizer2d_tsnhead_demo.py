# Mixing: the prompted CLIP image tower as the backbone of MMAction2's stock Recognizer2D with its stock
# TSNHead (TSN: frames encoded independently, average consensus): closed-set training on the 12 base classes of
# the demo's synthetic world, tested on base_val with AccMetric.
#
# Frames come as 'NCHW' ([segments, C, H, W] per clip); `feature_map=True` makes the backbone return
# [frames, D, 1, 1], which TSNHead pools and averages over the segments.
#
# Needs the demo world: `make demo` (or projects/ga2clip_demo/tools/make_synthetic_videos.py) writes it.
_base_ = ['./promptedclip_recognizer3d_i3dhead_demo.py']

image_size = 64
num_segments = 4

model = dict(
    type='Recognizer2D',
    cls_head=dict(_delete_=True, type='TSNHead', in_channels=128, num_classes=12, dropout_ratio=0.5,
                  init_std=0.01, consensus=dict(type='AvgConsensus', dim=1), average_clips='prob'),
    data_preprocessor=dict(format_shape='NCHW'))

train_pipeline = [
    dict(type='DecordInit'),
    dict(type='SegmentSample', num_segments=num_segments),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='DecordInit'),
    dict(type='SegmentSample', num_segments=8, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=False),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
