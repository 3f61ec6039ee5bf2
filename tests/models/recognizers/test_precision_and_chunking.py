"""Mixed precision (CPU bf16 autocast through train_step/test_step), test-time precision and view chunking."""
import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.runner import autocast

#: Tolerance of bf16 vs fp32 on the tiny random CLIP (measured max |diff| ~0.3 logits, ~0.02 probability).
LOGIT_ATOL = 1.0
PROB_ATOL = 0.05


def anchor_cfg(mode, names, **kwargs):
    return dict(type='AnchorLoss', mode=mode, anchor_names=names, **kwargs)


def batch(samples, labels, anchors=0):
    """A dataloader-style batch (raw 0..255 clips); anchors carry ``is_anchor`` like AnchorSetDataset's."""
    from mmaction.structures import ActionDataSample
    g = torch.Generator().manual_seed(3)
    data_samples = samples(labels) + [ActionDataSample(metainfo=dict(is_anchor=True)) for _ in range(anchors)]
    inputs = [torch.rand(1, 3, 3, 32, 32, generator=g) * 255 for _ in data_samples]
    return dict(inputs=inputs, data_samples=data_samples)


PREPROCESSOR = dict(type='AnchorActionDataPreprocessor', mean=[122.771, 116.746, 104.094],
                    std=[68.501, 66.632, 70.323], format_shape='NCTHW')


@pytest.mark.parametrize('anchor', [
    None,
    anchor_cfg('official', ['else']),  # released, skipped
    anchor_cfg('official', ['else'], skip_inert=False),  # released, computed
    anchor_cfg('official', [f'other {i}' for i in range(4)]),
    anchor_cfg('kl', ['red thing', 'round thing']),
    anchor_cfg('negative', ['something else']),
])
def test_train_step_under_bf16_autocast(build_model, samples, anchor):
    model = build_model(anchor_loss=anchor, data_preprocessor=PREPROCESSOR)
    uses_anchors = anchor is not None and not model.anchor_term_skipped
    data = batch(samples, [0, 2], anchors=1 if uses_anchors else 0)
    optim = OptimWrapper(torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3))
    before = model.backbone.prompt.detach().clone()
    with autocast(device_type='cpu', dtype=torch.bfloat16):
        losses = model.train_step(data, optim)
    assert all(torch.isfinite(v) for v in losses.values())
    assert not torch.equal(before, model.backbone.prompt)
    if uses_anchors and anchor['mode'] != 'official':
        assert 'loss_anchor' in losses


def test_test_step_bf16_matches_fp32(build_model, samples):
    model = build_model(data_preprocessor=PREPROCESSOR).eval()
    data = batch(samples, [0, 1, 2])
    fp32 = torch.stack([s.pred_score for s in model.test_step(data)])
    with autocast(device_type='cpu', dtype=torch.bfloat16):
        bf16 = torch.stack([s.pred_score for s in model.test_step(data)])
    assert bf16.dtype == torch.float32
    assert (bf16 - fp32).abs().max() < PROB_ATOL
    # the cache holds fp32-computed features again after autocast
    torch.testing.assert_close(torch.stack([s.pred_score for s in model.test_step(data)]), fp32)


@pytest.mark.parametrize('precision', ['bf16', 'fp16'])
def test_test_cfg_precision_logits_close_to_fp32(build_model, make_clips, precision):
    x = make_clips(3, views=2)
    ref = build_model().eval()
    half = build_model(test_cfg=dict(precision=precision)).eval()
    with torch.no_grad():
        logits = {name: m.cls_head(m._test_embed(x).mean(1)) for name, m in (('ref', ref), ('half', half))}
    assert logits['half'].dtype == torch.float32
    assert (logits['half'] - logits['ref']).abs().max() < LOGIT_ATOL
    assert not torch.equal(logits['half'], logits['ref'])  # it did run in half precision


def test_max_testing_views_chunks_the_backbone(build_model, samples, make_clips, monkeypatch):
    x = make_clips(2, views=3)
    full = build_model().eval()
    chunked = build_model(test_cfg=dict(max_testing_views=2)).eval()
    sizes = []
    forward = chunked.backbone.forward
    monkeypatch.setattr(chunked.backbone, 'forward', lambda t, **kw: sizes.append(t.shape[0]) or forward(t, **kw))
    with torch.no_grad():
        a = torch.stack([s.pred_score for s in full.predict(x, samples([0, 1]))])
        b = torch.stack([s.pred_score for s in chunked.predict(x, samples([0, 1]))])
    assert sizes == [2, 2, 2]  # 6 views in chunks of 2
    torch.testing.assert_close(a, b, atol=1e-6, rtol=0)


def test_bad_test_cfg_is_refused(build_model):
    with pytest.raises(ValueError, match='test_cfg.precision'):
        build_model(test_cfg=dict(precision='int8'))
    with pytest.raises(ValueError, match='max_testing_views'):
        build_model(test_cfg=dict(max_testing_views=0))


def test_one_clip_build_and_one_weight_read(build_model, monkeypatch, tmp_path):
    from ga2clip_mmaction.models import clip_weights
    builds, reads = [], []
    build, read = clip_weights._build_clip, clip_weights.read_clip_state_dict
    monkeypatch.setattr(clip_weights, '_build_clip', lambda *a: builds.append(a[:2]) or build(*a))
    monkeypatch.setattr(clip_weights, 'read_clip_state_dict', lambda p: reads.append(p) or read(p))
    path = tmp_path / 'clip.pt'
    torch.save(build('GA2-Tiny-Random', None, None).state_dict(), path)
    builds.clear()
    clip = dict(arch='GA2-Tiny-Random', weights=str(path))
    model = build_model(backbone=dict(type='PromptedCLIPVision', clip=clip, vision_ctx=3, vision_depth=2),
                        cls_head=dict(type='PromptCouplingHead', clip=clip, classnames=['a', 'b'],
                                      language_ctx=4, language_depth=2, coupling='none'))
    assert len(builds) == 1 and reads == [str(path)]
    # each part holds only its tower
    assert not any(n.startswith('visual') for n, _ in model.cls_head.named_parameters())
    assert not any(n.startswith('transformer') for n, _ in model.backbone.named_parameters())
