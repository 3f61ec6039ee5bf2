"""tools/benchmark.py on a tiny random CLIP with the released b2n model config, the released reference against
our model, and the data path (``--data-videos``) on a tiny real-codec corpus."""
import json
import math
import os.path as osp
from types import SimpleNamespace

import av  # noqa: F401 - before decord (its bundled FFmpeg breaks PyAV's libvpx encoder otherwise)
import pytest
import torch
from mmengine.config import Config

from ga2clip_parity.released_reference import released_frames, released_loss, released_text
from ga2clip_mmaction.benchmark import speed as benchmark
from ga2clip_mmaction.benchmark.variants import build, our_loss

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'ga2clip_b2n_k400.py')
TINY = ['model.backbone.vision_ctx=2', 'model.backbone.vision_depth=2', 'model.cls_head.language_ctx=2',
        'model.cls_head.language_depth=2']
#: ratio key -> (numerator, denominator) of the reported figures.
RATIOS = {'speedup_ratio_released_over_ga2': ('step_s_released', 'step_s_ga2'),
          'step_ratio_ga2_over_ivlp': ('step_s_ga2', 'step_s_ivlp'),
          'text_share_ratio': ('text_s', 'step_s_ga2'),
          'text_ratio_truncated_over_full': ('text_s', 'text_s_full_context'),
          'test_ratio_400_over_10': ('test_s_per_clip_400', 'test_s_per_clip_10'),
          'flops_ratio_ga2_over_ivlp': ('train_gflops_per_clip_with_recompute', 'train_gflops_per_clip_ivlp')}


def test_benchmark_figures_are_consistent(capsys):
    out = benchmark.main([CONFIG, '--arch', 'GA2-Tiny-Random', '--frames', '2', '--batch', '2', '--iters', '1',
                          '--warmup', '0', '--device', 'cpu', '--json', '--cfg-options', *TINY])
    assert json.loads(capsys.readouterr().out) == out  # stdout is exactly the returned figures
    numbers = {k: v for k, v in out.items() if isinstance(v, float)}
    assert {'step_s_ga2', 'step_s_ivlp', 'step_s_released', 'text_s', 'test_s_per_clip_10', 'clips_per_s_ga2',
            'checkpoint_mb_small_weights'} <= set(numbers)
    assert all(math.isfinite(v) and v > 0 for v in numbers.values()), numbers
    for ratio, (num, den) in RATIOS.items():
        assert out[ratio] == pytest.approx(out[num] / out[den], rel=1e-12), ratio
    assert out['clips_per_s_ga2'] == pytest.approx(out['batch'] / out['step_s_ga2'], rel=1e-12)
    assert out['train_gflops_per_clip'] > out['test_gflops_per_clip'] > 0  # fwd+bwd > fwd
    assert out['train_gflops_per_step'] == pytest.approx(out['train_gflops_per_clip'] * out['batch'])
    assert 0 < out['text_flops_share'] < 1
    assert out['text_tokens_truncated'] < 77
    assert out['checkpoint_mb_small_weights'] < out['checkpoint_mb_small_with_optimizer'] < \
        out['checkpoint_mb_full_with_optimizer']


def test_released_reference_equals_our_model():
    """Frames, prompted and frozen text features, loss (anchor term computed) and prompt gradients: float32."""
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict({k: int(v) for k, v in (o.split('=') for o in TINY)})
    args = SimpleNamespace(arch='GA2-Tiny-Random', classes=5)
    torch.manual_seed(0)  # the random CLIP: the same weights every run
    model = build(cfg, args, 'released', 'cpu', dropout=False).train()
    head = model.cls_head
    torch.manual_seed(1)
    clips, anchor = torch.randn(2, 3, 2, 32, 32), torch.randn(1, 3, 2, 32, 32)
    labels = torch.tensor([0, 3])
    frames = clips.permute(0, 2, 1, 3, 4).flatten(0, 1)
    with torch.no_grad():
        torch.testing.assert_close(released_frames(model.backbone, frames), model.backbone(frames))
        torch.testing.assert_close(released_text(head, head.class_tokens), head.class_features())
        prompts = model.anchor_loss.prompts
        torch.testing.assert_close(released_text(head, head.text.tokenize(prompts), prompted=False),
                                   head.frozen_text_features(prompts))
    from mmaction.structures import ActionDataSample
    samples = [ActionDataSample().set_gt_label(label) for label in labels]
    params = [p for p in model.parameters() if p.requires_grad]
    grads = []
    for loss_fn in (lambda: released_loss(model, clips, labels, anchor),
                    lambda: our_loss(model, clips.unsqueeze(1), samples, anchor)):
        model.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        grads.append((loss.detach(), [p.grad.clone() for p in params]))
    torch.testing.assert_close(grads[0][0], grads[1][0])
    for ref, ours in zip(grads[0][1], grads[1][1]):
        # float32 sums in another order: errors relative to the tensor's largest gradient, not to each element
        torch.testing.assert_close(ref, ours, atol=1e-5 * float(ref.abs().max()), rtol=1e-4)


def test_data_path_per_worker_ratio_and_workers(tmp_path, capsys):
    from tools.data.make_codec_corpus import write_video
    from tools.data.prepare_videos import prepare_dataset
    src = tmp_path / 'src'
    write_video(str(src / 'a.mp4'), 'libx264', 96, 64, 25, 250, {'preset': 'ultrafast'}, 40)
    prepare_dataset(str(src), str(tmp_path / 'g1'), workers=1, progress=False, gop=1)
    out = benchmark.main([CONFIG, '--data-videos', str(src / 'a.mp4'), '--prepared-videos',
                          str(tmp_path / 'g1' / 'a.mp4'), '--data-reps', '1'])
    table = capsys.readouterr().out
    rate = out['clips_per_s_per_worker']
    assert set(rate) == {f'{s}/{b}/{p}' for s in ('original', 'g1') for b in ('decord', 'pyav_keyframe')
                         for p in ('train', 'test')}
    assert all(math.isfinite(v) and v > 0 for v in rate.values())
    assert all(r['clips'] == 1 for r in out['data_rows'])
    assert out['train_pipeline_clips_per_s_per_worker'] == rate['original/decord/train']
    assert out['prepared_over_original_clips_per_s'] == {
        f'g1/{b}': pytest.approx(rate[f'g1/{b}/train'] / rate[f'original/{b}/train'], rel=1e-12)
        for b in ('decord', 'pyav_keyframe')}
    best = max(v for k, v in rate.items() if k.endswith('/train'))
    assert rate[out['best'] + '/train'] == best
    assert out['workers_per_gpu'] == pytest.approx(160 / best, rel=1e-12)
    assert f"{rate['g1/pyav_keyframe/train']:.2f}" in table and 'workers_per_gpu' in table
    second = benchmark.main([CONFIG, '--data-videos', str(src / 'a.mp4'), '--data-reps', '1', '--json',
                             '--gpu-clips-per-s', '80'])
    assert json.loads(capsys.readouterr().out) == second and second['target_clips_per_s'] == 80
    assert second['workers_per_gpu'] == pytest.approx(80 / second['clips_per_s_per_worker'][second['best'] + '/train'])
