# ViLT-CLIP (AAAI 2024; our design from its abstract, docs/vilt_clip.md) base-to-novel on HMDB51.
#
# The data, few-shot lists, schedule and evaluation of configs/ga2clip_b2n_hmdb51.py, with ViLT-CLIP's parts
# (configs/_base_/models/vilt_clip_parts.py) in place of GA2-CLIP's.
_base_ = ['./ga2clip_b2n_hmdb51.py', './_base_/models/vilt_clip_parts.py']

model = _base_.vilt_clip_model

work_dir = './work_dirs/vilt_clip_b2n_hmdb51_s1'
