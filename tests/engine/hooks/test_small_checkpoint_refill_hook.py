"""SmallCheckpointRefillHook: ``EMAHook(strict_load=True)`` resumes a small checkpoint (its ``ema_state_dict`` and
``state_dict`` lack the frozen weights, which EMAHook loads strictly before the model's load refills them)."""
import torch
from mmengine.runner import Runner

from tests.engine.hooks.test_small_checkpoint_hook import run_cfg, trained  # noqa: F401 - the shared fixture


def test_ema_hook_with_strict_load_resumes_a_small_checkpoint(run_cfg, tmp_path):  # noqa: F811
    cfg = run_cfg(tmp_path / 'ema')
    cfg.train_cfg.max_epochs = 1
    cfg.custom_hooks = [dict(type='EMAHook', momentum=0.5, strict_load=True)]
    assert cfg.default_hooks.small_checkpoint_refill == dict(type='SmallCheckpointRefillHook')
    runner = Runner.from_cfg(cfg)
    runner.train()
    ema = next(h for h in runner.hooks if type(h).__name__ == 'EMAHook').ema_model
    averaged = {n: p.detach().clone() for n, p in ema.module.named_parameters()}
    ckpt = torch.load(tmp_path / 'ema' / 'epoch_1.pth', map_location='cpu', weights_only=False)
    frozen = ckpt['meta']['small_checkpoint']['frozen']
    assert not {'module.' + n for n in frozen} & set(ckpt['ema_state_dict'])  # small: left out

    cfg = run_cfg(tmp_path / 'ema_resumed')
    cfg.train_cfg.max_epochs = 1
    cfg.custom_hooks = [dict(type='EMAHook', momentum=0.5, strict_load=True)]
    cfg.update(resume=True, load_from=str(tmp_path / 'ema' / 'epoch_1.pth'))
    resumed = Runner.from_cfg(cfg)
    resumed.train()  # strict: every key of the EMA model, frozen ones included
    resumed_ema = next(h for h in resumed.hooks if type(h).__name__ == 'EMAHook').ema_model
    for name, value in trained(runner).items():
        torch.testing.assert_close(trained(resumed)[name], value, atol=0, rtol=0)
    resumed_avg = dict(resumed_ema.module.named_parameters())
    assert resumed_avg.keys() == averaged.keys() > set(frozen)
    for name, value in averaged.items():
        torch.testing.assert_close(resumed_avg[name], value, atol=0, rtol=0)
