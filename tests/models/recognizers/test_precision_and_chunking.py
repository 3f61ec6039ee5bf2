"""Mixed precision (CPU bf16 autocast through train_step/test_step), test-time precision and view chunking."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapper
from mmengine.runner import autocast

#: Unit roundoff ``u = 2**-p`` of a format with ``p`` significant bits (bf16: 8, fp16: 11, fp8 e4m3: 4).
UNIT_ROUNDOFF = {'bf16': 2.0**-8, 'fp16': 2.0**-11, 'fp8_e4m3': 2.0**-4}
#: Roundings of an embedding on its way out of a tower run in half precision (see :func:`half_logit_bound`).
ROUNDINGS_PER_TOWER = 4


def half_logit_bound(logit_scale: float, precision: str, towers: int) -> float:
    """Largest change of any logit when ``towers`` (1: video only, 2: video and text) run in ``precision``.

    Derivation. A logit is ``s * <v^, t^>``: ``s = exp(logit_scale)`` (read from the model: 1/0.07 = 14.3 for
    the random tiny CLIP, 100 for trained CLIP) times the cosine of the normalised video and class embeddings,
    computed in float32 also under autocast (``PromptCouplingHead.cosine`` turns autocast off). A tower run in
    a format of unit roundoff ``u`` (2**-8 for bf16) returns its embedding with a relative error
    ``eps <= k * u``, where ``k`` counts the roundings that reach the embedding at first order: the final
    projection's input, its weights and its output (3), plus 1 for everything upstream (the blocks' rounding
    errors enter the float32 residual stream relative to their branch, and the final LayerNorm renormalises
    it): ``k = ROUNDINGS_PER_TOWER = 4``. Normalising keeps only the part of the error perpendicular to the
    embedding, so ``||dv^|| <= eps`` (first order), and by Cauchy-Schwarz on unit vectors
    ``|d<v^, t^>| <= ||dv^|| + ||dt^||``. Hence, for every class::

        |logit_half - logit_fp32| <= s * (||dv^|| + ||dt^||) <= s * towers * k * u

    (bf16, one tower, s = 14.3: 0.22 logit; two towers 0.45; trained CLIP, s = 100: 1.6 and 3.1 logits).
    The middle term is the error in the worst class direction; the tests measure it, not only the logits of
    the few random classes (whose directions see about 1/sqrt(D) of it), and require it to stay within the
    bound and above ``u / 4`` per tower (a sixteenth of its share): a tower really run in ``precision``
    rounds its output at least once, a relative error of about ``0.4 u`` (RMS of rounding to nearest) alone.
    """
    return logit_scale * towers * ROUNDINGS_PER_TOWER * UNIT_ROUNDOFF[precision]


def worst_direction_error(ref: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
    """``max_i ||normalize(other_i) - normalize(ref_i)||``: the largest cosine change of embeddings ``[N, D]``
    towards any unit direction (the ``||dv^||`` of :func:`half_logit_bound`)."""
    return (F.normalize(other.float(), dim=-1) - F.normalize(ref.float(), dim=-1)).norm(dim=-1).max()


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
    anchor_cfg('official', ['else'], allow_inert=True),  # released, computed
    anchor_cfg('official', [f'other {i}' for i in range(4)]),
    anchor_cfg('kl', ['red thing', 'round thing']),
    anchor_cfg('negative', ['something else']),
])
def test_train_step_under_bf16_autocast(build_model, samples, anchor):
    model = build_model(anchor_loss=anchor, data_preprocessor=PREPROCESSOR)
    uses_anchors = anchor is not None
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
    """test_step under bf16 autocast (both towers in bf16): every logit within :func:`half_logit_bound`, and the
    probabilities the float32 softmax of those logits (so within ``p * expm1(2 max|dlogit|)`` of fp32's)."""
    model = build_model(data_preprocessor=PREPROCESSOR).eval()
    head = model.cls_head
    data = batch(samples, [0, 1, 2])
    seen = []  # (view-averaged video embeddings, logits) of each test_step
    hook = head.register_forward_hook(lambda _, args, out: seen.append((args[0].detach(), out.detach())))
    with torch.no_grad():
        fp32 = torch.stack([s.pred_score for s in model.test_step(data)])
        text32 = head.class_features()
        with autocast(device_type='cpu', dtype=torch.bfloat16):
            bf16 = torch.stack([s.pred_score for s in model.test_step(data)])
            text16 = head.class_features()
    hook.remove()
    (video32, logits32), (video16, logits16) = seen
    assert bf16.dtype == logits16.dtype == torch.float32
    scale = head.logit_scale.item()
    bound = half_logit_bound(scale, 'bf16', towers=2)
    video_err, text_err = worst_direction_error(video32, video16), worst_direction_error(text32, text16)
    assert scale * (video_err + text_err) <= bound
    # both towers did run in bf16 (each rounded its output: more than u/4 each)
    assert min(video_err, text_err) > UNIT_ROUNDOFF['bf16'] / 4
    dlogit = (logits16 - logits32).abs().max().item()
    assert dlogit <= scale * (video_err + text_err) + 1e-5 <= bound + 1e-5  # Cauchy-Schwarz, float32 rounding
    # the probabilities are the float32 softmax of these logits: exact softmax Lipschitz bound in log space
    torch.testing.assert_close(bf16, F.softmax(logits16, dim=-1))
    torch.testing.assert_close(fp32, F.softmax(logits32, dim=-1))
    assert ((bf16 - fp32).abs() <= fp32 * math.expm1(2 * dlogit) + 1e-6).all()
    # the cache holds fp32-computed features again after autocast
    torch.testing.assert_close(torch.stack([s.pred_score for s in model.test_step(data)]), fp32)


@pytest.mark.parametrize('precision', ['bf16', 'fp16'])
def test_test_cfg_precision_logits_close_to_fp32(build_model, make_clips, precision):
    """``test_cfg.precision``: the video tower in half precision, the text tower in float32 (one tower of
    :func:`half_logit_bound`)."""
    x = make_clips(3, views=2)
    ref = build_model().eval()
    half = build_model(test_cfg=dict(precision=precision)).eval()
    with torch.no_grad():
        emb = {name: m.extract_feat(x, test_mode=True)[0].view(3, 2, -1).mean(1) for name, m in (('ref', ref), ('half', half))}
        logits = {name: m.cls_head(emb[name]) for name, m in (('ref', ref), ('half', half))}
        text = {name: m.cls_head.class_features() for name, m in (('ref', ref), ('half', half))}
    assert logits['half'].dtype == emb['half'].dtype == torch.float32
    torch.testing.assert_close(text['half'], text['ref'], rtol=0, atol=0)  # the text tower stays float32
    scale = ref.cls_head.logit_scale.item()
    bound = half_logit_bound(scale, precision, towers=1)
    worst = scale * worst_direction_error(emb['ref'], emb['half']).item()
    assert bound / 16 < worst <= bound  # it did run in `precision` (more than u/4), and within its bound
    assert (logits['half'] - logits['ref']).abs().max() <= worst + 1e-5  # Cauchy-Schwarz, float32 rounding
    if precision == 'bf16':  # the bound tells the formats apart: bf16's error exceeds fp16's bound
        assert worst > half_logit_bound(scale, 'fp16', towers=1)


def test_half_logit_bound_rejects_a_coarser_format(build_model, make_clips):
    """Not vacuous: the fp32 embeddings rounded to fp8 e4m3 (4 significant bits, u = 2**-4) move a logit by
    more than the bf16 bound allows (and stay within their own bound)."""
    model = build_model().eval()
    with torch.no_grad():
        emb = model.extract_feat(make_clips(3, views=2), test_mode=True)[0].view(3, 2, -1).mean(1)
    scale = model.cls_head.logit_scale.item()
    worst = scale * worst_direction_error(emb, emb.to(torch.float8_e4m3fn).float()).item()
    assert half_logit_bound(scale, 'bf16', towers=1) < worst <= half_logit_bound(scale, 'fp8_e4m3', towers=1)


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
    from ga2clip_mmaction.models.recognizers import ga2clip
    builds, reads = [], []
    build, read = clip_weights.build_clip, clip_weights.read_clip_state_dict
    monkeypatch.setattr(ga2clip, 'build_clip', lambda **kw: builds.append(kw) or build(**kw))
    monkeypatch.setattr(clip_weights, 'read_clip_state_dict', lambda p: reads.append(p) or read(p))
    path = tmp_path / 'clip.pt'
    torch.save(build('GA2-Tiny-Random', None, None).state_dict(), path)
    clip = dict(arch='GA2-Tiny-Random', weights=str(path))
    model = build_model(backbone=dict(type='PromptedCLIPVision', clip=clip, vision_ctx=3, vision_depth=2),
                        cls_head=dict(type='PromptCouplingHead', clip=clip, classnames=['a', 'b'],
                                      language_ctx=4, language_depth=2, coupling='none'))
    assert len(builds) == 1 and reads == [str(path)]  # built once, by the recognizer, handed to both parts
    # each part holds only its tower
    assert not any(n.startswith('visual') for n, _ in model.cls_head.named_parameters())
    assert not any(n.startswith('transformer') for n, _ in model.backbone.named_parameters())
