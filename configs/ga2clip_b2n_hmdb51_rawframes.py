# configs/ga2clip_b2n_hmdb51.py reading JPEG frames (tools/data/extract_frames.py) instead of the videos: the same
# lists, RobustRawframeDataset and RawFrameDecode in every dataloader (docs/data_path.md "JPEG frames").
_base_ = ['./ga2clip_b2n_hmdb51.py']

train_dataloader = dict(dataset=dict(type=_base_.rawframe_dataset, pipeline=_base_.rawframes_train_pipeline))
val_dataloader = dict(dataset=dict(type=_base_.rawframe_dataset, pipeline=_base_.rawframes_test_pipeline))
test_dataloader = dict(dataset=dict(type=_base_.rawframe_dataset, pipeline=_base_.rawframes_test_pipeline))
work_dir = './work_dirs/ga2clip_b2n_hmdb51_rawframes_s1'
