# Mixing: GA2-CLIP's text head and anchor loss on MMAction2's TimeSformer (divided space-time attention), a
# video transformer with no CLIP image tower, on the demo's synthetic world.
#
# TimeSformer returns its CLS token [N, 768]; the EmbeddingProjection neck maps it to the text embedding size
# (128 for GA2-Tiny). TimeSformer's time embedding has a fixed number of frames, so testing uses the training
# clip length (4 segments). The backbone trains from scratch here (set backbone.pretrained to an ImageNet ViT
# checkpoint as MMAction2's TimeSformer configs do). Anchor modes: 'negative' and 'official' (not 'kl', which
# needs a prompt-free CLIP image tower; refused at build time).
#
# Needs the demo world and its hard prompt: `make demo` (or projects/ga2clip_demo/tools/run_demo.py) writes both.
_base_ = ['../ga2clip_b2n_demo.py']

text_embed_dim = 128  # GA2-Tiny's text_projection width
num_frames = 4

model = dict(
    backbone=dict(
        _delete_=True,
        type='TimeSformer', num_frames=num_frames, img_size={{_base_.image_size}}, patch_size=16,
        embed_dims=768, num_heads=12, num_transformer_layers=12, in_channels=3, dropout_ratio=0.0,
        attention_type='divided_space_time', pretrained=None,
        transformer_layers=None, norm_cfg=dict(type='LN', eps=1e-6)),
    neck=dict(type='EmbeddingProjection', in_channels=768, out_channels=text_embed_dim),
    anchor_loss=dict(mode='negative', anchor_names=['else'], loss_weight=1.0))

test_pipeline = [
    dict(type='DecordInit'),
    dict(type='SegmentSample', num_segments=num_frames, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=({{_base_.image_size}}, {{_base_.image_size}}), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
