"""Small checkpoints (SmallCheckpointHook) through the Runner, with anchors off and with the released inert anchor
term computed.

Tiny random CLIP, the released b2n config (anchors off; or the official anchor term with one name), 3 videos,
batch 2, 2 epochs.
"""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from ga2clip_mmaction.engine.runner_setup import build_runner

import ga2clip_mmaction  # noqa: F401
from ga2clip_mmaction.datasets import AnchorSetDataset

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
PIPELINE = [
    dict(type='DecordInit'),
    dict(type='SegmentSample', num_segments=2, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(32, 32), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]


@pytest.fixture
def run_cfg(tmp_path, make_video):
    """``run_cfg(work_dir, full=False, released_anchors=False, seed=0)``: a Runner config of the released recipe
    (anchors off; ``released_anchors``: the inert official term computed on one anchor clip per batch)."""
    for i in range(3):
        make_video(f'main/v{i}.mp4', num_frames=4)
        make_video(f'anchors/a{i}.mp4', num_frames=4)
    (tmp_path / 'train.txt').write_text('v0.mp4 0\nv1.mp4 1\nv2.mp4 2\n')
    (tmp_path / 'anchors.txt').write_text('a0.mp4 0\na1.mp4 0\na2.mp4 0\n')

    def _cfg(work_dir, full=False, released_anchors=False, seed=0):
        cfg = Config.fromfile(osp.join(ROOT, 'configs', 'ga2clip_b2n_hmdb51.py'))
        clip = dict(arch='GA2-Tiny-Random', weights=None)
        cfg.model.backbone.update(clip=clip, vision_ctx=2, vision_depth=2, grad_checkpointing=False)
        cfg.model.cls_head.update(clip=clip, language_ctx=2, language_depth=2, grad_checkpointing=False,
                                  classnames=['pour', 'pullup', 'punch'],
                                  hard_prompt=torch.randn(2, 64, generator=torch.Generator().manual_seed(0)),
                                  coupling_dropout=0.0)
        loader = cfg.train_dataloader
        loader.update(batch_size=2, num_workers=0, persistent_workers=False)
        loader.dataset.update(ann_file=str(tmp_path / 'train.txt'), pipeline=PIPELINE,
                              data_prefix=dict(video=str(tmp_path / 'main')))
        if released_anchors:  # anchors on, said together: term, anchor set, sampler
            cfg.model.cls_head.anchor_loss = dict(type='AnchorLoss', mode='official', anchor_names=['else'],
                                                  allow_inert=True)
            anchors = dict(loader.dataset, ann_file=str(tmp_path / 'anchors.txt'),
                           data_prefix=dict(video=str(tmp_path / 'anchors')))
            loader.dataset = dict(type='AnchorSetDataset', dataset=loader.dataset, anchor_dataset=anchors,
                                  leakage='off')
            loader.batch_sampler = dict(type='AnchorBatchSampler', num_anchors=1)
        cfg.update(val_dataloader=None, val_cfg=None, val_evaluator=None, test_dataloader=None,
                   test_cfg=None, test_evaluator=None, custom_hooks=[], work_dir=str(work_dir),
                   randomness=dict(seed=seed, deterministic=True))
        cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2)
        cfg.optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-2))
        cfg.param_scheduler = [dict(type='CosineAnnealingLR', T_max=2, by_epoch=True)]
        cfg.default_hooks.checkpoint.update(interval=1, max_keep_ckpts=-1, full_checkpoint=full)
        cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
        return cfg

    return _cfg


def trained(runner):
    return {n: p.detach().clone() for n, p in runner.model.named_parameters() if p.requires_grad}


def test_small_checkpoints_resume_like_full_ones_with_anchors_off(run_cfg, tmp_path, monkeypatch):
    fetched = []
    getitem = AnchorSetDataset.__getitem__
    monkeypatch.setattr(AnchorSetDataset, '__getitem__',
                        lambda self, idx: fetched.append(self.is_anchor_index(idx)) or getitem(self, idx))
    results = {}
    for kind in ('small', 'full'):
        cfg = run_cfg(tmp_path / kind, full=kind == 'full')
        cfg.train_cfg.max_epochs = 1  # the same first epoch (deterministic), then resumed to epoch 2
        build_runner(cfg).train()
        ckpt = torch.load(tmp_path / kind / 'epoch_1.pth', map_location='cpu', weights_only=False)
        results[kind + '_keys'] = set(ckpt['state_dict'])
        results[kind + '_meta'] = ckpt['meta'].get('small_checkpoint')
        # resume from epoch 1 in a fresh runner
        cfg = run_cfg(tmp_path / f'{kind}_resumed', full=kind == 'full')
        cfg.update(resume=True, load_from=str(tmp_path / kind / 'epoch_1.pth'))
        resumed = build_runner(cfg)
        resumed.train()
        results[kind + '_resumed'] = trained(resumed)
    # anchors off (the released term is inert): no anchor set, no anchor clip ever fetched (decoded)
    assert not fetched
    small, full = results['small_keys'], results['full_keys']
    assert 'backbone.visual.conv1.weight' in full and 'backbone.visual.conv1.weight' not in small
    assert 'cls_head.prompt_learner.hard_prompt' in small and results['full_meta'] is None
    record = results['small_meta']  # what is small is said by the meta record, not by requires_grad at load
    assert record['kind'] == 'small' and 'backbone.visual.conv1.weight' in record['frozen']
    assert set(record['frozen']) == full - small and len(record['fingerprint']) == 32
    assert set(results['small_resumed']) <= small  # every trained parameter is stored
    for name, value in results['full_resumed'].items():  # bit-identical
        torch.testing.assert_close(results['small_resumed'][name], value, atol=0, rtol=0)


def test_small_checkpoint_refused_by_other_frozen_weights_and_released_anchor_compute(run_cfg, tmp_path,
                                                                                       monkeypatch):
    from mmaction.registry import MODELS
    from mmengine.runner import load_checkpoint  # a Runner checkpoint loaded outside a Runner

    fetched = []
    getitem = AnchorSetDataset.__getitem__
    monkeypatch.setattr(AnchorSetDataset, '__getitem__',
                        lambda self, idx: fetched.append(self.is_anchor_index(idx)) or getitem(self, idx))
    cfg = run_cfg(tmp_path / 'run', released_anchors=True)  # the released computation of the inert term
    cfg.train_cfg.max_epochs = 1
    runner = build_runner(cfg)
    runner.train()
    assert sum(fetched) == 2  # one anchor clip per batch, 2 batches: decoded as released
    small = str(tmp_path / 'run' / 'epoch_1.pth')
    assert osp.getsize(small) < 200_000  # the full one is ~13 MB (the 49408 x 64 token embedding)
    frozen = torch.load(small, map_location='cpu', weights_only=False)['meta']['small_checkpoint']['frozen']
    src = runner.model.state_dict()
    torch.manual_seed(123)  # whatever the seed: `same` gets the trained model's frozen weights copied in below
    same = MODELS.build(run_cfg(tmp_path / 'x').model)
    with torch.no_grad():
        for name in frozen:
            same.state_dict()[name].copy_(src[name])
    assert not torch.equal(same.backbone.prompt, runner.model.backbone.prompt)  # the load must bring them
    load_checkpoint(same, small, strict=True)
    loaded = same.state_dict()
    for name, value in trained(runner).items():  # every trained parameter comes from the small checkpoint
        torch.testing.assert_close(loaded[name], value, atol=0, rtol=0)
    for name in frozen:  # and the frozen ones stay the model's (refilled from it, checked against the record)
        torch.testing.assert_close(loaded[name], src[name], atol=0, rtol=0)
    # other frozen weights: another random CLIP (provably other: checked), and the trained one nudged by one ulp
    other = MODELS.build(run_cfg(tmp_path / 'y').model)
    differ = [n for n in frozen if not torch.equal(other.state_dict()[n], src[n])]  # not the ones / zeros of norms
    assert 'backbone.visual.conv1.weight' in differ and 'cls_head.text.token_embedding.weight' in differ
    with pytest.raises(RuntimeError, match=rf'small checkpoint.*fingerprint.*other frozen weights '
                                           rf'\({len(differ)} of {len(frozen)} tensors differ.*clip.weights'):
        load_checkpoint(other, small, strict=True)
    nudged = MODELS.build(run_cfg(tmp_path / 'z').model)
    nudged.load_state_dict(src)
    with torch.no_grad():
        weight = nudged.backbone.visual.conv1.weight.view(-1)
        weight[0] = torch.nextafter(weight[0], torch.tensor(float('inf')))
    one = rf'\(1 of {len(frozen)} tensors differ, e.g. backbone.visual.conv1.weight\)'
    with pytest.raises(RuntimeError, match=one):
        load_checkpoint(nudged, small, strict=True)
    # the same weights saved in full load anywhere (the frozen weights come with them)
    full = tmp_path / 'full.pth'
    torch.save({'state_dict': runner.model.state_dict()}, full)
    load_checkpoint(other, str(full), strict=True)
    torch.testing.assert_close(other.backbone.visual.conv1.weight, runner.model.backbone.visual.conv1.weight)


def test_ema_state_dict_is_small_and_resumes_the_averaged_and_the_raw_prompts(run_cfg, tmp_path):
    """EMAHook with small checkpoints: MMEngine swaps the averaged weights into ``state_dict`` and the raw ones into
    ``ema_state_dict`` (``module.`` keys) before SmallCheckpointHook shrinks both; a resume restores each.

    With EMAHook's default ``strict_load=False``: the EMA model keeps its own frozen weights (copies of the
    model's, which the load checks against the record). ``strict_load=True``: test_small_checkpoint_refill_hook.py."""
    cfg = run_cfg(tmp_path / 'ema')
    cfg.train_cfg.max_epochs = 1  # 2 iterations: the EMA copies the first, averages the second
    cfg.custom_hooks = [dict(type='EMAHook', momentum=0.5)]
    runner = build_runner(cfg)
    runner.train()
    ema = next(h for h in runner.hooks if type(h).__name__ == 'EMAHook').ema_model
    ckpt = torch.load(tmp_path / 'ema' / 'epoch_1.pth', map_location='cpu', weights_only=False)
    record = ckpt['meta']['small_checkpoint']
    assert 'backbone.visual.conv1.weight' in record['frozen']
    # small: no frozen weight in either state dict, every other key in both
    assert set(ckpt['ema_state_dict']) == {'steps'} | {'module.' + k for k in ckpt['state_dict']}
    assert not set(record['frozen']) & set(ckpt['state_dict'])
    assert osp.getsize(tmp_path / 'ema' / 'epoch_1.pth') < 300_000
    raw, averaged = trained(runner), {n: p.detach().clone() for n, p in ema.module.named_parameters()}
    assert set(raw) <= set(ckpt['state_dict'])
    for name in raw:  # state_dict: the averaged weights (deployment); ema_state_dict: the raw ones
        torch.testing.assert_close(ckpt['state_dict'][name], averaged[name], atol=0, rtol=0)
        torch.testing.assert_close(ckpt['ema_state_dict']['module.' + name], raw[name], atol=0, rtol=0)
    assert any(not torch.equal(averaged[n], raw[n]) for n in raw)  # the average is not the raw model
    # leaving the frozen weights out of ema_state_dict loses nothing: the EMA's are the model's, bit for bit
    src = runner.model.state_dict()
    for name in record['frozen']:
        torch.testing.assert_close(averaged[name], src[name], atol=0, rtol=0)
    # resume in a fresh runner (the run is complete: nothing more trains): the raw prompts back in the model,
    # the averaged ones in the EMA model, its step count, and the frozen weights in both
    cfg = run_cfg(tmp_path / 'ema_resumed')
    cfg.train_cfg.max_epochs = 1
    cfg.custom_hooks = [dict(type='EMAHook', momentum=0.5)]
    cfg.update(resume=True, load_from=str(tmp_path / 'ema' / 'epoch_1.pth'))
    resumed = build_runner(cfg)
    resumed.train()
    resumed_ema = next(h for h in resumed.hooks if type(h).__name__ == 'EMAHook').ema_model
    assert resumed.epoch == 1 and int(resumed_ema.steps) == int(ema.steps) == 2
    for name, value in trained(resumed).items():
        torch.testing.assert_close(value, raw[name], atol=0, rtol=0)
    resumed_state = resumed.model.state_dict()
    for name in record['frozen']:
        torch.testing.assert_close(resumed_state[name], src[name], atol=0, rtol=0)
    resumed_avg = dict(resumed_ema.module.named_parameters())
    assert resumed_avg.keys() == averaged.keys() > set(record['frozen'])
    for name, value in averaged.items():  # trained (averaged) and frozen
        torch.testing.assert_close(resumed_avg[name], value, atol=0, rtol=0)
