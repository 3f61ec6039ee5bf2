"""Speed, memory and FLOPs of GA2-CLIP at the real architecture (random weights, no downloads).

From one process, interleaving the variants round by round (so machine load hits all alike), it measures:

* the training step (forward + backward + AdamW step; median of ``--iters``) of
  ``ga2`` (the config's model), ``ivlp`` (coupling ``none``, no hard prompt, no anchor term),
  ``released`` (a faithful re-implementation of the released code's step on the same weights, see below),
  and, with ``--extra``, ``ga2_amp`` (bf16 autocast) and ``ga2_no_ckpt`` (gradient checkpointing off);
* the text tower's share of the GA2 step (class features forward + backward alone);
* test time per clip with 10 and 400 class names (class-feature cache warm, as in a test run);
* FLOPs per training clip and per test clip, counted with ``torch.utils.flop_counter`` on the ``meta`` device at
  the requested shapes (no compute, so 32 frames x batch 8 is counted on any machine);
* the checkpoint size of the model (small checkpoint with and without the AdamW state, and full);
* on a GPU: clips/s and model-FLOPs utilisation against the device's bf16 dense peak, and peak memory.

The ``released`` reference runs the released implementation's computation with our modules' weights: OpenAI
CLIP's sequence-first layout (``[L, N, w]`` through every block, ``nn.MultiheadAttention(batch_first=False)``
semantics via ``F.multi_head_attention_forward``), the text tower on all 77 tokens with the float causal mask,
the class prompts re-encoded every step, the anchor-prompt text re-encoded every step, and one anchor clip
forwarded and backpropagated with the main clips (the inert one-name term). Its loss equals ours (checked at
start, printed as ``released_loss_diff``).

Examples:
    python tools/benchmark.py configs/ga2clip_b2n_k400.py --frames 32 --batch 8 --iters 20 --device cuda --extra
    python tools/benchmark.py configs/ga2clip_b2n_k400.py --frames 2 --batch 2 --iters 3 --json   # CPU, short
"""
import argparse
import contextlib
import copy
import json
import os
import os.path as osp
import statistics
import sys
import tempfile
import time
from typing import Callable, Dict, List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import ga2clip_mmaction  # noqa: E402,F401  (registration)
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from mmengine.config import DictAction  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from ga2clip_mmaction.utils.small_checkpoint import small_state_dict  # noqa: E402

#: bf16 dense peak (TFLOP/s) of known GPUs, by a substring of the device name.
PEAK_BF16_TFLOPS = {'H200': 989.0, 'H100': 989.0, 'A100': 312.0, 'L40S': 362.0, 'A10': 125.0,
                    'L4': 121.0, '4090': 165.0, 'V100': 125.0}
WORDS = ('playing', 'riding', 'throwing', 'cooking', 'jumping', 'washing', 'climbing', 'drinking', 'folding',
         'swimming', 'guitar', 'bicycle', 'frisbee', 'pancakes', 'hurdles', 'dishes', 'ladder', 'coffee',
         'laundry', 'butterfly stroke')


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
                        help='only measure data loading: decode + augment clips/s of the config\'s '
                        'train_pipeline/test_pipeline on these video files (one worker = this process)')
    parser.add_argument('--flops-only', action='store_true', help='only count FLOPs (meta device, any shape)')
    parser.add_argument('--data-reps', type=int, default=3, help='passes over --data-videos per pipeline')
    parser.add_argument('--gpu-clips-per-s', type=float, default=None,
                        help='training clips/s of one GPU (from a GPU run of this tool) for the worker count')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default=None,
                        help='override config settings, e.g. model.backbone.vision_depth=2')
    parser.add_argument('--json', action='store_true', help='print one JSON object')
    parser.add_argument('--amp', action='store_true',
                        help='every variant (training steps and test) under bf16 autocast, as `tools/train.py '
                        '--amp` trains on a GPU with bf16; with --extra, ga2_no_ckpt is then bf16 too')
    parser.add_argument('--out', default=None, help='also write the figures to this JSON file')
    return parser.parse_args(argv)


def class_names(n: int) -> List[str]:
    """``n`` distinct two- to three-word class names."""
    names = []
    for i in range(n):
        a, b, c = WORDS[i % 10], WORDS[10 + (i // 10) % 10], i // 100
        names.append(f'{a} {b}' + (f' {WORDS[c]}' if c else ''))
    return names


def model_cfg(cfg, args, variant: str) -> dict:
    """The config's model at ``--arch`` with random weights; ``ivlp`` strips the GA2 parts."""
    import open_clip
    model = copy.deepcopy(cfg.model.to_dict() if hasattr(cfg.model, 'to_dict') else dict(cfg.model))
    clip = dict(arch=args.arch, weights=None)
    width = open_clip.get_model_config(args.arch)['text_cfg']['width']
    model['backbone']['clip'] = clip
    head = model['cls_head']
    head.update(clip=clip, classnames=class_names(args.classes))
    if variant == 'ivlp':
        head.update(coupling='none', hard_prompt=None)
        model['anchor_loss'] = None
    elif head.get('coupling', 'concat_mlp') != 'none':
        head['hard_prompt'] = torch.zeros(head.get('language_ctx', 16), width)
    if variant == 'ga2_no_ckpt':
        model['backbone']['grad_checkpointing'] = False
        head['grad_checkpointing'] = False
    anchor = model.get('anchor_loss')
    if anchor and isinstance(anchor.get('anchor_names'), str) and not osp.isfile(anchor['anchor_names']):
        # the name file is not here: the released list for the released term, two generic names otherwise
        anchor['anchor_names'] = ['else'] if anchor.get('mode', 'official') == 'official' else \
            ['something else', 'background']
    if variant == 'released':  # the released anchor term: official, one name, computed
        model['anchor_loss'] = dict(type='AnchorLoss', mode='official', anchor_names=['else'],
                                    template='a video of a person {}.', skip_inert=False)
    model['data_preprocessor'] = dict(type='ActionDataPreprocessor', format_shape='NCTHW')
    return model


def build(cfg, args, variant: str, device) -> torch.nn.Module:
    """Build one variant (seeded, so all variants share the CLIP weights)."""
    import warnings
    from mmaction.registry import MODELS
    from mmengine.registry import DefaultScope
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmaction'), warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return MODELS.build(model_cfg(cfg, args, variant)).to(device)


# ---------------------------------------------------------------------------------------------- released step
def _released_block(block, x_lnd: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor:
    """One block as OpenAI CLIP runs it: ``[L, N, w]``, ``nn.MultiheadAttention(batch_first=False)`` math."""
    attn = block.attn
    y = block.ln_1(x_lnd)
    a = F.multi_head_attention_forward(
        y, y, y, attn.embed_dim, attn.num_heads, attn.in_proj_weight, attn.in_proj_bias, None, None, False,
        0.0, attn.out_proj.weight, attn.out_proj.bias, training=attn.training, need_weights=False,
        attn_mask=mask)[0]
    x_lnd = x_lnd + block.ls_1(a)
    return x_lnd + block.ls_2(block.mlp(block.ln_2(x_lnd)))


def _ckpt(fn: Callable, use: bool, *xs):
    """Checkpoint ``fn`` like the released code (``torch.utils.checkpoint``) when ``use``."""
    if use and any(x.requires_grad for x in xs if torch.is_tensor(x)):
        return torch.utils.checkpoint.checkpoint(fn, *xs, use_reentrant=False)
    return fn(*xs)


def released_frames(backbone, frames: torch.Tensor) -> torch.Tensor:
    """The released prompted image tower (sequence-first), with ``backbone``'s weights: ``[M, D]``."""
    v = backbone.visual
    x = backbone._embed_frames(frames)
    n, m = backbone.vision_ctx, x.shape[0]
    x = torch.cat([x, backbone.prompt.unsqueeze(0).expand(m, -1, -1)], dim=1)
    x = v.ln_pre(x).permute(1, 0, 2)  # NLD -> LND, once, as released
    use = backbone.grad_checkpointing and backbone.training
    for i, block in enumerate(v.transformer.resblocks):
        if 1 <= i < backbone.vision_depth:
            x = torch.cat([x[:-n], backbone.deep_prompts[i - 1].unsqueeze(1).expand(-1, m, -1)], dim=0)
        x = _ckpt(lambda t, b=block: _released_block(b, t, None), use, x)
    x = x.permute(1, 0, 2)
    return v.ln_post(x[:, 0]) @ v.proj


def released_text(head, tokens: torch.Tensor, prompted: bool = True) -> torch.Tensor:
    """The released text encoder: all 77 tokens, float causal mask, sequence-first: ``[N, D]``."""
    text, learner = head.text, head.prompt_learner
    x = head.prompt_embeddings(tokens) if prompted else text.embed(tokens)
    x = (x + text.positional_embedding).permute(1, 0, 2)
    mask = text.attn_mask
    deep = learner.deep_prompts() if prompted else []
    start = learner.deep_start
    use = head.grad_checkpointing and head.training and prompted
    for i, block in enumerate(text.transformer.resblocks):
        if 1 <= i <= len(deep):
            p = deep[i - 1]
            x = torch.cat([x[:start], p.unsqueeze(1).expand(-1, x.shape[1], -1), x[start + p.shape[0]:]], 0)
        x = _ckpt(lambda t, b=block: _released_block(b, t, mask), use, x)
    x = text.ln_final(x.permute(1, 0, 2))
    x = x[torch.arange(x.shape[0]), tokens.argmax(dim=-1)]
    return x @ text.text_projection


def released_loss(model, clips: torch.Tensor, labels: torch.Tensor, anchor: torch.Tensor) -> torch.Tensor:
    """The released training loss: main + anchor clips in one pass, text re-encoded, anchor logit term."""
    head, b = model.cls_head, clips.shape[0]
    x = torch.cat([clips, anchor])
    n, c, t, h, w = x.shape
    emb = released_frames(model.backbone, x.permute(0, 2, 1, 3, 4).reshape(n * t, c, h, w)).view(n, t, -1)
    emb = emb.mean(dim=1)
    text = released_text(head, head.class_tokens)
    cos = F.normalize(emb[:b], dim=-1) @ F.normalize(text, dim=-1).t()
    anchor_loss = model.anchor_loss
    if anchor_loss is not None:
        tokens = head.text.tokenize(anchor_loss.prompts)
        with torch.no_grad():  # the released code re-encodes the anchor prompts with a frozen CLIP each step
            anchor_text = released_text(head, tokens, prompted=False)
        cos = cos + anchor_loss.loss_weight * (F.normalize(emb[b:], dim=-1) @ F.normalize(anchor_text, dim=-1).t())
    return F.cross_entropy(head.logit_scale * cos, labels)


# ---------------------------------------------------------------------------------------------- measurement
def sync(device) -> None:
    """Wait for the device."""
    if torch.device(device).type == 'cuda':
        torch.cuda.synchronize()


def our_loss(model, inputs: torch.Tensor, samples: list, anchor: torch.Tensor) -> torch.Tensor:
    """Total loss of our recognizer; anchor clips only when its anchor term is used."""
    kwargs = {}
    if model.anchor_loss is not None and not model.anchor_term_skipped:
        kwargs['anchor_inputs'] = anchor.unsqueeze(1)
    losses = model.loss(inputs, samples, **kwargs)
    return sum(v for k, v in losses.items() if k.startswith('loss'))


def make_step(model, variant: str, clips, labels, anchor, samples, amp: bool) -> Callable[[], float]:
    """A closure running one training step of ``variant``; returns its loss."""
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(params, lr=1e-6)
    device = clips.device.type
    inputs = clips.unsqueeze(1)

    def step() -> float:
        optim.zero_grad(set_to_none=True)
        ctx = torch.autocast(device, dtype=torch.bfloat16) if amp else contextlib.nullcontext()
        with ctx:
            if variant == 'released':
                loss = released_loss(model, clips, labels, anchor)
            else:
                loss = our_loss(model, inputs, samples, anchor)
        loss.backward()
        optim.step()
        return float(loss.detach())

    return step


def timed(fn: Callable, device) -> float:
    """Seconds of one call of ``fn``."""
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


def count_flops(fn: Callable) -> int:
    """FLOPs of one call (``torch.utils.flop_counter``)."""
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def flops_at_shape(cfg, args, frames: int, batch: int, size: int) -> Dict[str, float]:
    """FLOPs at ``frames`` x ``batch`` on the meta device: GA2 (model FLOPs: no recomputation; and with the
    config's gradient checkpointing), IVLP, test per clip, and the text tower's share."""
    out: Dict[str, float] = {}
    for variant, suffix in (('ga2_no_ckpt', ''), ('ga2', '_with_recompute'), ('ivlp', '_ivlp')):
        flops = _flops_of(cfg, args, variant, frames, batch, size, with_test=variant == 'ga2_no_ckpt')
        out.update({k + suffix: v for k, v in flops.items()})
    # both with the config's gradient checkpointing
    out['flops_ratio_ga2_over_ivlp'] = out['train_gflops_per_clip_with_recompute'] / out['train_gflops_per_clip_ivlp']
    return out


def _flops_of(cfg, args, variant: str, frames: int, batch: int, size: int, with_test: bool) -> Dict[str, float]:
    """FLOPs of one variant (see :func:`flops_at_shape`)."""
    model = build(cfg, args, variant, 'cpu')
    head = model.cls_head  # meta tensors have no values: cut the tokens after the last EOT here (as encode does)
    tokens = head.class_tokens
    head.register_buffer('class_tokens', tokens[:, :int(tokens.argmax(-1).max()) + 1], persistent=False)
    head.text.truncate = False
    model = model.to('meta').train()
    clips = torch.zeros(batch, 1, 3, frames, size, size, device='meta')

    anchor = torch.zeros(1, 3, frames, size, size, device='meta')

    labels = torch.zeros(batch, dtype=torch.long, device='meta')

    def train():  # the loss of GA2CLIPRecognizer.loss without MMAction2's numpy top-k accuracy
        x = clips
        if model.anchor_loss is not None and not model.anchor_term_skipped:
            x = torch.cat([clips, anchor.unsqueeze(1)])  # anchor clips forwarded with the main ones
        emb = model.embed(x).mean(dim=1)
        cos = model.cls_head.cosine(emb[:batch], model.cls_head.class_features())
        F.cross_entropy(model.cls_head.logit_scale * cos, labels).backward()

    def text():
        model.cls_head.class_features().float().sum().backward()

    train_flops = count_flops(train)
    out = dict(train_gflops_per_clip=train_flops / batch / 1e9, train_gflops_per_step=train_flops / 1e9)
    if with_test:
        out['text_flops_share'] = count_flops(text) / train_flops
        model.eval()
        with torch.no_grad():
            out['test_gflops_per_clip'] = count_flops(lambda: model.embed(clips[:1])) / 1e9
    return out


def checkpoint_sizes(model) -> Dict[str, float]:
    """Sizes (MB) of a small checkpoint with and without the AdamW state, and of a full one."""
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(params, lr=1e-6)
    for p in params:
        p.grad = torch.zeros_like(p)
    optim.step()
    cpu = lambda sd: {k: v.cpu() for k, v in sd.items()}  # noqa: E731
    full = cpu(model.state_dict())
    small = small_state_dict(model, full)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, obj in (('small_weights', {'state_dict': small}),
                          ('small_with_optimizer', {'state_dict': small, 'optimizer': optim.state_dict()}),
                          ('full_with_optimizer', {'state_dict': full, 'optimizer': optim.state_dict()})):
            path = osp.join(tmp, name + '.pth')
            torch.save(obj, path)
            out[f'checkpoint_mb_{name}'] = os.path.getsize(path) / 2**20
    for p in params:
        p.grad = None
    return out


def data_loading(cfg, videos: List[str], reps: int, gpu_clips_per_s: Optional[float]) -> Dict[str, float]:
    """Decode + augment clips/s of one worker for the config's train and test pipelines."""
    import math
    from mmengine.dataset import Compose
    from mmengine.registry import DefaultScope
    out: Dict[str, float] = dict(data_videos=len(videos))
    with DefaultScope.overwrite_default_scope('mmaction'):
        for name in ('train_pipeline', 'test_pipeline'):
            if name not in cfg:
                continue
            pipeline = Compose(cfg[name])
            pipeline(dict(filename=videos[0], label=0, start_index=0, modality='RGB'))  # warm up
            start, count = time.perf_counter(), 0
            for _ in range(reps):
                for path in videos:
                    pipeline(dict(filename=path, label=0, start_index=0, modality='RGB'))
                    count += 1
            rate = count / (time.perf_counter() - start)
            out[f'{name}_clips_per_s_per_worker'] = rate
            if gpu_clips_per_s:
                out[f'{name}_workers_per_gpu'] = math.ceil(gpu_clips_per_s / rate)
    return out


def main(argv=None) -> Dict[str, float]:
    """Run the benchmark; prints a table or (``--json``) one JSON object; returns the figures."""
    import open_clip
    from mmaction.structures import ActionDataSample
    from mmengine.config import Config
    args = parse_args(argv)
    if args.json:  # keep stdout one JSON object
        import logging
        from mmengine.logging import MMLogger
        MMLogger.get_current_instance().setLevel(logging.WARNING)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.data_videos:
        out = data_loading(cfg, args.data_videos, args.data_reps, args.gpu_clips_per_s)
        print(json.dumps(out, indent=1) if args.json else
              '\n'.join(f'{k:40s} {v:.4g}' if isinstance(v, float) else f'{k:40s} {v}' for k, v in out.items()))
        return out
    device = torch.device(args.device)
    size = open_clip.get_model_config(args.arch)['vision_cfg']['image_size']
    if args.flops_only:
        out = flops_at_shape(cfg, args, args.flops_frames or args.frames, args.flops_batch or args.batch, size)
        print(json.dumps(out, indent=1) if args.json else
              '\n'.join(f'{k:40s} {v:.4g}' for k, v in out.items()))
        return out
    torch.manual_seed(0)
    clips = torch.randn(args.batch, 3, args.frames, size, size, device=device)
    anchor = torch.randn(1, 3, args.frames, size, size, device=device)
    labels = torch.arange(args.batch, device=device) % args.classes
    samples = [ActionDataSample().set_gt_label(labels[i].cpu()) for i in range(args.batch)]
    extra = (['ga2_no_ckpt'] if args.amp else ['ga2_amp', 'ga2_no_ckpt']) if args.extra else []
    variants = ['ga2', 'ivlp', 'released'] + extra
    models = {v: build(cfg, args, 'ga2' if v == 'ga2_amp' else v, device).train() for v in variants}
    for m in models.values():  # dropout off: every variant computes the same function
        for mod in m.modules():
            if isinstance(mod, torch.nn.Dropout):
                mod.p = 0.0
    out: Dict[str, float] = dict(arch=args.arch, frames=args.frames, batch=args.batch, iters=args.iters,
                                 device=str(device), classes=args.classes, dtype='bfloat16' if args.amp else 'float32')
    steps = {v: make_step(models[v], v, clips, labels, anchor, samples, amp=args.amp or v == 'ga2_amp')
             for v in variants}
    with torch.no_grad():
        ours = our_loss(models['ga2'], clips.unsqueeze(1), samples, anchor)
        ref = released_loss(models['released'], clips, labels, anchor)
    if models['ga2'].anchor_term_skipped:  # the released setting: same loss expected
        out['released_loss_diff'] = abs(float(ours) - float(ref))
    # ---- training steps, interleaved
    times: Dict[str, List[float]] = {v: [] for v in variants}
    peak: Dict[str, float] = {}
    for v in variants:
        for _ in range(args.warmup):
            steps[v]()
    for _ in range(args.iters):
        for v in variants:
            if device.type == 'cuda':
                torch.cuda.reset_peak_memory_stats()
            times[v].append(timed(steps[v], device))
            if device.type == 'cuda':
                peak[v] = max(peak.get(v, 0.0), torch.cuda.max_memory_allocated() / 2**30)
    for v in variants:
        out[f'step_s_{v}'] = statistics.median(times[v])
        if v in peak:
            out[f'peak_mem_gib_{v}'] = peak[v]
    out['speedup_ratio_released_over_ga2'] = out['step_s_released'] / out['step_s_ga2']
    out['step_ratio_ga2_over_ivlp'] = out['step_s_ga2'] / out['step_s_ivlp']
    if args.extra and not args.amp:
        out['step_ratio_amp_over_fp32'] = out['step_s_ga2_amp'] / out['step_s_ga2']
    if args.extra:
        out['step_ratio_no_ckpt_over_ckpt'] = out['step_s_ga2_no_ckpt'] / out['step_s_ga2']
    # ---- text tower alone (forward + backward of the class features), same model and classes
    head = models['ga2'].cls_head
    if args.no_text_test:
        return _finish(out, args, cfg, models, size, device)

    def text_step():
        head.class_features().float().sum().backward()

    # truncated (ours) and all context_length tokens (as released) alternate, so load affects both alike
    text_times: Dict[bool, List[float]] = {True: [], False: []}
    for truncate in (True, False):
        head.text.truncate = truncate
        text_step()
    for _ in range(max(args.iters, 3)):
        for truncate in (True, False):
            head.text.truncate = truncate
            text_times[truncate].append(timed(text_step, device))
    head.text.truncate = True
    out['text_s'] = statistics.median(text_times[True])
    out['text_share_ratio'] = out['text_s'] / out['step_s_ga2']
    out['text_s_full_context'] = statistics.median(text_times[False])
    out['text_ratio_truncated_over_full'] = out['text_s'] / out['text_s_full_context']
    out['text_tokens_truncated'] = int(head.class_tokens.argmax(-1).max()) + 1
    # ---- test time per clip, 10 vs 400 names (cache warm after the first batch, as in a test run)
    model = models['ga2'].eval()
    if args.amp:  # the test-time switch of tools/test.py --amp
        model.test_cfg = dict(model.test_cfg or {}, precision='bf16')
    test_inputs = clips.unsqueeze(1)
    for n in (10, 400):
        model.cls_head.set_class_names(class_names(n))
        with torch.no_grad():
            model.predict(test_inputs, copy.deepcopy(samples))
            per = [timed(lambda: model.predict(test_inputs, copy.deepcopy(samples)), device) / args.batch
                   for _ in range(max(args.iters, 3))]
        out[f'test_s_per_clip_{n}'] = statistics.median(per)
    out['test_ratio_400_over_10'] = out['test_s_per_clip_400'] / out['test_s_per_clip_10']
    model.cls_head.set_class_names(class_names(args.classes))
    return _finish(out, args, cfg, models, size, device)


def _finish(out: Dict[str, float], args, cfg, models, size: int, device) -> Dict[str, float]:
    """FLOPs, throughput/MFU and checkpoint sizes; print."""
    # ---- FLOPs at the requested (or real) shapes, on meta
    out.update(flops_at_shape(cfg, args, args.flops_frames or args.frames, args.flops_batch or args.batch, size))
    out['flops_frames'] = args.flops_frames or args.frames
    out['flops_batch'] = args.flops_batch or args.batch
    # ---- throughput and MFU (GPU)
    step_flops = out['train_gflops_per_clip'] * args.batch * 1e9
    out['clips_per_s_ga2'] = args.batch / out['step_s_ga2']
    peak_tflops = args.peak_tflops
    if peak_tflops is None and device.type == 'cuda':
        name = torch.cuda.get_device_name(device)
        peak_tflops = next((v for k, v in PEAK_BF16_TFLOPS.items() if k in name), None)
        out['device_name'] = name
    if peak_tflops and out['flops_frames'] == args.frames and out['flops_batch'] == args.batch:
        for v in ('ga2', 'ga2_amp', 'ga2_no_ckpt'):
            if f'step_s_{v}' in out:
                out[f'mfu_{v}'] = step_flops / out[f'step_s_{v}'] / (peak_tflops * 1e12)
    # ---- checkpoint sizes of this model
    out.update(checkpoint_sizes(models['ga2'].train()))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(out, f, indent=1)
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        for key, value in out.items():
            print(f'{key:40s} {value:.4g}' if isinstance(value, float) else f'{key:40s} {value}')
    return out


if __name__ == '__main__':
    main()
