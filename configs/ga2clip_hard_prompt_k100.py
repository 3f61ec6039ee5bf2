# Step 1 of the K400 recipe: the "K100" prompt model, trained on the 100 Kinetics-600 classes absent
# from K400 (labels/k600_base.csv); its layer-0 text context becomes the K400 hard prompt. IVLP prompts only,
# from OpenAI CLIP, base-to-novel schedule (configs/_base_/protocols/hard_prompt.py). The training list is not
# published: make one with
#   python tools/data/make_class_subset.py --pool-list data/kinetics600/kinetics600_train_list_videos.txt \
#       --pool-labels data/labels/kinetics_600_labels.txt --subset-labels data/labels/k600_base.txt \
#       --shots 16 --out data/splits/k100_splits/train.txt
# (paths relative to data/kinetics600/videos_train, as in MMAction2's Kinetics lists), then after training
#   python tools/data/extract_hard_prompt.py work_dirs/ga2clip_hard_prompt_k100/epoch_12.pth \
#       data/hard_prompts/k100.pt
_base_ = ['./_base_/protocols/hard_prompt.py']

data_root = 'data/kinetics600/videos_train'
class_names = 'data/labels/k600_base.txt'
model = dict(cls_head=dict(classnames=class_names))
train_dataloader = dict(dataset=dict(ann_file='data/splits/k100_splits/train.txt', data_prefix=dict(video=data_root)))
# No published evaluation list for K100: train without validation or test (each trio all None, as the Runner wants).
val_dataloader = None
val_evaluator = None
val_cfg = None
train_cfg = dict(val_interval=_base_.max_epochs + 1)
test_dataloader = None
test_evaluator = None
test_cfg = None
