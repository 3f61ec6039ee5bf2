# configs/ga2clip_b2n_k400.py with the train augmentation on the device: the CPU decodes (and shrinks large frames);
# crop, resize, flip and grayscale are drawn there with the same calls and applied batched on the model's device by
# the data preprocessor (docs/data_path.md "Augmentation on the device"). Pipeline and preprocessor change together.
_base_ = ['./ga2clip_b2n_k400.py']

model = dict(data_preprocessor=dict(type='DeviceAugmentDataPreprocessor'))
train_dataloader = dict(dataset=dict(pipeline=_base_.device_train_pipeline))
work_dir = './work_dirs/ga2clip_b2n_k400_device_aug_s1'
