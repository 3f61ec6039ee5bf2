"""Small checkpoints that cannot load wrong: small-ness, frozen names and digests come from ``meta``; every entry
point refills the frozen weights from the model or refuses, naming the keys and the reason.

Tiny random CLIP (``GA2-Tiny-Random``); the same torch seed before a build gives the same frozen weights.
"""
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmaction.registry import MODELS
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint

import ga2clip_mmaction  # noqa: F401
from ga2clip_mmaction.engine.hooks import SmallCheckpointHook
from ga2clip_mmaction.utils.small_checkpoint import (SMALL_META_KEY, SmallCheckpointError, declared_frozen_names,
                                                     refill_small_checkpoint, shrink_checkpoint, tensor_digest)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CLIP = dict(arch='GA2-Tiny-Random', weights=None)


def ga2clip_cfg(freeze='prompts'):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'ga2clip_b2n_hmdb51.py')).model
    cfg.backbone.update(clip=CLIP, vision_ctx=2, vision_depth=2, grad_checkpointing=False)
    cfg.cls_head.update(clip=CLIP, language_ctx=2, language_depth=2, grad_checkpointing=False,
                        classnames=['pour', 'pullup', 'punch'], hard_prompt=torch.zeros(2, 64))
    cfg['cls_head']['anchor_loss'] = None
    cfg['freeze'] = freeze
    return cfg


def recognizer3d_cfg():
    return dict(type='Recognizer3D',
                backbone=dict(type='PromptedCLIPVision', clip=CLIP, vision_ctx=2, vision_depth=2, feature_map=True),
                cls_head=dict(type='I3DHead', in_channels=64, num_classes=3),
                data_preprocessor=dict(type='ActionDataPreprocessor', format_shape='NCTHW'))


def build(cfg, seed=0):
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('mmaction'):
        return MODELS.build(cfg)


def trained_and_saved(model, path):
    """Change the trained parameters, then save the model as SmallCheckpointHook does."""
    with torch.no_grad():
        for p in model.parameters():
            if p.requires_grad:
                p.add_(0.5)
    ckpt = dict(state_dict=model.state_dict(), meta=dict())
    assert shrink_checkpoint(model, ckpt)
    torch.save(ckpt, path)
    return ckpt


@pytest.fixture
def small(tmp_path):
    model = build(ga2clip_cfg())
    path = str(tmp_path / 'small.pth')
    return model, path, trained_and_saved(model, path)


def assert_same(a, b):
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(x, y), name


def test_small_ness_is_read_from_meta_not_requires_grad(small):
    model, path, ckpt = small
    record = ckpt['meta'][SMALL_META_KEY]
    assert record['kind'] == 'small' and record['frozen'] == declared_frozen_names(model)
    assert 'backbone.visual.conv1.weight' in record['frozen'] and 'cls_head.text.token_embedding.weight' in \
        record['frozen'] and not set(record['frozen']) & set(ckpt['state_dict'])
    # a model whose frozen parts look trainable (another freeze) or all frozen (requires_grad_(False))
    for fresh in (build(ga2clip_cfg('prompts+text')), build(ga2clip_cfg()).requires_grad_(False)):
        load_checkpoint(fresh, path, strict=True)
        assert_same(fresh, model)


def test_stock_recognizer3d_with_prompted_clip_writes_and_loads_small_checkpoints(tmp_path):
    model = build(recognizer3d_cfg())
    names = declared_frozen_names(model)
    assert names and all(n.startswith('backbone.visual.') for n in names)
    path = str(tmp_path / 'r3d.pth')
    ckpt = trained_and_saved(model, path)
    assert 'backbone.prompt' in ckpt['state_dict'] and 'cls_head.fc_cls.weight' in ckpt['state_dict']
    fresh = build(recognizer3d_cfg())
    load_checkpoint(fresh, path, strict=True)
    assert_same(fresh, model)
    with pytest.raises(SmallCheckpointError, match='other frozen weights'):
        load_checkpoint(build(recognizer3d_cfg(), seed=1), path, strict=False)


def test_cast_model_gets_its_own_message(small):
    _, path, _ = small
    fresh = build(ga2clip_cfg())
    fresh.backbone.visual.half()
    with pytest.raises(SmallCheckpointError, match=r'(?s)cast.*backbone\.visual\..*torch.float32 saved, '
                                                   r'torch.float16 in the model.*\.half\(\)'):
        load_checkpoint(fresh, path, strict=False)


def test_renamed_key_gets_its_own_message_with_the_names(small):
    _, _, ckpt = small
    old = 'backbone.visual.conv1.weight'
    record = ckpt['meta'][SMALL_META_KEY]  # as if the model renamed conv1 -> patch_embed after the save
    record['frozen'] = ['backbone.visual.patch_embed.weight' if n == old else n for n in record['frozen']]
    record['tensors']['backbone.visual.patch_embed.weight'] = record['tensors'].pop(old)
    with pytest.raises(SmallCheckpointError, match=r'(?s)cannot refill.*no such keys.*patch_embed\.weight.*'
                                                   r'another name.*patch_embed\.weight -> ' + old):
        refill_small_checkpoint(build(ga2clip_cfg()), ckpt)


def test_other_frozen_weights_are_refused(small):
    _, path, _ = small
    with pytest.raises(SmallCheckpointError, match='other frozen weights.*clip.weights'):
        load_checkpoint(build(ga2clip_cfg(), seed=123), path, strict=False)


def test_missing_frozen_keys_are_an_error_even_without_strict(small):
    """A model without the frozen part (here: no text tower) cannot refill it: before every Runner load
    (``SmallCheckpointHook.after_load_checkpoint``) an error naming the keys, not MMEngine's warning about missing
    keys. A bare ``load_checkpoint`` into a model whose outermost module declares nothing has only MMEngine's own
    report of the missing keys (an error when strict)."""
    _, path, ckpt = small
    other = build(recognizer3d_cfg())
    with pytest.raises(SmallCheckpointError, match=r"cannot refill.*no such keys.*'cls_head\.text\."):
        SmallCheckpointHook().after_load_checkpoint(SimpleNamespace(model=other), torch.load(path))
    with pytest.raises(RuntimeError, match=r'(?s)missing keys in source state_dict: .*backbone\.visual\.'):
        load_checkpoint(other, path, strict=True)


def test_refill_is_the_models_own_load_state_dict_pre_hook(small):
    """The record is in the state dict's own metadata: torch's plain ``load_state_dict`` refills and checks too,
    and the GA2CLIP model's record (outermost declarer) is at its root."""
    model, path, _ = small
    state = torch.load(path)['state_dict']
    assert state._metadata[''][SMALL_META_KEY]['frozen'] == declared_frozen_names(model)
    assert SMALL_META_KEY not in state._metadata['backbone']  # the outermost declaring module speaks
    fresh = build(ga2clip_cfg())
    fresh.load_state_dict(state, strict=True)
    assert_same(fresh, model)
    with pytest.raises(SmallCheckpointError, match='other frozen weights'):
        build(ga2clip_cfg(), seed=123).load_state_dict(state, strict=False)
    from mmengine.runner import checkpoint as mm_checkpoint
    assert not hasattr(mm_checkpoint._load_checkpoint_to_model, '__wrapped__')  # MMEngine's own, unwrapped


def test_meta_only_small_checkpoint_loads_through_the_runner_path(small):
    """A small checkpoint written before the record went into the state dict's metadata (``meta`` only)."""
    model, path, ckpt = small
    for value in ckpt['state_dict']._metadata.values():
        value.pop(SMALL_META_KEY, None)
    fresh = build(ga2clip_cfg())
    SmallCheckpointHook().after_load_checkpoint(SimpleNamespace(model=fresh), ckpt)
    fresh.load_state_dict(ckpt['state_dict'], strict=True)
    assert_same(fresh, model)


def test_full_checkpoints_are_untouched_and_digests_follow_changes(tmp_path):
    model = build(ga2clip_cfg())
    full = dict(state_dict=model.state_dict(), meta=dict())
    assert refill_small_checkpoint(model, full) is full and SMALL_META_KEY not in full['meta']
    w = model.backbone.visual.conv1.weight
    before = tensor_digest(w)
    assert tensor_digest(w) == before
    with torch.no_grad():
        w[0, 0, 0, 0] += 1  # an in-place change bumps the version: hashed again
    assert tensor_digest(w) != before
    assert tensor_digest(w.detach().clone()) == tensor_digest(w)  # the values, not the object
    assert tensor_digest(torch.zeros(2, 3)) != tensor_digest(torch.zeros(3, 2))
    assert tensor_digest(torch.zeros(2)) != tensor_digest(torch.zeros(2, dtype=torch.float64)[:2].float().half())


def test_older_small_checkpoint_record_is_refused_clearly(small):
    _, _, ckpt = small
    ckpt['meta'][SMALL_META_KEY] = True  # what the previous version wrote
    with pytest.raises(SmallCheckpointError, match='older version'):
        refill_small_checkpoint(build(ga2clip_cfg()), ckpt)
