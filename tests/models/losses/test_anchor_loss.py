"""AnchorLoss: the released no-op reproduced, the per-class variant, and the kl/negative modes that act."""
import pytest
import torch

from ga2clip_mmaction.models.losses import AnchorLoss


def prompt_grads(model, samples, anchors, clips):
    """Gradients of the total loss w.r.t. every prompt/coupling parameter, concatenated."""
    model.zero_grad(set_to_none=True)
    losses = model.loss(clips(2), samples([0, 2]), anchor_inputs=anchors)
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    return {n: (p.grad.clone() if p.grad is not None else torch.zeros_like(p)) for n, p in named}, losses


def anchor_cfg(mode, names, weight=1.0, **kwargs):
    return dict(type='AnchorLoss', mode=mode, anchor_names=names, loss_weight=weight, **kwargs)


def test_official_single_name_warns_and_has_no_effect(build_model, samples, make_clips):
    with pytest.warns(UserWarning, match='no effect'):  # computed as released (allow_inert=True)
        model = build_model(anchor_loss=anchor_cfg('official', ['else'], 0.0, allow_inert=True)).eval()
    anchors = make_clips(1, seed=7)
    g0, l0 = prompt_grads(model, samples, anchors, make_clips)
    model.cls_head.anchor_loss.loss_weight = 1.0
    g1, l1 = prompt_grads(model, samples, anchors, make_clips)
    assert abs(l0['loss_cls'] - l1['loss_cls']) < 1e-6
    for name in g0:  # differences at rounding level only: the released no-op
        scale = g0[name].abs().max().clamp_min(1e-12)
        assert (g1[name] - g0[name]).abs().max() / scale < 1e-4, name


def test_official_per_class_names_change_loss_and_gradients(build_model, samples, make_clips):
    names = [f'other_{i}' for i in range(4)]
    model = build_model(anchor_loss=anchor_cfg('official', names, 0.0)).eval()
    anchors = make_clips(1, seed=7)
    g0, l0 = prompt_grads(model, samples, anchors, make_clips)
    model.cls_head.anchor_loss.loss_weight = 5.0
    g1, l1 = prompt_grads(model, samples, anchors, make_clips)
    assert abs(l0['loss_cls'] - l1['loss_cls']) > 1e-3
    # the anchor video now sends gradient into the visual prompts
    diff = (g1['backbone.prompt'] - g0['backbone.prompt']).abs().max()
    assert diff > 1e-2 * g0['backbone.prompt'].abs().max()


def test_official_refuses_counts_that_cannot_broadcast(build_model):
    with pytest.raises(ValueError, match='cannot broadcast over 4 classes'):
        build_model(anchor_loss=anchor_cfg('official', ['a', 'b']))


@pytest.mark.parametrize('mode', ['kl', 'negative'])
def test_working_modes_send_gradient_into_prompts(build_model, samples, mode, make_clips):
    model = build_model(anchor_loss=anchor_cfg(mode, ['else', 'something', 'background'])).eval()
    model.zero_grad(set_to_none=True)
    losses = model.loss(make_clips(2), samples([0, 2]), anchor_inputs=make_clips(1, seed=7))
    assert losses['loss_anchor'].item() > 0
    losses['loss_anchor'].backward()
    for name in ('backbone.prompt', 'backbone.deep_prompts.0', 'cls_head.prompt_learner.ctx'):
        grad = dict(model.named_parameters())[name].grad
        assert grad is not None and grad.abs().max() > 1e-6, name


def test_kl_is_zero_when_prompts_do_not_change_the_anchor_relations(build_model, samples, make_clips):
    # with prompt-free towers on both sides the two distributions coincide -> KL = 0
    model = build_model(anchor_loss=anchor_cfg('kl', ['else', 'something']))
    head, loss = model.cls_head, model.cls_head.anchor_loss
    anchors = make_clips(1, seed=7)
    with torch.no_grad():
        frozen = model.embed(anchors, prompts=False).mean(1)
    text = head.frozen_text_features(loss.prompts)
    # tuned text side = frozen text side
    out = loss(frozen, text, head.logit_scale, tuned_anchor_text=text, frozen_anchor_emb=frozen)
    assert out['loss_anchor'].abs().item() < 1e-6


def test_negative_mode_value():
    loss = AnchorLoss(mode='negative', anchor_names=['else'])
    anchor = torch.tensor([[0.0, 1.0]])
    classes = torch.tensor([[1.0, 0.0], [0.0, -1.0]])
    negative = torch.tensor([[0.0, 1.0]])  # frozen-CLIP feature of the negative prompt
    out = loss(anchor, negative, torch.tensor(1.0), class_features=classes)['loss_anchor']
    # logits [cos with classes..., cos with negative] = [0, -1, 1]; loss = -log softmax(...)[2]
    expected = -torch.log_softmax(torch.tensor([0.0, -1.0, 1.0]), 0)[2]
    torch.testing.assert_close(out, expected)


def test_frozen_text_features_computed_once(build_model, samples, make_clips):
    model = build_model(anchor_loss=anchor_cfg('negative', ['else', 'something']))
    calls = []
    original = model.cls_head.text.encode_text
    model.cls_head.text.encode_text = lambda prompts: calls.append(1) or original(prompts)
    for _ in range(3):
        model.loss(make_clips(2), samples([0, 1]), anchor_inputs=make_clips(1, seed=7))
    assert len(calls) == 1


def test_kl_value_and_float32_under_bf16():
    loss = AnchorLoss(mode='kl', anchor_names=['a', 'b'])
    frozen_text = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    tuned_text = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    v = torch.tensor([[1.0, 0.0]])
    frozen_v = torch.tensor([[0.0, 1.0]])
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = loss(v.bfloat16(), frozen_text, torch.tensor(2.0), tuned_anchor_text=tuned_text,
                   frozen_anchor_emb=frozen_v)['loss_anchor']
    p = torch.softmax(torch.tensor([0.0, 2.0]), 0)  # frozen: cos with frozen_text * scale
    q = torch.softmax(torch.tensor([2.0, 2.0 / 2 ** 0.5]), 0)  # tuned: cos with tuned_text * scale
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, (p * (p.log() - q.log())).sum())


def test_inert_term_is_refused_unless_allowed_and_equals_anchors_off(build_model, samples, make_clips):
    with pytest.raises(ValueError, match=r'zero gradient, so anchor clips would be decoded and forwarded for '
                                         r'nothing\. Turn anchors off \(cls_head.anchor_loss=None'):
        build_model(anchor_loss=anchor_cfg('official', ['else']))
    with pytest.raises(ValueError, match='skip_inert is gone'):
        AnchorLoss(mode='official', anchor_names=['else'], skip_inert=False)
    off = build_model()
    released = build_model(anchor_loss=anchor_cfg('official', ['else'], allow_inert=True))
    # anchors off trains like the released inert term (a constant per row), without anchor clips
    l_off = off.loss(make_clips(2), samples([0, 2]))['loss_cls']
    l_rel = released.loss(make_clips(2), samples([0, 2]), anchor_inputs=make_clips(1, seed=7))['loss_cls']
    assert abs(l_off.item() - l_rel.item()) < 1e-5
    with pytest.raises(ValueError, match='no anchor clips'):
        released.loss(make_clips(2), samples([0, 2]))
    with pytest.raises(ValueError, match='the batch has anchor clips but cls_head.anchor_loss is None'):
        off.loss(make_clips(2), samples([0, 2]), anchor_inputs=make_clips(1, seed=7))
