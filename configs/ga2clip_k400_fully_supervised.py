# GA2-CLIP fully supervised on Kinetics-400: all 400 classes, the full training set, evaluated on K400 val
# (configs/_base_/protocols/closed_set.py). Also the training run of the zero-shot protocol
# (configs/ga2clip_zs_k400.py inherits it).
# No published recipe for this setting: we keep the base-to-novel schedule (12 epochs, lr 4e-2), the K100
# hard prompt; anchors off, as in every released recipe (the released anchor term is inert, see the model base).
# The full K400 training list is MMAction2's kinetics400_train_list_videos.txt (paths relative to
# data/kinetics400/videos_train); val is the converted canonical list (data/splits/k400_splits/val.txt).
_base_ = ['./_base_/protocols/closed_set.py', './_base_/schedules/ga2clip_b2n_12e.py']

data_root = 'data/kinetics400'
train_list = 'data/kinetics400/kinetics400_train_list_videos.txt'
val_list = 'data/splits/k400_splits/val.txt'
class_names = 'data/labels/kinetics_400_labels.txt'
hard_prompt = 'data/hard_prompts/k100.pt'  # from configs/ga2clip_hard_prompt_k100.py
# Starting weights: OpenAI CLIP ViT-B/16 (the model base's).
model = dict(cls_head=dict(classnames=class_names, hard_prompt=hard_prompt))
train_dataloader = dict(dataset=dict(ann_file=train_list, data_prefix=dict(video=f'{data_root}/videos_train')))
val_dataloader = dict(dataset=dict(ann_file=val_list, data_prefix=dict(video=data_root)))
test_dataloader = val_dataloader
