"""Per-step text-tower time of the class prompts, sharded across ranks and not (a figure, not a test).

Run it under torchrun to get W ranks (gloo on CPU, nccl on GPUs), or plainly for one process::

    python -m torch.distributed.run --nproc_per_node 2 tools/benchmark_text_sharding.py --classes 200
    python tools/benchmark_text_sharding.py --classes 200            # W=1: the per-prompt cost curve

Each step runs ``PromptCouplingHead.class_features(shard=True)`` forward and backward (what a training step spends on
class prompts) with random weights; sharded and unsharded steps alternate so that both see the same machine
load. Rank 0 prints the median step times. With one process it times the tower on ``--classes`` and on
``ceil(classes / W)`` prompts for ``--project`` world sizes, the work a rank does when sharded.
"""
import argparse
import json
import math
import os
import statistics
import time

import torch
import torch.distributed as dist

import ga2clip_mmaction  # noqa: F401


def build_head(args):
    """A PromptCouplingHead with ``args.classes`` classes on a random CLIP."""
    from mmaction.registry import MODELS
    from mmengine.registry import DefaultScope
    torch.manual_seed(0)
    clip = dict(arch=args.arch, weights=None)
    with DefaultScope.overwrite_default_scope('mmaction'):
        head = MODELS.build(dict(
            type='PromptCouplingHead', clip=clip, classnames=[f'class number {i}' for i in range(args.classes)],
            language_ctx=args.ctx, language_depth=args.depth, coupling='concat_mlp', coupling_dropout=0.5,
            hard_prompt=None))
    return head.train()


def step(head, shard: bool) -> float:
    """One forward + backward of the class features; seconds."""
    head.shard_text_across_ranks = shard
    if dist.is_initialized():
        dist.barrier()
    start = time.perf_counter()
    feats = head.class_features(shard=True)
    feats.float().pow(2).mean().backward()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--classes', type=int, default=200)
    parser.add_argument('--arch', default='GA2-Tiny-Random', help='open_clip model name (random weights)')
    parser.add_argument('--ctx', type=int, default=16, help='language_ctx')
    parser.add_argument('--depth', type=int, default=2, help='language_depth')
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--project', type=int, nargs='*', default=[2, 8], help='W for the one-process curve')
    parser.add_argument('--json', action='store_true')
    args = parser.parse_args()
    import warnings
    warnings.filterwarnings('ignore')
    if 'WORLD_SIZE' in os.environ:
        dist.init_process_group('nccl' if torch.cuda.is_available() else 'gloo')
    head = build_head(args)
    world = dist.get_world_size() if dist.is_initialized() else 1
    out = dict(classes=args.classes, arch=args.arch, world_size=world, threads=torch.get_num_threads())
    if world > 1:
        times = {True: [], False: []}
        for i in range(args.iters + 1):
            for shard in (True, False):
                t = step(head, shard)
                if i:  # the first round warms up
                    times[shard].append(t)
        out.update(sharded_s=statistics.median(times[True]), unsharded_s=statistics.median(times[False]))
        out['saving'] = 1 - out['sharded_s'] / out['unsharded_s']
    else:
        sizes = sorted({args.classes} | {math.ceil(args.classes / w) for w in args.project})
        times = {n: [] for n in sizes}
        tokens = head.class_tokens
        for i in range(args.iters + 1):
            for n in sizes:
                head.class_tokens = tokens[:n]
                t = step(head, False)
                if i:
                    times[n].append(t)
        head.class_tokens = tokens
        out['step_s'] = {n: statistics.median(t) for n, t in times.items()}
        full = out['step_s'][args.classes]
        out['projected_saving'] = {w: 1 - out['step_s'][math.ceil(args.classes / w)] / full for w in args.project}
    if not dist.is_initialized() or dist.get_rank() == 0:
        print(json.dumps(out) if args.json else '\n'.join(f'{k}: {v}' for k, v in out.items()))
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


if __name__ == '__main__':
    main()
