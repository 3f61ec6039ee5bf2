"""ViLT-CLIP's parts in GA2CLIPRecognizer: inter-modal prompt mapping and the hand-crafted consistency loss.

At init the mapped model equals IVLP exactly; after an optimiser step the mapping shifts the vision prompts and
the video path sends gradients to the text prompts through it; train/test time, freeze policy, small checkpoints,
gradient checkpointing, GA2 coupling and bf16 autocast.
"""
import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.runner import autocast

from tests.models.conftest import CLASSES

MAPPING = dict(type='InterModalPromptMapping')
CONSISTENCY = dict(type='HandcraftedConsistencyLoss', mode='cos', loss_weight=2.0)
PREPROCESSOR = dict(type='ActionDataPreprocessor', mean=[127.5] * 3, std=[64.0] * 3, format_shape='NCTHW')


def vilt(build_model, coupling='none', ckpt=False, **overrides):
    """A tiny ViLTCLIPRecognizer with 4 prompt tokens on both sides (text depth 2, vision depth 2)."""
    overrides.setdefault('type', 'ViLTCLIPRecognizer')
    backbone = dict(type='PromptedCLIPVision', clip=dict(arch='GA2-Tiny-Random', weights=None), vision_ctx=4,
                    vision_depth=2, grad_checkpointing=ckpt)
    head = dict(type='PromptCouplingHead', clip=dict(arch='GA2-Tiny-Random', weights=None),
                classnames=list(CLASSES), language_ctx=4, language_depth=2, coupling=coupling,
                coupling_dropout=0.0, grad_checkpointing=ckpt,
                hard_prompt=torch.randn(4, 64, generator=torch.Generator().manual_seed(5)) * 0.02
                if coupling != 'none' else None)
    return build_model(backbone=backbone, cls_head=head, **overrides)


def step(model, samples, clips, lr=0.5):
    optim = OptimWrapper(torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=lr))
    losses = model.loss(clips(2), samples([0, 2]))
    optim.update_params(sum(v for k, v in losses.items() if k.startswith('loss')))
    return losses


def test_zero_init_mapping_is_ivlp_exactly(build_model, samples, make_clips):
    ivlp, mapped = vilt(build_model, type='GA2CLIPRecognizer'), vilt(build_model, prompt_mapping=MAPPING)
    x = make_clips(2, views=2)
    assert all(torch.equal(o, torch.zeros_like(o)) for o in mapped.prompt_offsets())
    with torch.no_grad():
        assert torch.equal(ivlp.eval()(x, mode='tensor'), mapped.eval()(x, mode='tensor'))
    ivlp.train(), mapped.train()
    assert torch.equal(ivlp.loss(x, samples([0, 3]))['loss_cls'], mapped.loss(x, samples([0, 3]))['loss_cls'])


@pytest.mark.parametrize('coupling, ckpt', [('none', False), ('concat_mlp', True)])
def test_a_step_moves_the_vision_prompts_and_text_prompts_get_video_gradients(build_model, samples, make_clips,
                                                                              coupling, ckpt):
    model = vilt(build_model, coupling=coupling, ckpt=ckpt, prompt_mapping=MAPPING).train()
    learner = model.cls_head.prompt_learner
    text_prompts = [learner.ctx, learner.deep_ctx[0]]

    def video_grads():  # the video path alone: text prompts reach it only through the mapping
        model.zero_grad(set_to_none=True)
        model.embed(make_clips(2, seed=4)).sum().backward()
        return [p.grad for p in text_prompts]

    assert all(g is not None and torch.equal(g, torch.zeros_like(g)) for g in video_grads())  # W = 0
    step(model, samples, make_clips)
    mapping = model.prompt_mapping
    assert mapping.weight.abs().sum() > 0 and mapping.bias.abs().sum() > 0
    offsets = model.prompt_offsets()
    assert len(offsets) == 2 and all(o.abs().sum() > 0 for o in offsets)
    x = make_clips(1, seed=9).flatten(0, 1)
    with torch.no_grad():
        assert not torch.equal(model.backbone(x), model.backbone(x, prompt_offsets=offsets))
    assert all(g.abs().sum() > 0 for g in video_grads())


def test_mapping_needs_equal_token_counts(build_model):
    with pytest.raises(ValueError, match=r'cls_head.language_ctx \(4\) must equal backbone.vision_ctx \(3\)'):
        build_model(type='ViLTCLIPRecognizer', prompt_mapping=MAPPING)  # conftest's tiny model: 3 vs 4 tokens
    with pytest.raises(ValueError, match=r'prompt_mapping.num_layers must be in \[1, 2\].*got 3'):
        vilt(build_model, prompt_mapping=dict(MAPPING, num_layers=3))


@pytest.mark.parametrize('freeze', ['prompts', 'all'])
def test_mapping_trains_under_every_freeze_policy_and_is_in_small_checkpoints(build_model, freeze):
    model = vilt(build_model, prompt_mapping=MAPPING, freeze=freeze)
    assert all(p.requires_grad for p in model.prompt_mapping.parameters())
    if freeze == 'prompts':
        from ga2clip_mmaction.utils.small_checkpoint import (refill_small_checkpoint, shrink_checkpoint,
                                                             small_state_dict)
        small = small_state_dict(model, model.state_dict())
        assert {'prompt_mapping.weight', 'prompt_mapping.bias'} <= set(small)
        assert not any(k.startswith('cls_head.text.') for k in small)
        with torch.no_grad():
            model.prompt_mapping.weight.fill_(0.25)
        small = dict(state_dict=model.state_dict())
        shrink_checkpoint(model, small)  # what SmallCheckpointHook saves: trained part + meta record
        fresh = vilt(build_model, prompt_mapping=MAPPING)
        fresh.load_state_dict(refill_small_checkpoint(fresh, small)['state_dict'], strict=True)
        assert torch.equal(fresh.prompt_mapping.weight, model.prompt_mapping.weight)


def test_test_time_class_cache_survives_and_mapping_acts(build_model, samples, make_clips):
    model = vilt(build_model, prompt_mapping=MAPPING).eval()
    head = model.cls_head
    calls = []
    encode = head.encode_prompted_tokens
    head.encode_prompted_tokens = lambda tokens: calls.append(len(tokens)) or encode(tokens)
    x = make_clips(2, views=2)
    with torch.no_grad():
        first = torch.stack([s.pred_score for s in model.predict(x, samples([0, 1]))])
        model.prompt_mapping.bias.normal_()  # the mapping only: class features stay valid
        second = torch.stack([s.pred_score for s in model.predict(x, samples([0, 1]))])
    assert calls == [len(CLASSES)]  # one text pass for both test batches
    assert not torch.allclose(first, second)


def test_consistency_loss_is_logged_and_matches_a_hand_computation(build_model, samples, make_clips):
    model = vilt(build_model, prompt_mapping=MAPPING, consistency_loss=CONSISTENCY).train()
    losses = model.loss(make_clips(2), samples([0, 2]))
    head = model.cls_head
    with torch.no_grad():
        tuned = head.class_features()
        frozen = head.text.encode_text([f'a video of a person doing {n.replace("_", " ")}.' for n in CLASSES])
    expected = 2.0 * (1 - torch.nn.functional.cosine_similarity(tuned, frozen, dim=-1)).mean()
    torch.testing.assert_close(losses['loss_consistency'].detach(), expected)
    head.set_class_names(['swim', 'eat'])  # class list changed: the frozen features follow
    frozen_new = head.handcrafted_features()
    assert frozen_new.shape[0] == 2
    torch.testing.assert_close(frozen_new, head.text.encode_text(['a video of a person doing swim.',
                                                                   'a video of a person doing eat.']))


def test_hand_crafted_and_anchor_features_are_computed_once_by_the_head(build_model, samples, make_clips):
    anchors = dict(type='AnchorLoss', mode='negative', anchor_names=['else', 'something'])
    model = vilt(build_model, consistency_loss=CONSISTENCY, anchor_loss=anchors).train()
    head, calls = model.cls_head, []
    encode = head.text.encode_text
    head.text.encode_text = lambda prompts: calls.append(list(prompts)) or encode(prompts)
    for _ in range(3):
        model.loss(make_clips(2), samples([0, 2]), anchor_inputs=make_clips(1, seed=7))
    hand = [f'a video of a person doing {n.replace("_", " ")}.' for n in CLASSES]
    assert sorted(calls) == sorted([head.anchor_loss.prompts, hand])  # each prompt list once in three steps
    assert head.handcrafted_features() is head.frozen_text_features(hand)  # one cache, the head's
    head.set_class_names(['swim', 'eat'])  # class names changed: recomputed
    head.handcrafted_features()
    assert calls[-1] == ['a video of a person doing swim.', 'a video of a person doing eat.']
    assert head.handcrafted_features() is head.handcrafted_features() and len(calls) == 3
    with torch.no_grad():
        head.text.token_embedding.weight.mul_(2.0)  # a trainable text tower moved: recomputed
    head.handcrafted_features()
    assert len(calls) == 4


def test_bf16_autocast_train_step(build_model, samples):
    model = vilt(build_model, prompt_mapping=MAPPING, consistency_loss=CONSISTENCY, data_preprocessor=PREPROCESSOR)
    g = torch.Generator().manual_seed(3)
    data = dict(inputs=[torch.rand(1, 3, 3, 32, 32, generator=g) * 255 for _ in range(2)],
                data_samples=samples([0, 2]))
    optim = OptimWrapper(torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2))
    with autocast(device_type='cpu', dtype=torch.bfloat16):
        losses = model.train_step(data, optim)
    assert losses['loss_consistency'].dtype == torch.float32 and torch.isfinite(losses['loss_consistency'])
    assert model.prompt_mapping.weight.abs().sum() > 0
