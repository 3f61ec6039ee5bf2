# configs/ga2clip_b2n_k400.py with anchors ON: the released anchor clips (4,595 Kinetics-600 clips,
# data/anchors/k600_anchor_clips.txt) and an anchor term that acts. Not the paper's recipe: the released term
# (mode 'official', the single name 'else') is inert, so the released configs train anchors off.
#
# Anchors on is four settings, said together here (the anchors-off values are in the _base_ files named):
#   dataset       the training list wrapped in AnchorSetDataset with the anchor clips; the leakage guard drops the
#                 136 anchor clips that are K400 validation clips (off: the plain list, datasets/ga2clip_dataloaders.py)
#   sampler       AnchorBatchSampler: one anchor clip appended to every GPU batch (off: SeededBatchSampler, same file)
#   preprocessor  AnchorActionDataPreprocessor separates the anchor clips from the batch (the model base's, on or off)
#   loss          cls_head.anchor_loss: 'negative', the released anchor name 'else' must outscore every class on the
#                 anchor clips (off: None, models/ga2clip_vit_b16.py)
# Every line below `_base_` reads its dataset's values from the base (`_base_.split_root`, ...): to turn anchors on
# for another base-to-novel config, copy this file and change the `_base_` line. The wrapper holds the training list:
# other few-shot seeds are `--cfg-options train_dataloader.dataset.dataset.ann_file=...` here.
_base_ = ['./ga2clip_b2n_k400.py']

train_dataloader = dict(
    batch_sampler=dict(type='AnchorBatchSampler', num_anchors=1),
    dataset=dict(
        _delete_=True,
        type='AnchorSetDataset',
        dataset=_base_.train_dataloader.dataset,  # the training list of the base config, unchanged
        anchor_dataset=dict(type=_base_.video_dataset, ann_file='data/anchors/k600_anchor_clips.txt',
                            data_prefix=dict(video='data/kinetics600_anchors'), pipeline=_base_.train_pipeline),
        eval_ann_files=[f'{_base_.split_root}/base_val.txt', f'{_base_.split_root}/novel_val.txt'],
        leakage='drop'))
model = dict(cls_head=dict(anchor_loss=dict(_delete_=True, type='AnchorLoss', mode='negative',  # base: None
                                            anchor_names='data/labels/gaa_base_labels_n.txt')))
work_dir = './work_dirs/ga2clip_b2n_k400_negative_anchors_s1'
