# Video pipelines of the released recipe: 32 segments, 224 px, CLIP normalisation in the data
# preprocessor. Inherit and reference as `_base_.train_pipeline` etc.
num_frames = 32
image_size = 224

# Where the clips come from and where the train augmentation runs are config choices, made by which of the
# variables below a config uses (nothing here reads the environment; `python tools/misc/print_config.py CFG` or the
# dumped config shows the pipelines a run uses):
# * source: videos (`video_dataset` with the `*_pipeline`s, DecordInit/DecordDecode) or JPEG frames from
#   tools/data/extract_frames.py (`rawframe_dataset` with the `rawframes_*_pipeline`s, RawFrameDecode), read from
#   the same video lists;
# * augmentation: on the CPU (`train_pipeline`, the released one) or on the device (`device_train_pipeline`: the
#   pipeline decodes and shrinks large frames only and the *Params transforms draw the same random parameters with
#   the same calls; DeviceAugmentDataPreprocessor applies them batched on the model's device and normalises, so a
#   config that uses it sets model.data_preprocessor.type='DeviceAugmentDataPreprocessor' too; docs/data_path.md
#   "Augmentation on the device"). The SSv2 and test pipelines augment on the CPU either way.
# configs/ga2clip_b2n_k400_device_aug.py and configs/ga2clip_b2n_hmdb51_rawframes.py are such variants.
video_dataset = 'RobustVideoDataset'
rawframe_dataset = 'RobustRawframeDataset'
open_video = [dict(type='DecordInit')]
decode_video = dict(type='DecordDecode')


def _with_source(pipeline, rawframes):
    """The pipeline reading JPEG frames instead of videos (no DecordInit; RawFrameDecode for DecordDecode)."""
    if not rawframes:
        return pipeline
    return [dict(type='RawFrameDecode') if t['type'] == 'DecordDecode' else t for t in pipeline
            if t['type'] != 'DecordInit']


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
train_pipeline = cpu_train_pipeline

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

rawframes_train_pipeline = _with_source(train_pipeline, rawframes=True)
rawframes_device_train_pipeline = _with_source(device_train_pipeline, rawframes=True)
rawframes_ssv2_train_pipeline = _with_source(ssv2_train_pipeline, rawframes=True)
rawframes_test_pipeline = _with_source(test_pipeline, rawframes=True)
