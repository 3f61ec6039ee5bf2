# Mixing: GA2-CLIP's text head (hard-prompt coupling, deep text prompts, frozen CLIP text tower) and anchor
# loss on MMAction2's SlowOnly ResNet3d-50, a 3D CNN with no CLIP image tower, on the demo's synthetic world.
#
# The backbone's clip-wise feature map [N, 2048, t, h, w] is averaged over space, pooled over time and
# projected to the text embedding size (128 for GA2-Tiny) by the EmbeddingProjection neck; the class scores
# are cosine similarities with the coupled class prompts, so the model is open-vocabulary: it is tested on
# base + novel classes in one pass like the demo. The backbone trains from scratch here (set
# backbone.pretrained / init_cfg to start from an MMAction2 SlowOnly checkpoint); the freeze policy acts on CLIP
# towers only, so the 3D CNN trains fully and the text tower stays frozen.
#
# Anchor modes without a CLIP image tower: 'negative' (used here) and 'official' work; 'kl' needs the
# prompt-free CLIP image tower as its frozen reference and is refused when the model is built (configs/README.md).
#
# Needs the demo world and its hard prompt: `make demo` (or projects/ga2clip_demo/tools/run_demo.py) writes both.
_base_ = ['../ga2clip_b2n_demo.py']

text_embed_dim = 128  # GA2-Tiny's text_projection width

model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet3dSlowOnly', depth=50, pretrained=None, lateral=False, conv1_kernel=(1, 7, 7),
        conv1_stride_t=1, pool1_stride_t=1, inflate=(0, 0, 1, 1), norm_eval=False),
    neck=dict(type='EmbeddingProjection', in_channels=2048, out_channels=text_embed_dim, dropout=0.5),
    anchor_loss=dict(mode='negative', anchor_names=['else'], loss_weight=1.0))
