# GA2-CLIP on CLIP ViT-B/16 (the released setting; docs/design.md "Model config").
# Run configs set: the starting weights (`clip`, in backbone and head), cls_head.classnames,
# cls_head.hard_prompt (and an anchor term, when anchors are on).
# Tests swap in the tiny random CLIP: clip=dict(arch='GA2-Tiny-Random', weights=None) with small
# vision/language ctx and depth <= 2.
# arch=None reads the architecture off OpenAI-format weights (QuickGELU, as OpenAI CLIP was trained);
# open_clip's 'ViT-B-16' config uses GELU and would not match OpenAI weights ('ViT-B-16-quickgelu' does).
clip = dict(arch=None, weights='data/weights/ViT-B-16.pt')  # OpenAI CLIP release (TorchScript .pt)
model = dict(
    type='GA2CLIPRecognizer',
    backbone=dict(type='PromptedCLIPVision', clip=clip, vision_ctx=16, vision_depth=9,
                  grad_checkpointing=True),
    neck=dict(type='MeanTemporalPooling'),  # temporal pooling; the released model has no temporal module
    cls_head=dict(
        type='PromptCouplingHead',
        clip=clip,
        classnames=None,                    # set by each run config (list or class-name file)
        language_ctx=16,
        language_depth=9,
        coupling='concat_mlp',              # hard/soft concat -> Linear(2w, w) -> ReLU -> Dropout
        coupling_dropout=0.5,
        hard_prompt=None,                   # set by each run config (tools/data/extract_hard_prompt.py)
        grad_checkpointing=True,
        loss_cls=dict(type='CrossEntropyLoss'),
        # Anchors off: the released anchor term (mode 'official', the single anchor name 'else' of
        # data/labels/gaa_base_labels_n.txt, template 'a video of a person {}.') adds a constant to every logit of
        # a row and has zero gradient, so the released recipes train the same without it (and without anchor clips:
        # ../datasets/ga2clip_dataloaders.py uses SeededBatchSampler). For a regulariser that acts, set
        # dict(type='AnchorLoss', mode='negative' or 'kl', ...) together with AnchorSetDataset and AnchorBatchSampler:
        # configs/ga2clip_b2n_k400_negative_anchors.py turns anchors on for a released config (the demo's
        # configs/ga2clip_b2n_demo.py uses 'kl').
        anchor_loss=None),
    freeze='prompts',
    view_average='feature',
    # Augmentation on the device (configs/_base_/datasets/ga2clip_pipelines.py's `device_train_pipeline`) needs
    # type='DeviceAugmentDataPreprocessor' here (configs/ga2clip_b2n_k400_device_aug.py).
    data_preprocessor=dict(type='AnchorActionDataPreprocessor',
                           mean=[122.771, 116.746, 104.094], std=[68.501, 66.632, 70.323],
                           format_shape='NCTHW'))
