"""Part (d) of the GPU check: ``torch.compile`` vs eager training step, and the graph breaks.

The step is ``tools/benchmark.py``'s (forward, backward, AdamW; bf16 autocast) at the released architecture on the GPU
(tiny random model on the CPU in the dry run), with the same weights and inputs for both.
"""
import argparse
import time
from typing import Dict, List, Optional

from .common import BENCH_CONFIG, TINY, write_json


def compile_main(argv: List[str]) -> int:
    """The ``compile`` sub-command: training step (forward, backward, AdamW) of the GA2 model, eager vs compiled.

    Args:
        argv (list[str]): Its command line: ``--out FILE`` (the figures), ``--dry-run``, ``--iters N``,
            ``--backend NAME``.

    Returns:
        int: The exit status (0).
    """
    parser = argparse.ArgumentParser(description='torch.compile vs eager training step')
    parser.add_argument('--out', required=True)
    parser.add_argument('--dry-run', action='store_true')
    parser.add_argument('--iters', type=int, default=None)
    parser.add_argument('--backend', default='inductor',
                        help='torch.compile backend (the dry run uses eager, Dynamo\'s capture alone: inductor\'s '
                        'code generation takes minutes on 2 CPU cores)')
    args = parser.parse_args(argv)
    from ga2clip_mmaction.benchmark import speed as benchmark
    dry = args.dry_run
    bench_argv = [BENCH_CONFIG, '--no-text-test']
    if dry:
        bench_argv += ['--arch', 'GA2-Tiny-Random', '--frames', '2', '--batch', '2', '--device', 'cpu',
                       '--cfg-options', *TINY]
    else:
        bench_argv += ['--frames', '32', '--batch', '8', '--device', 'cuda']
    out = compile_speed(benchmark.parse_args(bench_argv), args.iters or (2 if dry else 10), args.out, args.backend)
    for key, value in out.items():
        print(f'{key:32s} {value}')
    return 0


def compile_speed(bargs: argparse.Namespace, iters: int, out_file: Optional[str] = None,
                  backend: str = 'inductor') -> Dict[str, object]:
    """Time the eager and the compiled training step, and count the graph breaks of the compiled loss.

    The step is ``tools/benchmark.py``'s ``ga2_no_ckpt`` variant (bf16 autocast), with the same weights and inputs
    for both; the graph breaks are those of ``torch._dynamo.explain``.

    Args:
        bargs (Namespace): Parsed ``tools/benchmark.py`` arguments (config, arch, frames, batch, device).
        iters (int): Timed replicates of each, interleaved (median; ``torch.utils.benchmark.Timer``, as in
            ``tools/benchmark.py``).
        out_file (str, optional): JSON file rewritten after each stage.
        backend (str): ``torch.compile`` backend. Defaults to ``'inductor'``.

    Returns:
        dict: ``step_s_eager``, ``step_s_compiled``, ``first_step_s_eager``, ``first_step_s_compiled`` (the
        compilation included), ``speedup_compiled``, ``loss_diff_first_step``, ``graph_breaks`` and their reasons.
    """
    import copy
    import torch
    from mmaction.structures import ActionDataSample
    from mmengine.config import Config
    from ga2clip_mmaction.benchmark.variants import build, make_step, measure, median_s
    cfg = Config.fromfile(bargs.config)
    if bargs.cfg_options:
        cfg.merge_from_dict(bargs.cfg_options)
    import open_clip
    size = open_clip.get_model_config(bargs.arch)['vision_cfg']['image_size']
    device = torch.device(bargs.device)
    torch.manual_seed(0)
    clips = torch.randn(bargs.batch, 3, bargs.frames, size, size, device=device)
    anchor = torch.randn(1, 3, bargs.frames, size, size, device=device)
    labels = torch.arange(bargs.batch, device=device) % bargs.classes
    samples = [ActionDataSample().set_gt_label(labels[i].cpu()) for i in range(bargs.batch)]
    eager = build(cfg, bargs, 'ga2_no_ckpt', device).train()
    for mod in eager.modules():
        if isinstance(mod, torch.nn.Dropout):
            mod.p = 0.0
    compiled = copy.deepcopy(eager)
    out: Dict[str, object] = dict(device=str(device), frames=bargs.frames, batch=bargs.batch, arch=bargs.arch,
                                  iters=iters, dtype='bfloat16', backend=backend)
    steps = {}
    for name, model in (('eager', eager), ('compiled', compiled)):
        if name == 'compiled':
            model.loss = torch.compile(model.loss, backend=backend)
        steps[name] = make_step(model, 'ga2', clips, labels, anchor, samples, amp=True)
    first = {}
    for name in ('eager', 'compiled'):
        start = time.perf_counter()
        first[name] = steps[name]()
        if device.type == 'cuda':
            torch.cuda.synchronize()
        out[f'first_step_s_{name}'] = time.perf_counter() - start
        write_json(out_file, out)
    out['loss_diff_first_step'] = abs(first['eager'] - first['compiled'])
    times = {'eager': [], 'compiled': []}
    for _ in range(iters):  # interleaved replicates, as tools/benchmark.py times its variants
        for name in ('eager', 'compiled'):
            times[name].append(measure(steps[name], f'step {name}'))
    for name in times:
        out[f'step_s_{name}'] = median_s(times[name])
    out['speedup_compiled'] = out['step_s_eager'] / out['step_s_compiled']
    write_json(out_file, out)
    # graph breaks of the compiled region (the loss: both towers, prompts, couplings, anchor term)
    torch._dynamo.reset()
    kwargs = {}
    if eager.anchor_loss is not None and not eager.anchor_term_skipped:
        kwargs['anchor_inputs'] = anchor.unsqueeze(1)
    with torch.autocast(device.type, dtype=torch.bfloat16):
        explained = torch._dynamo.explain(eager.loss)(clips.unsqueeze(1), samples, **kwargs)
    out['graphs'] = explained.graph_count
    out['graph_breaks'] = explained.graph_break_count
    out['graph_break_reasons'] = sorted({f'{r.user_stack[-1].filename.split("site-packages/")[-1]}:'
                                         f'{r.user_stack[-1].lineno}: {r.reason.splitlines()[0][:120]}'
                                         for r in explained.break_reasons if r.user_stack})
    out['graph_breaks_in_ga2clip_mmaction'] = sum('ga2clip_mmaction' in r for r in out['graph_break_reasons'])
    write_json(out_file, out)
    return out
