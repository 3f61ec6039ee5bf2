"""configs/vilt_clip_b2n_demo.py trains and tests through the Runner on a one-shot copy of the demo world.

One epoch (3 iterations): ``loss_consistency`` is logged, the inter-modal mapping trained (it starts at zero), the
small checkpoint holds it and reloads strictly into a freshly built model, and ``tools/test.py`` on that checkpoint
gives the in-memory model's base/novel/HM.
"""
import os.path as osp

import pytest
import torch

from tests.conftest import REPO_ROOT
from tests.configs.test_mixing_configs import train_and_test

CONFIG = osp.join(REPO_ROOT, 'configs', 'vilt_clip_b2n_demo.py')


def test_vilt_clip_demo_config_trains_tests_and_reloads(tiny_demo_world, tmp_path, monkeypatch):
    from mmaction.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from ga2clip_mmaction.utils.checkpoint import safe_torch_load
    monkeypatch.chdir(tiny_demo_world)
    work = str(tmp_path / 'work')
    model, before, losses, in_memory, from_checkpoint = train_and_test(CONFIG, [], work)
    assert 'train/loss_consistency' in losses and losses['train/loss_consistency'] > 0, losses
    assert all(torch.isfinite(torch.tensor(v)) for v in losses.values()), losses
    assert torch.equal(before['prompt_mapping.weight'], torch.zeros_like(before['prompt_mapping.weight']))
    assert model.prompt_mapping.weight.abs().sum() > 0 and model.prompt_mapping.bias.abs().sum() > 0
    assert model.prompt_mapping.weight.shape[0] == 3  # min(language_depth 3, vision_depth 4)
    assert model.cls_head.prompt_learner.hard_prompt is None and model.cls_head.anchor_loss is None
    assert model.cls_head.consistency_loss.template == 'a video of a {}.'
    assert torch.equal(model.backbone.visual.conv1.weight, dict(before)['backbone.visual.conv1.weight'])
    assert set(from_checkpoint) >= {'b2n/base_top1', 'b2n/novel_top1', 'b2n/hm'}
    assert from_checkpoint == pytest.approx(in_memory, abs=1e-6)

    state = safe_torch_load(osp.join(work, 'epoch_1.pth'), map_location='cpu')['state_dict']
    assert {'prompt_mapping.weight', 'prompt_mapping.bias'} <= set(state)
    with DefaultScope.overwrite_default_scope('mmaction'):
        fresh = MODELS.build(Config.fromfile(CONFIG).model)
    from mmengine.runner import load_checkpoint  # the load path of load_from / --resume / tools/test.py
    load_checkpoint(fresh, osp.join(work, 'epoch_1.pth'), map_location='cpu', strict=True)
    assert torch.equal(fresh.prompt_mapping.weight, model.prompt_mapping.weight)
