"""EmbeddingProjection: backbone features of any layout -> text embedding size, alone and in the recognizer."""
import pytest
import torch

import ga2clip_mmaction  # noqa: F401
from ga2clip_mmaction.models.necks import EmbeddingProjection


def test_layouts_map_to_the_same_projection():
    torch.manual_seed(0)
    neck = EmbeddingProjection(in_channels=6, out_channels=4)
    weight, bias = neck.proj[0].weight, neck.proj[0].bias
    frames = torch.randn(2, 3, 6)                     # frame-wise [N, T, C]
    torch.testing.assert_close(neck(frames), frames @ weight.t() + bias)
    assert neck(frames[:, 0]).shape == (2, 4)         # a clip embedding [N, C]
    fmap = torch.randn(2, 6, 3, 2, 2)                 # clip-wise [N, C, t, h, w]: mean over space first
    torch.testing.assert_close(neck(fmap), neck(fmap.mean(dim=(3, 4)).transpose(1, 2)))
    assert EmbeddingProjection(6, 4, hidden_channels=8)(frames).shape == (2, 3, 4)


def test_wrong_width_or_rank_names_the_fix():
    neck = EmbeddingProjection(in_channels=6, out_channels=4)
    with pytest.raises(ValueError, match='got features with 5 channels.*neck.in_channels'):
        neck(torch.randn(2, 5))
    with pytest.raises(ValueError, match=r'\[N, C\], \[N, T, C\] or \[N, C, t, h, w\]'):
        neck(torch.randn(2, 6, 1, 1))


@pytest.mark.parametrize('backbone, width', [
    # frame-wise: the (frozen, unprompted) CLIP image tower, [N, T, 64]
    (dict(type='PromptedCLIPVision', clip=dict(arch='GA2-Tiny-Random', weights=None), vision_ctx=0,
          vision_depth=0), 64),
    # a clip embedding: TimeSformer's CLS token, [N, 48]
    (dict(type='TimeSformer', num_frames=3, img_size=32, patch_size=16, embed_dims=48, num_heads=2,
          num_transformer_layers=1, pretrained=None), 48),
    # clip-wise: MMAction2's VideoMAE ViT feature map, [N, 48, t, h, w]
    (dict(type='VisionTransformer', img_size=32, patch_size=16, embed_dims=48, depth=1, num_heads=2,
          num_frames=3, tubelet_size=1, return_feat_map=True), 48),
])
def test_recognizer_with_neck_trains_the_neck(build_model, samples, make_clips, backbone, width):
    model = build_model(backbone=backbone, neck=[dict(type='MeanTemporalPooling'),
                                                 dict(type='EmbeddingProjection', in_channels=width, out_channels=64)],
                        anchor_loss=dict(type='AnchorLoss', mode='negative', anchor_names=['else']))
    losses = model.loss(make_clips(2), samples([0, 1]), anchor_inputs=make_clips(1, seed=5))
    (losses['loss_cls'] + losses['loss_anchor']).backward()
    assert model.neck[1].proj[0].weight.grad.abs().max() > 0
    model.eval()
    with torch.no_grad():
        scores = torch.stack([s.pred_score for s in model.predict(make_clips(2), samples([0, 1]))])
    torch.testing.assert_close(scores.sum(-1), torch.ones(2))
