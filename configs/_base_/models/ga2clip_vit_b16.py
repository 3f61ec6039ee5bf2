# GA2-CLIP on CLIP ViT-B/16 (the released setting; docs/design.md "Model config").
# Run configs set: the starting weights (`clip`, in backbone and head), cls_head.classnames,
# cls_head.hard_prompt, and the anchor term.
# Tests swap in the tiny random CLIP: clip=dict(arch='GA2-Tiny-Random', weights=None) with small
# vision/language ctx and depth <= 2.
# arch=None reads the architecture off OpenAI-format weights (QuickGELU, as OpenAI CLIP was trained);
# open_clip's 'ViT-B-16' config uses GELU and would not match OpenAI weights ('ViT-B-16-quickgelu' does).
clip = dict(arch=None, weights='data/weights/ViT-B-16.pt')  # OpenAI CLIP release (TorchScript .pt)
model = dict(
    type='GA2CLIPRecognizer',
    backbone=dict(type='PromptedCLIPVision', clip=clip, vision_ctx=16, vision_depth=9,
                  grad_checkpointing=True),
    temporal_pooling='mean',                # the released model has no temporal module
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
        loss_cls=dict(type='CrossEntropyLoss')),
    # The released anchor term: a single anchor name ('else') in the frozen-CLIP logit term (it has no
    # effect on the gradient, see docs); use mode='kl' / 'negative' with several names for a real regulariser.
    anchor_loss=dict(type='AnchorLoss', mode='official', loss_weight=1.0,
                     anchor_names='data/labels/gaa_base_labels_n.txt',
                     template='a video of a person {}.'),
    freeze='prompts',
    view_average='feature',
    # AUGMENT_ON=device (configs/_base_/datasets/ga2clip_pipelines.py's switch, same variable): crop, resize, flip
    # and grayscale on the device, in the preprocessor.
    data_preprocessor=dict(type=dict(cpu='AnchorActionDataPreprocessor',
                                     device='DeviceAugmentDataPreprocessor')['{{$AUGMENT_ON:cpu}}'],
                           mean=[122.771, 116.746, 104.094], std=[68.501, 66.632, 70.323],
                           format_shape='NCTHW'))
