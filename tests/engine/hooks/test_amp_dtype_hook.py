"""AmpDtypeHook: the training precision is in every checkpoint; a resume under another one is refused, naming both
(MMEngine's AmpOptimWrapper, its CUDA check bypassed on this CPU machine)."""
import types

import pytest
import torch
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.optim.optimizer import amp_optimizer_wrapper

from ga2clip_mmaction.engine.hooks import AmpDtypeHook
from ga2clip_mmaction.engine.hooks.amp_dtype_hook import training_dtype


@pytest.fixture
def wrapper(monkeypatch):
    monkeypatch.setattr(amp_optimizer_wrapper, 'is_cuda_available', lambda: True)

    def build(dtype):
        optimizer = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1)
        if dtype == 'float32':
            return OptimWrapper(optimizer)
        return AmpOptimWrapper(optimizer=optimizer, dtype=dtype,
                               loss_scale=dict(enabled=False) if dtype == 'bfloat16' else 'dynamic')
    return build


def runner(optim_wrapper, resume=True):
    return types.SimpleNamespace(optim_wrapper=optim_wrapper, _resume=resume)


def test_the_dtype_is_recorded_and_a_resume_under_another_is_refused(wrapper):
    hook = AmpDtypeHook()
    checkpoint = dict(meta=dict(epoch=1))
    hook.before_save_checkpoint(runner(wrapper('bfloat16')), checkpoint)
    assert checkpoint['meta']['amp_dtype'] == 'bfloat16'
    hook.after_load_checkpoint(runner(wrapper('bfloat16')), checkpoint)  # same precision: resumes
    with pytest.raises(ValueError, match=r'trained with precision bfloat16, this run would train with float16.*'
                                         r'optim_wrapper.dtype=bfloat16'):
        hook.after_load_checkpoint(runner(wrapper('float16')), checkpoint)
    with pytest.raises(ValueError, match='precision bfloat16, this run would train with float32'):
        hook.after_load_checkpoint(runner(wrapper('float32')), checkpoint)
    hook.after_load_checkpoint(runner(wrapper('float16'), resume=False), checkpoint)  # load_from: a new run
    hook.after_load_checkpoint(runner(wrapper('float16')), dict(meta={}))  # a checkpoint from before the hook


def test_a_float32_run_records_float32(wrapper):
    checkpoint = dict(meta={})
    AmpDtypeHook().before_save_checkpoint(runner(wrapper('float32')), checkpoint)
    assert checkpoint['meta']['amp_dtype'] == 'float32' == training_dtype(wrapper('float32'))
    with pytest.raises(ValueError, match='precision float32, this run would train with bfloat16.*without --amp'):
        AmpDtypeHook().after_load_checkpoint(runner(wrapper('bfloat16')), checkpoint)


def test_the_default_runtime_declares_it():
    from mmengine.config import Config
    from tests.conftest import REPO_ROOT
    cfg = Config.fromfile(f'{REPO_ROOT}/configs/_base_/default_runtime.py')
    assert cfg.default_hooks.amp_dtype == dict(type='AmpDtypeHook')
