"""GA2CLIPRecognizer: parameter budget, freeze policies, views, anchors, other backbones."""
import pytest
import torch

from ga2clip_mmaction.models.necks import MeanTemporalPooling, TemporalTransformerPooling
from ga2clip_mmaction.registry import FREEZE_POLICIES

#: freeze policy -> (image tower trains, text tower trains)
POLICIES = {'prompts': (False, False), 'prompts+vision': (True, False), 'prompts+text': (False, True),
            'all': (True, True)}


def test_released_setting_trains_709120_parameters():
    import ga2clip_mmaction  # noqa: F401
    from mmaction.registry import MODELS
    from mmengine.registry import DefaultScope
    clip = dict(arch='ViT-B-16', weights=None)
    cfg = dict(
        type='GA2CLIPRecognizer',
        backbone=dict(type='PromptedCLIPVision', clip=clip, vision_ctx=16, vision_depth=9),
        cls_head=dict(type='PromptCouplingHead', clip=clip, classnames=['a', 'b'], language_ctx=16,
                      language_depth=9, coupling='concat_mlp', hard_prompt=torch.zeros(16, 512)))
    with DefaultScope.overwrite_default_scope('mmaction'):
        model = MODELS.build(cfg)
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == 709_120
    coupling = sum(p.numel() for p in model.cls_head.prompt_learner.coupling.parameters())
    assert round(coupling / 709_120, 2) == 0.74  # "74% of them the coupling Linear"


@pytest.mark.parametrize('policy', sorted(POLICIES))
def test_freeze_policies(build_model, policy):
    model = build_model(freeze=policy)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert {'backbone.prompt', 'cls_head.prompt_learner.ctx'} <= trainable
    vision, text = POLICIES[policy]
    assert ('backbone.visual.conv1.weight' in trainable) == vision
    assert ('cls_head.text.token_embedding.weight' in trainable) == text
    assert 'cls_head.text.logit_scale' not in trainable


def test_a_registered_freeze_policy_is_usable_by_name(build_model):
    @FREEZE_POLICIES.register_module('test_last_text_block', force=True)
    def train_last_text_block(towers):
        towers['vision'].requires_grad_(False)
        towers['text'].requires_grad_(False)
        towers['text'].transformer.resblocks[-1].requires_grad_(True)

    model = build_model(freeze='test_last_text_block')
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert any(n.startswith('cls_head.text.transformer.resblocks.1.') for n in trainable)
    assert not any(n.startswith(('cls_head.text.transformer.resblocks.0.', 'backbone.visual.')) for n in trainable)


def test_unknown_freeze_policy_and_view_average_fail_at_build(build_model):
    with pytest.raises(ValueError, match=r"model.freeze must be one of \['all', 'prompts', .*'everything'"):
        build_model(freeze='everything')
    with pytest.raises(ValueError, match='model.view_average'):
        build_model(view_average='max')


def test_predict_fills_probabilities(build_model, samples, make_clips):
    model = build_model().eval()
    with torch.no_grad():
        out = model.predict(make_clips(3), samples([0, 1, 2]))
    scores = torch.stack([s.pred_score for s in out])
    assert scores.shape == (3, 4)
    torch.testing.assert_close(scores.sum(-1), torch.ones(3))
    assert all(s.pred_label.item() == s.pred_score.argmax().item() for s in out)


def test_single_view_modes_agree(build_model, samples, make_clips):
    x = make_clips(2, views=1)
    outs = []
    for mode in ('feature', 'score', 'prob'):
        model = build_model(view_average=mode).eval()
        with torch.no_grad():
            outs.append(torch.stack([s.pred_score for s in model.predict(x, samples([0, 1]))]))
    torch.testing.assert_close(outs[0], outs[1])
    torch.testing.assert_close(outs[0], outs[2])


def test_anchor_loss_without_anchor_clips_is_an_error(build_model, samples, make_clips):
    model = build_model(anchor_loss=dict(type='AnchorLoss', mode='negative', anchor_names=['else']))
    with pytest.raises(ValueError, match='AnchorSetDataset'):
        model.loss(make_clips(2), samples([0, 1]))


def test_loss_keys_and_tensor_mode(build_model, samples, make_clips):
    model = build_model()
    losses = model.loss(make_clips(2), samples([0, 3]))
    assert {'loss_cls', 'top1_acc'} <= set(losses) and losses['loss_cls'].requires_grad
    assert model(make_clips(2), mode='tensor').shape == (2, 4)
    with pytest.raises(ValueError, match=r'\[B, V, C, T, H, W\]'):
        model.loss(make_clips(2)[:, 0], samples([0, 3]))


@pytest.mark.parametrize('key, message', [
    ('anchor_loss', 'model.anchor_loss is no longer a recognizer argument: use model.cls_head.anchor_loss'),
    ('temporal_pooling', 'model.temporal_pooling is no longer a recognizer argument: use model.neck'),
    ('consistency_loss', 'use model.cls_head.consistency_loss'),
    ('poolin', 'unexpected argument model.poolin')])
def test_moved_and_unknown_recognizer_arguments_fail_at_build(key, message):
    from mmaction.registry import MODELS
    from mmengine.registry import DefaultScope

    from tests.models.conftest import tiny_model_cfg
    cfg = dict(tiny_model_cfg(), **{key: 'mean'})  # at the recognizer's level, as an old config has it
    with pytest.raises(TypeError, match=message), DefaultScope.overwrite_default_scope('mmaction'):
        MODELS.build(cfg)


def test_temporal_pooling_is_the_neck(build_model, samples, make_clips):
    assert type(build_model().neck) is MeanTemporalPooling  # the default, the released pooling
    model = build_model(neck=dict(type='TemporalTransformerPooling', embed_dim=64, num_layers=1))
    assert type(model.neck) is TemporalTransformerPooling
    losses = model.loss(make_clips(2), samples([0, 1]))
    losses['loss_cls'].backward()
    assert model.neck.time_embed.grad is not None
    with pytest.raises(ValueError, match=r'model.neck must pool time, \[N, T, D\] -> \[N, D\]'):
        build_model(neck=None).loss(make_clips(2), samples([0, 1]))


def test_checkpoints_from_before_the_pooling_neck_load_with_renamed_keys(build_model, make_clips):
    # old layout: the pooling at `temporal_pooling.*`, a projection neck at `neck.*`
    model = build_model(neck=dict(type='TemporalTransformerPooling', embed_dim=64, num_layers=1))
    old = {k.replace('neck.', 'temporal_pooling.', 1) if k.startswith('neck.') else k: v.clone() + 1
           for k, v in model.state_dict().items()}
    fresh = build_model(neck=dict(type='TemporalTransformerPooling', embed_dim=64, num_layers=1))
    fresh.load_state_dict(old)  # strict: every old key found its new place
    torch.testing.assert_close(fresh.neck.time_embed, old['temporal_pooling.time_embed'])
    proj = dict(type='EmbeddingProjection', in_channels=64, out_channels=64)
    mixing = build_model(neck=[dict(type='TemporalTransformerPooling', embed_dim=64, num_layers=1), proj])
    state = mixing.state_dict()
    old = {k.replace('neck.0.', 'temporal_pooling.').replace('neck.1.', 'neck.'): v.clone() + 1
           for k, v in state.items()}
    mixing.load_state_dict(old)
    torch.testing.assert_close(mixing.neck[1].proj[0].weight, old['neck.proj.0.weight'])
    torch.testing.assert_close(mixing.neck[0].time_embed, old['temporal_pooling.time_embed'])
    with pytest.raises(KeyError, match='a projection neck, saved before temporal pooling became the neck'):
        build_model(neck=[dict(type='MeanTemporalPooling'), proj, proj]).load_state_dict(old)


def test_clip_wise_mmaction_backbone_with_ga2_head_and_loss(build_model, samples, make_clips):
    # a stock MMAction2 3D CNN (output [N, 64, t, h, w]) in place of the CLIP image tower
    backbone = dict(type='ResNet3d', depth=18, base_channels=8, pretrained=None, pretrained2d=False,
                    in_channels=3, conv1_stride_s=1, pool1_stride_s=1)
    model = build_model(backbone=backbone,
                        anchor_loss=dict(type='AnchorLoss', mode='negative', anchor_names=['else']))
    losses = model.loss(make_clips(2), samples([0, 1]), anchor_inputs=make_clips(1, seed=5))
    (losses['loss_cls'] + losses['loss_anchor']).backward()
    grads = [p.grad for n, p in model.named_parameters() if n.startswith('backbone.') and p.grad is not None]
    assert grads and any(g.abs().max() > 0 for g in grads)
    with pytest.raises(TypeError, match='without prompts'):
        build_model(backbone=backbone, anchor_loss=dict(type='AnchorLoss', mode='kl', anchor_names=['a', 'b']))
