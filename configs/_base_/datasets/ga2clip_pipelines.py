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

# Where the train augmentation runs, one switch: 'cpu' (the pipeline crops, resizes, flips and grays the frames) or
# 'device' (the pipeline decodes and shrinks large frames only, and the *Params transforms draw the same
# random parameters with the same calls; DeviceAugmentDataPreprocessor applies them batched on the model's device
# and normalises, docs/data_path.md "Augmentation on the device"). Set it with the environment, e.g.
# `AUGMENT_ON=device python tools/train.py CFG`: configs/_base_/models/ga2clip_vit_b16.py reads the same variable
# for the data preprocessor type (a preprocessor that cannot apply the records refuses such clips). Only
# `train_pipeline` switches; the SSv2 and test pipelines augment on the CPU either way.
augment_on = '{{$AUGMENT_ON:cpu}}'

# Train: one random frame per segment; short side 256 -> random resized crop (area 0.08-1, aspect 3/4-4/3)
# -> 224 -> horizontal flip 0.5 -> random grayscale 0.2 (one decision per clip).
cpu_train_pipeline = [
    *open_video,
    dict(type='SegmentSample', num_segments=num_frames),
    decode_video,
    dict(type='Resize', scale=(-1, 256)),
    dict(type='RandomResizedCrop', area_range=(0.08, 1.0), aspect_ratio_range=(3 / 4, 4 / 3)),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='VideoRandomGrayscale', p=0.2),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
# The same augmentation drawn on the CPU and applied on the device: the decoded uint8 clips go to the data
# preprocessor with the parameters in the metainfo ('device_aug'). ResizeParams shrinks larger frames to short side
# 256 here (bounded bytes per clip) and leaves smaller ones to the device (320x240 -> 341x256 is 6 ms of CPU a clip).
device_train_pipeline = [
    *open_video,
    dict(type='SegmentSample', num_segments=num_frames),
    decode_video,
    dict(type='ResizeParams', scale=(-1, 256)),
    dict(type='RandomResizedCropParams', area_range=(0.08, 1.0), aspect_ratio_range=(3 / 4, 4 / 3),
         scale=(image_size, image_size)),
    dict(type='FlipParams', flip_ratio=0.5),
    dict(type='RandomGrayscaleParams', p=0.2),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=('img_shape', 'img_key', 'video_id', 'timestamp', 'device_aug'))
]
train_pipeline = dict(cpu=cpu_train_pipeline, device=device_train_pipeline)[augment_on]

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
    dict(type='VideoRandomGrayscale', p=0.2),
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
