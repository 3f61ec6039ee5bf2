"""configs/mixing/: GA2-CLIP's parts with other MMAction2 models, trained and tested through the Runner.

Each config trains one epoch (3 iterations) on a one-shot copy of the demo world with small widths/depths given
as ``--cfg-options``, then ``tools/test.py`` tests its checkpoint. The checkpoint's test metrics must equal those
of the trained in-memory model (a checkpoint that lost or mis-mapped a trained weight would differ), and the
parts that should train did while the frozen CLIP text tower did not.
"""
import os.path as osp

import pytest
import torch

from tests.conftest import REPO_ROOT

MIXING = osp.join(REPO_ROOT, 'configs', 'mixing')
SHORT_RUN = ['train_cfg.max_epochs=1', 'train_dataloader.batch_size=4', 'test_dataloader.batch_size=8',
             'default_hooks.logger.interval=1', 'randomness.seed=0']
#: config -> (tiny sizes, metric key, name prefix of parameters that must train)
CASES = {
    'ga2head_slowonly_r50_b2n_demo.py': (
        ['model.backbone.depth=18', 'model.backbone.base_channels=8', 'model.neck.1.in_channels=64'],
        'b2n/hm', 'backbone.layer4'),
    'ga2head_timesformer_b2n_demo.py': (
        ['model.backbone.embed_dims=64', 'model.backbone.num_heads=2', 'model.backbone.num_transformer_layers=1',
         'model.neck.1.in_channels=64'],
        'b2n/hm', 'backbone.transformer_layers'),
    'promptedclip_recognizer3d_i3dhead_demo.py': (
        ['model.backbone.vision_depth=2'], 'acc/top1', 'backbone.prompt'),
    'promptedclip_recognizer2d_tsnhead_demo.py': (
        ['model.backbone.vision_depth=2'], 'acc/top1', 'backbone.prompt'),
}


def train_and_test(config: str, options: list, work_dir: str):
    from tools import test as test_tool
    from tools import train as train_tool
    model_before = None

    def snapshot(model):
        return {n: p.detach().clone() for n, p in model.named_parameters()}

    from mmengine.runner import Runner
    cfg = train_tool.build_train_config(train_tool.parse_args(
        [config, '--work-dir', work_dir, '--plain-config', '--cfg-options', *SHORT_RUN, *options]))
    runner = Runner.from_cfg(cfg)
    model_before = snapshot(runner.model)
    runner.train()
    losses = {k: v.current() for k, v in runner.message_hub.log_scalars.items() if k.startswith('train/loss')}
    in_memory = runner.test()
    checkpoint = osp.join(work_dir, 'epoch_1.pth')
    from_checkpoint = test_tool.main([config, checkpoint, '--work-dir', osp.join(work_dir, 'test'),
                                      '--plain-config', '--cfg-options', *SHORT_RUN, *options])
    return runner.model, model_before, losses, in_memory, from_checkpoint


@pytest.mark.parametrize('name', sorted(CASES))
def test_mixing_config_trains_and_tests(name, tiny_demo_world, tmp_path, monkeypatch):
    monkeypatch.chdir(tiny_demo_world)
    options, metric, trains = CASES[name]
    model, before, losses, in_memory, from_checkpoint = train_and_test(
        osp.join(MIXING, name), options, str(tmp_path / 'work'))
    assert losses and all(torch.isfinite(torch.tensor(v)) for v in losses.values()), losses
    after = dict(model.named_parameters())
    moved = {n for n, p in after.items() if not torch.equal(p.detach(), before[n])}
    assert any(n.startswith(trains) for n in moved), sorted(moved)[:5]
    assert not any(n.startswith(('cls_head.text.', 'backbone.visual.')) for n in moved)  # frozen CLIP
    assert 0.0 <= from_checkpoint[metric] <= 1.0
    assert from_checkpoint == pytest.approx(in_memory, abs=1e-6)
    if name.startswith('ga2head'):
        assert 'train/loss_anchor' in losses  # the anchor term acted on the non-CLIP backbone
        assert model.cls_head.prompt_learner.hard_prompt.abs().sum() > 0  # coupled with the hard prompt


def test_kl_anchor_mode_is_refused_without_a_clip_image_tower(tiny_demo_world, monkeypatch):
    from mmaction.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    monkeypatch.chdir(tiny_demo_world)
    cfg = Config.fromfile(osp.join(MIXING, 'ga2head_slowonly_r50_b2n_demo.py'))
    cfg.merge_from_dict({'model.backbone.depth': 18, 'model.backbone.base_channels': 8,
                         'model.cls_head.anchor_loss.mode': 'kl', 'model.cls_head.anchor_loss.anchor_names': ['a', 'b']})
    with DefaultScope.overwrite_default_scope('mmaction'), \
            pytest.raises(TypeError, match='mode="kl".*ResNet3dSlowOnly'):
        MODELS.build(cfg.model)
