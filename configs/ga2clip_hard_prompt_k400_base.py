# Step 1 of the HMDB51 / UCF101 / SSv2 recipes: the prompt model whose layer-0 text context becomes their
# hard prompt. IVLP prompts only (no coupling, no hard prompt, no anchors) on the 200 K400 base classes,
# from OpenAI CLIP, base-to-novel schedule (configs/_base_/protocols/hard_prompt.py). Then:
#   python tools/data/extract_hard_prompt.py work_dirs/ga2clip_hard_prompt_k400_base/epoch_12.pth \
#       data/hard_prompts/k400_base.pt
# The released code does not say which K400 base list trained it; we use the 16-shot list fs_base_s1.
_base_ = ['./_base_/protocols/hard_prompt.py']

data_root = 'data/kinetics400'
split_root = 'data/splits/base2novel_splits/k400_splits'
class_names = 'data/labels/kinetics_400_base_labels.txt'
model = dict(cls_head=dict(classnames=class_names))
train_dataloader = dict(dataset=dict(ann_file=f'{split_root}/fs_base_s1_train.txt', data_prefix=dict(video=data_root)))
val_dataloader = dict(dataset=dict(ann_file=f'{split_root}/base_val.txt', data_prefix=dict(video=data_root)))
test_dataloader = val_dataloader
