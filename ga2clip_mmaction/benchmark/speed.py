"""Speed, memory and FLOPs of GA2-CLIP at the real architecture (random weights, no downloads), and the data path.

From one process, interleaving the variants round by round (so machine load hits all alike; each replicate timed
with ``torch.utils.benchmark.Timer``), it measures:

* the training step (forward + backward + AdamW step; median of ``--iters``) of
  ``ga2`` (the config's model), ``ivlp`` (coupling ``none``, no hard prompt, no anchor term),
  ``released`` (the released code's step on the same weights:
  :mod:`ga2clip_parity.released_reference`; its loss and gradients equal ours:
  ``tests/tools/test_benchmark.py``),
  and, with ``--extra``, ``ga2_amp`` (bf16 autocast) and ``ga2_no_ckpt`` (gradient checkpointing off);
* the text tower's share of the GA2 step (class features forward + backward alone);
* test time per clip with 10 and 400 class names (class-feature cache warm, as in a test run);
* FLOPs per training clip and per test clip, counted with ``torch.utils.flop_counter`` on the ``meta`` device at
  the requested shapes (no compute, so 32 frames x batch 8 is counted on any machine);
* the checkpoint size of the model (small checkpoint with and without the AdamW state, and full);
* on a GPU: clips/s and model-FLOPs utilisation against the device's bf16 dense peak, and peak memory.

``--data-videos V... [--prepared-videos P...]`` measures the data path instead (``tools/benchmark_data.py``'s
interleaved run of the released 32-frame pipelines): clips/s per worker for each source and backend,
``prepared_over_original_clips_per_s`` (train pipeline) and ``workers_per_gpu`` at ``--gpu-clips-per-s``.

Examples:
    python tools/benchmark.py configs/ga2clip_b2n_k400.py --frames 32 --batch 8 --iters 20 --device cuda --extra
    python tools/benchmark.py configs/ga2clip_b2n_k400.py --frames 2 --batch 2 --iters 3 --json   # CPU, short
    python tools/benchmark.py configs/ga2clip_b2n_k400.py --data-videos corpus/*.mp4 --prepared-videos prep/ --json
"""
import argparse
import copy
import json
from typing import Dict, List

import ga2clip_mmaction  # noqa: F401  (registration)
import torch
from mmengine.config import DictAction

from .data import data_path, prepared_forms, print_data_path
from .flops import flops_at_shape
from .variants import build, checkpoint_sizes, class_names, make_step, mean_call_s, measure, median_s

#: bf16 dense peak (TFLOP/s) of known GPUs, by a substring of the device name.
PEAK_BF16_TFLOPS = {'H200': 989.0, 'H100': 989.0, 'A100': 312.0, 'L40S': 362.0, 'A10': 125.0,
                    'L4': 121.0, '4090': 165.0, 'V100': 125.0}


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Benchmark GA2-CLIP (random weights at the real architecture)')
    parser.add_argument('config', help='run config (its model section is benchmarked)')
    parser.add_argument('--arch', default='ViT-B-16-quickgelu', help='open_clip architecture')
    parser.add_argument('--frames', type=int, default=32, help='frames per clip')
    parser.add_argument('--batch', type=int, default=8, help='clips per training step')
    parser.add_argument('--iters', type=int, default=10, help='timed iterations per variant (median)')
    parser.add_argument('--warmup', type=int, default=1, help='untimed iterations per variant')
    parser.add_argument('--classes', type=int, default=20, help='training classes')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--no-text-test', action='store_true',
                        help='skip the text-share and 10-vs-400-names measurements')
    parser.add_argument('--extra', action='store_true',
                        help='also time bf16 autocast (ga2_amp) and gradient checkpointing off (ga2_no_ckpt)')
    parser.add_argument('--flops-frames', type=int, default=None, help='frames for the FLOP count (--frames)')
    parser.add_argument('--flops-batch', type=int, default=None, help='batch for the FLOP count (--batch)')
    parser.add_argument('--peak-tflops', type=float, default=None,
                        help='bf16 dense peak of the device for MFU (default: from the GPU name)')
    parser.add_argument('--data-videos', nargs='+', default=None,
                        help='only measure the data path: clips/s per worker of the released train and test '
                        'pipelines on these (original) videos, decord and keyframe PyAV')
    parser.add_argument('--prepared-videos', nargs='+', default=None, metavar='P',
                        help='prepared copies of --data-videos (tools/data/prepare_videos.py): NAME=DIR, DIR or '
                        'the files (DIR/<stem>.mp4); each folder is a source')
    parser.add_argument('--flops-only', action='store_true', help='only count FLOPs (meta device, any shape)')
    parser.add_argument('--data-reps', type=int, default=3, help='interleaved rounds over --data-videos')
    parser.add_argument('--gpu-clips-per-s', type=float, default=160.0,
                        help='training clips/s of one GPU for the worker count (default 160: 40 %% MFU, H200)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default=None,
                        help='override config settings, e.g. model.backbone.vision_depth=2')
    parser.add_argument('--json', action='store_true', help='print one JSON object')
    parser.add_argument('--amp', action='store_true',
                        help='every variant (training steps and test) under bf16 autocast, as `tools/train.py '
                        '--amp` trains on a GPU with bf16; with --extra, ga2_no_ckpt is then bf16 too')
    parser.add_argument('--out', default=None, help='also write the figures to this JSON file')
    return parser.parse_args(argv)


def _emit(out: dict, args) -> dict:
    """Write ``--out``; print one JSON object (``--json``) or ``key value`` lines."""
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(out, f, indent=1)
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        for key, value in out.items():
            if not isinstance(value, (list, dict)):
                print(f'{key:40s} {value:.4g}' if isinstance(value, float) else f'{key:40s} {value}')
    return out


def train_steps(cfg, args, device, size: int) -> tuple:
    """Interleaved training steps of every variant; returns the figures and the built models."""
    from mmaction.structures import ActionDataSample
    torch.manual_seed(0)
    clips = torch.randn(args.batch, 3, args.frames, size, size, device=device)
    anchor = torch.randn(1, 3, args.frames, size, size, device=device)
    labels = torch.arange(args.batch, device=device) % args.classes
    samples = [ActionDataSample().set_gt_label(labels[i].cpu()) for i in range(args.batch)]
    extra = (['ga2_no_ckpt'] if args.amp else ['ga2_amp', 'ga2_no_ckpt']) if args.extra else []
    variants = ['ga2', 'ivlp', 'released'] + extra
    # dropout off: every variant computes the same function
    models = {v: build(cfg, args, 'ga2' if v == 'ga2_amp' else v, device, dropout=False).train() for v in variants}
    out: Dict[str, object] = dict(arch=args.arch, frames=args.frames, batch=args.batch, iters=args.iters,
                                  device=str(device), classes=args.classes, dtype='bfloat16' if args.amp else 'float32')
    steps = {v: make_step(models[v], v, clips, labels, anchor, samples, amp=args.amp or v == 'ga2_amp')
             for v in variants}
    times: Dict[str, List] = {v: [] for v in variants}
    peak: Dict[str, float] = {}
    for v in variants:
        for _ in range(args.warmup):
            steps[v]()
    for _ in range(args.iters):
        for v in variants:
            if device.type == 'cuda':
                torch.cuda.reset_peak_memory_stats()
            times[v].append(measure(steps[v], f'step {v}'))
            if device.type == 'cuda':
                peak[v] = max(peak.get(v, 0.0), torch.cuda.max_memory_allocated() / 2**30)
    for v in variants:
        out[f'step_s_{v}'] = median_s(times[v])
        if v in peak:
            out[f'peak_mem_gib_{v}'] = peak[v]
    out['speedup_ratio_released_over_ga2'] = out['step_s_released'] / out['step_s_ga2']
    out['step_ratio_ga2_over_ivlp'] = out['step_s_ga2'] / out['step_s_ivlp']
    if args.extra and not args.amp:
        out['step_ratio_amp_over_fp32'] = out['step_s_ga2_amp'] / out['step_s_ga2']
    if args.extra:
        out['step_ratio_no_ckpt_over_ckpt'] = out['step_s_ga2_no_ckpt'] / out['step_s_ga2']
    return out, models, clips, samples


def text_and_test(out: dict, args, model, clips, samples) -> None:
    """Text tower alone, truncated vs full context (interleaved); test time per clip with 10 and 400 names."""
    head = model.cls_head

    def text_step():
        head.class_features().float().sum().backward()

    text_times: Dict[bool, List] = {True: [], False: []}
    for _ in range(max(args.iters, 3)):
        for truncate in (True, False):
            head.text.truncate = truncate
            text_times[truncate].append(measure(text_step, f'text truncate={truncate}'))
    head.text.truncate = True
    out['text_s'] = median_s(text_times[True])
    out['text_share_ratio'] = out['text_s'] / out['step_s_ga2']
    out['text_s_full_context'] = median_s(text_times[False])
    out['text_ratio_truncated_over_full'] = out['text_s'] / out['text_s_full_context']
    out['text_tokens_truncated'] = int(head.class_tokens.argmax(-1).max()) + 1
    model = model.eval()
    if args.amp:  # the test-time switch of tools/test.py --amp
        model.test_cfg = dict(model.test_cfg or {}, precision='bf16')
    inputs = clips.unsqueeze(1)
    for n in (10, 400):
        model.cls_head.set_class_names(class_names(n))
        with torch.no_grad():  # Timer's warm-up calls fill the class-feature cache, as the first test batch does
            per_call = mean_call_s(lambda: model.predict(inputs, copy.deepcopy(samples)), f'test {n}',
                                   max(args.iters, 3))
        out[f'test_s_per_clip_{n}'] = per_call / args.batch
    out['test_ratio_400_over_10'] = out['test_s_per_clip_400'] / out['test_s_per_clip_10']
    model.cls_head.set_class_names(class_names(args.classes))


def main(argv=None) -> Dict[str, object]:
    """Run the benchmark; prints a table or (``--json``) one JSON object; returns the figures."""
    import open_clip
    from mmengine.config import Config
    args = parse_args(argv)
    if args.json:  # keep stdout one JSON object
        import logging
        from mmengine.logging import MMLogger
        MMLogger.get_current_instance().setLevel(logging.WARNING)
    if args.data_videos:
        out = data_path(args.data_videos, prepared_forms(args.prepared_videos), args.data_reps,
                        args.gpu_clips_per_s)
        if not args.json:
            print_data_path(out)
        return _emit(out, args)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    device = torch.device(args.device)
    size = open_clip.get_model_config(args.arch)['vision_cfg']['image_size']
    flops_frames, flops_batch = args.flops_frames or args.frames, args.flops_batch or args.batch
    if args.flops_only:
        return _emit(flops_at_shape(cfg, args, flops_frames, flops_batch, size), args)
    out, models, clips, samples = train_steps(cfg, args, device, size)
    if not args.no_text_test:
        text_and_test(out, args, models['ga2'], clips, samples)
    out.update(flops_at_shape(cfg, args, flops_frames, flops_batch, size))
    out.update(flops_frames=flops_frames, flops_batch=flops_batch)
    step_flops = out['train_gflops_per_clip'] * args.batch * 1e9
    out['clips_per_s_ga2'] = args.batch / out['step_s_ga2']
    peak_tflops = args.peak_tflops
    if peak_tflops is None and device.type == 'cuda':
        name = torch.cuda.get_device_name(device)
        peak_tflops = next((v for k, v in PEAK_BF16_TFLOPS.items() if k in name), None)
        out['device_name'] = name
    if peak_tflops and flops_frames == args.frames and flops_batch == args.batch:
        for v in ('ga2', 'ga2_amp', 'ga2_no_ckpt'):
            if f'step_s_{v}' in out:
                out[f'mfu_{v}'] = step_flops / out[f'step_s_{v}'] / (peak_tflops * 1e12)
    out.update(checkpoint_sizes(models['ga2'].train()))
    return _emit(out, args)


if __name__ == '__main__':
    main()
