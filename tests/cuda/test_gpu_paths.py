"""The GPU-only paths on a one-shot copy of the demo world (GA2-Tiny, ``configs/ga2clip_b2n_demo.py``).

* ``AmpOptimWrapper`` bf16 (no loss scaler) and fp16 (dynamic scaler) training through the Runner, every anchor mode;
* ``tools/dist_train.sh CFG 1`` on NCCL;
* test-time bf16 metrics equal fp32 (within one clip of each subset);
* flash / memory-efficient SDPA kernels in both towers (profiler kernel names), forward and backward;
* the small-checkpoint round trip on the device (``tools/test.py`` on it equals the trained in-memory model).
"""
import glob
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from tests.conftest import REPO_ROOT
from tests.configs.test_mixing_configs import SHORT_RUN, train_and_test

pytestmark = pytest.mark.cuda
DEMO = osp.join(REPO_ROOT, 'configs', 'ga2clip_b2n_demo.py')


def runner_for(work_dir: str, *flags: str, options=()):
    from mmengine.runner import Runner

    from tools import train as train_tool
    cfg = train_tool.build_train_config(train_tool.parse_args(
        [DEMO, '--work-dir', work_dir, *flags, '--cfg-options', *SHORT_RUN, *options]))
    return Runner.from_cfg(cfg)


@pytest.mark.parametrize('mode', ['official', 'kl', 'negative'])
@pytest.mark.parametrize('dtype', ['bfloat16', 'float16'])
def test_amp_training_steps_through_the_runner(dtype, mode, device, tiny_demo_world, tmp_path, monkeypatch):
    if dtype == 'float16' and device != 'cuda':
        pytest.skip('fp16 loss scaling needs CUDA')
    monkeypatch.chdir(tiny_demo_world)
    options = [f'optim_wrapper.dtype={dtype}', f'model.cls_head.anchor_loss.mode={mode}']
    if mode == 'official':  # inert (a logit bias shared by all classes): computed as released, not skipped
        options.append('model.cls_head.anchor_loss.allow_inert=True')
    runner = runner_for(str(tmp_path / 'w'), '--amp', options=options)
    wrapper = runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)  # train() keeps a built one
    assert type(wrapper).__name__ == 'AmpOptimWrapper' and wrapper.cast_dtype == getattr(torch, dtype)
    assert wrapper.loss_scaler.is_enabled() == (dtype == 'float16')  # bf16: no loss scaling
    before = {n: p.detach().clone() for n, p in runner.model.named_parameters()}
    runner.train()
    model = runner.model
    assert next(model.parameters()).device.type == device
    losses = {k: v.current() for k, v in runner.message_hub.log_scalars.items() if k.startswith('train/loss')}
    assert (mode == 'official' or 'train/loss_anchor' in losses) and all(torch.isfinite(torch.tensor(v)) for v in losses.values()), losses
    moved = {n for n, p in model.named_parameters() if not torch.equal(p.detach(), before[n])}
    assert 'backbone.prompt' in moved and 'cls_head.prompt_learner.ctx' in moved, sorted(moved)
    assert not any(n.startswith(('backbone.visual.', 'cls_head.text.')) for n in moved)
    assert all(torch.isfinite(p).all() for p in model.parameters())
    if dtype == 'float16':
        assert 0 < wrapper.loss_scaler.get_scale() < float('inf')


def test_dist_train_one_gpu_on_nccl(real_cuda, tiny_demo_world, tmp_path):
    work = tmp_path / 'dist'
    env = dict(os.environ, PYTHON=sys.executable)  # one node: torchrun --standalone finds a port
    proc = subprocess.run(
        ['bash', osp.join(REPO_ROOT, 'tools', 'dist_train.sh'), DEMO, '1', '--work-dir', str(work),
         '--cfg-options', *SHORT_RUN], cwd=tiny_demo_world, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert osp.isfile(work / 'epoch_1.pth')
    logs = glob.glob(str(work / '*' / '*.log'))
    text = open(logs[0]).read()
    assert "'backend': 'nccl'" in text or 'backend=nccl' in text or "backend='nccl'" in text, text[:3000]
    assert 'Distributed launcher: pytorch' in text and 'World size: 1' in text


def test_bf16_test_metrics_equal_fp32(device, tiny_demo_world, tmp_path, monkeypatch):
    monkeypatch.chdir(tiny_demo_world)
    runner = runner_for(str(tmp_path / 'w'))
    fp32 = runner.test()
    runner.model.test_cfg = dict(runner.model.test_cfg or {}, precision='bf16')
    bf16 = runner.test()
    dataset = runner.test_dataloader.dataset
    labels = [int(dataset.get_data_info(i)['label']) for i in range(len(dataset))]
    nb = runner.test_evaluator.metrics[0].num_base_classes
    per_subset = {'base': [x for x in labels if x < nb], 'novel': [x for x in labels if x >= nb], 'all': labels}
    assert set(fp32) == set(bf16) and 'b2n/hm' in fp32
    for key, value in fp32.items():
        subset = key.split('/')[1].split('_')[0] if key.count('_') else 'all'
        one_clip = 1.0 / max(1, len(per_subset.get(subset, labels)))
        assert abs(bf16[key] - value) <= one_clip + 1e-6, (key, value, bf16[key])


def _sdpa_kernels(fn) -> set:
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        fn()
        torch.cuda.synchronize()
    return {e.key for e in prof.key_averages()}


FUSED = ('flash', 'efficient', 'fmha')


def test_fused_attention_kernels_in_both_towers(real_cuda, build_model_cfg_free):
    model = build_model_cfg_free().cuda().train()
    clips = torch.randn(2, 3, 4, 32, 32, device='cuda')

    def vision():
        with torch.autocast('cuda', dtype=torch.bfloat16):
            out = model.backbone(clips)
        out.float().sum().backward()

    def text():
        with torch.autocast('cuda', dtype=torch.bfloat16):
            out = model.cls_head.class_features()
        out.float().sum().backward()

    for tower, fn in (('vision', vision), ('text', text)):
        names = _sdpa_kernels(fn)
        sdpa = sorted(n for n in names if 'scaled_dot_product' in n or any(f in n.lower() for f in FUSED))
        assert any(any(f in n.lower() for f in FUSED) for n in sdpa), (tower, sorted(names)[:80])
        assert not any('math' in n for n in sdpa), (tower, sdpa)  # the unfused fallback was not taken
        backward = [n for n in sdpa if 'backward' in n.lower() or 'bwd' in n.lower()]
        assert backward, (tower, sdpa)


def test_small_checkpoint_round_trip_on_the_device(device, tiny_demo_world, tmp_path, monkeypatch):
    from ga2clip_mmaction.utils.checkpoint import safe_torch_load
    monkeypatch.chdir(tiny_demo_world)
    work = str(tmp_path / 'work')
    model, before, losses, in_memory, from_checkpoint = train_and_test(DEMO, [], work)
    assert next(model.parameters()).device.type == device
    assert from_checkpoint == pytest.approx(in_memory, abs=1e-6)
    state = safe_torch_load(osp.join(work, 'epoch_1.pth'), map_location='cpu')['state_dict']
    assert 'backbone.prompt' in state and not any(k.startswith('backbone.visual.') for k in state)  # small
    torch.testing.assert_close(state['backbone.prompt'], model.backbone.prompt.detach().cpu(), rtol=0, atol=0)
