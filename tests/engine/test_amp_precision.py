"""``--amp``: bf16 trains without loss scaling, fp16 with the dynamic scaler; ``tools/test.py --amp`` is one switch."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from ga2clip_mmaction.engine import runner_setup
from ga2clip_mmaction.engine.runner_setup import build_train_config, build_train_parser

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def train_cfg(*argv: str):
    return build_train_config(build_train_parser().parse_args(list(argv)))


@pytest.fixture
def bf16_gpu(monkeypatch):
    """Pretend to run on a GPU with bf16 (config building only asks torch.cuda)."""
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda *a, **k: True)


def test_bf16_amp_has_no_loss_scaler_and_fp16_the_dynamic_one(toy_recognizer_config, bf16_gpu):
    bf16 = train_cfg(toy_recognizer_config, '--amp').optim_wrapper
    assert (bf16.type, bf16.dtype, bf16.loss_scale) == ('AmpOptimWrapper', 'bfloat16', dict(enabled=False))
    fp16 = train_cfg(toy_recognizer_config, '--amp', '--cfg-options', 'optim_wrapper.dtype=float16').optim_wrapper
    assert (fp16.dtype, fp16.loss_scale) == ('float16', 'dynamic')
    # an explicit loss_scale is the user's choice, also under bf16
    kept = train_cfg(toy_recognizer_config, '--amp', '--cfg-options', 'optim_wrapper.loss_scale=512.0')
    assert kept.optim_wrapper.loss_scale == 512.0


def test_a_config_naming_amp_optim_wrapper_gets_the_same_defaults(toy_recognizer_config, bf16_gpu):
    cfg = train_cfg(toy_recognizer_config, '--cfg-options', 'optim_wrapper.type=AmpOptimWrapper')
    assert cfg.optim_wrapper.loss_scale == dict(enabled=False)


def test_the_bf16_wrapper_steps_exactly_like_a_plain_optimizer(toy_recognizer_config, bf16_gpu, monkeypatch):
    """MMEngine's AmpOptimWrapper built from the --amp config: no scaling, the update equals plain SGD's."""
    from mmengine.optim import build_optim_wrapper
    from mmengine.optim.optimizer import amp_optimizer_wrapper
    monkeypatch.setattr(amp_optimizer_wrapper, 'is_cuda_available', lambda: True)  # its CUDA assertion
    cfg = train_cfg(toy_recognizer_config, '--amp').optim_wrapper
    assert cfg.dtype == 'bfloat16'
    cfg.optimizer = dict(type='SGD', lr=0.5)
    cfg.pop('clip_grad', None)
    torch.manual_seed(0)
    model, ref = torch.nn.Linear(4, 2), torch.nn.Linear(4, 2)
    ref.load_state_dict(model.state_dict())
    wrapper = build_optim_wrapper(model, cfg)  # torch.cuda.is_available() is True: a scaler asked for is enabled
    assert not wrapper.loss_scaler.is_enabled()
    x = torch.randn(3, 4)
    loss = model(x).square().sum()
    assert wrapper.loss_scaler.scale(loss) is loss  # not multiplied by 2**16
    wrapper.update_params(loss)
    opt = torch.optim.SGD(ref.parameters(), lr=0.5)
    ref(x).square().sum().backward()
    opt.step()
    for p, q in zip(model.parameters(), ref.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=0)
    assert wrapper.state_dict()['loss_scaler'] == {}  # nothing to resume


def test_test_amp_sets_the_model_precision_of_ga2clip(monkeypatch):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'ga2clip_b2n_demo.py'))
    runner_setup._set_test_precision(cfg)
    assert cfg.model.test_cfg.precision == 'bf16'
    assert not (cfg.get('test_cfg') or {}).get('fp16')  # one switch: no second autocast around the step
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda *a, **k: False)  # e.g. a V100
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'ga2clip_b2n_demo.py'))
    runner_setup._set_test_precision(cfg)
    assert cfg.model.test_cfg.precision == 'fp16'
    cfg.model.test_cfg.precision = 'fp32'
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'ga2clip_b2n_demo.py'))
    cfg.model.test_cfg = dict(precision='bf16', max_testing_views=3)  # an explicit choice is kept
    runner_setup._set_test_precision(cfg)
    assert cfg.model.test_cfg == dict(precision='bf16', max_testing_views=3)
