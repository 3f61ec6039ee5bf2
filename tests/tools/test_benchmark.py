"""tools/benchmark.py on a tiny random CLIP with the released b2n model config (one short run)."""
import os.path as osp

from tools import benchmark

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = ['model.backbone.vision_ctx=2', 'model.backbone.vision_depth=2', 'model.cls_head.language_ctx=2',
        'model.cls_head.language_depth=2']


def test_benchmark_reports_ratios_flops_and_sizes(capsys):
    out = benchmark.main([osp.join(ROOT, 'configs', 'ga2clip_b2n_k400.py'), '--arch', 'GA2-Tiny-Random',
                          '--frames', '2', '--batch', '2', '--iters', '1', '--warmup', '0', '--device', 'cpu',
                          '--json', '--cfg-options', *TINY])
    printed = capsys.readouterr().out
    assert printed.lstrip().startswith('{') and '"step_ratio_ga2_over_ivlp"' in printed
    # the released-style reference computes the same loss as our (skipped-anchor) step
    assert out['released_loss_diff'] < 1e-4
    for key in ('speedup_ratio_released_over_ga2', 'step_ratio_ga2_over_ivlp', 'text_share_ratio',
                'test_ratio_400_over_10', 'text_ratio_truncated_over_full'):
        assert out[key] > 0, key
    assert out['train_gflops_per_clip'] > out['test_gflops_per_clip'] > 0  # fwd+bwd > fwd
    assert 0 < out['text_flops_share'] < 1
    assert out['text_tokens_truncated'] < 77
    assert out['checkpoint_mb_small_weights'] < out['checkpoint_mb_small_with_optimizer'] < \
        out['checkpoint_mb_full_with_optimizer']
