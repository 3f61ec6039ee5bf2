# Video pipelines of the released recipe: 32 segments, 224 px, CLIP normalisation in the data
# preprocessor. Inherit and reference as `_base_.train_pipeline` etc.
num_frames = 32
image_size = 224

# The source of every protocol's clips, one switch: 'video' (decord on the videos) or 'rawframes' (JPEG frames from
# tools/data/extract_frames.py, read by RobustRawframeDataset from the same video lists). Set it here or with the
# environment, e.g. `VIDEO_SOURCE=rawframes python tools/train.py CFG` (a base-file variable: --cfg-options cannot
# change it). The protocol configs take `video_dataset` as their dataset type.
video_source = '{{$VIDEO_SOURCE:video}}'
video_dataset = dict(video='RobustVideoDataset', rawframes='RobustRawframeDataset')[video_source]
open_video = dict(video=[dict(type='DecordInit')], rawframes=[])[video_source]
decode_video = dict(video=dict(type='DecordDecode'), rawframes=dict(type='RawFrameDecode'))[video_source]

# Train: one random frame per segment; short side 256 -> random resized crop (area 0.08-1, aspect 3/4-4/3)
# -> 224 -> horizontal flip 0.5 -> random grayscale 0.2 (one decision per clip).
train_pipeline = [
    *open_video,
    dict(type='SegmentSample', num_segments=num_frames),
    decode_video,
    dict(type='Resize', scale=(-1, 256)),
    dict(type='RandomResizedCrop', area_range=(0.08, 1.0), aspect_ratio_range=(3 / 4, 4 / 3)),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='RandomGrayscale', p=0.2),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]

# SSv2 train: resize to 240x320 (h x w) -> multi-scale crop -> 224, no flip (left/right matters in
# SSv2 classes); random grayscale kept.
ssv2_train_pipeline = [
    *open_video,
    dict(type='SegmentSample', num_segments=num_frames),
    decode_video,
    dict(type='Resize', scale=(320, 240), keep_ratio=False),
    dict(type='MultiScaleCrop', input_size=image_size, scales=(1, 0.875, 0.75, 0.66),
         random_crop=False, max_wh_scale_gap=1),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=False),
    dict(type='RandomGrayscale', p=0.2),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]

# Val/test: the first frame of each segment; short side 256 -> center crop 224; 1 clip x 1 crop.
test_pipeline = [
    *open_video,
    dict(type='SegmentSample', num_segments=num_frames, test_mode=True),
    decode_video,
    dict(type='Resize', scale=(-1, 256)),
    dict(type='CenterCrop', crop_size=image_size),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
