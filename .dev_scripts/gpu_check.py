"""The GPU check in one command: parts with their own time budgets, results written as each part ends.

``.dev_scripts/gpu_check.sh`` installs the carried wheels and calls ``run``; the other sub-commands are its parts and
the wheel check of ``.dev_scripts/gpu_wheels.sh``::

    python .dev_scripts/gpu_check.py run --out DIR [--dry-run] [--parts abcd]
    python .dev_scripts/gpu_check.py wheels .whl --limit-mib 60
    python .dev_scripts/gpu_check.py data --out FILE [--dry-run] [--model-clips-per-s X]
    python .dev_scripts/gpu_check.py compile --out FILE [--dry-run]

Parts of ``run`` (each a subprocess, killed at its budget; ``DIR/gpu_check.json`` and ``DIR/gpu_check.md`` are
rewritten after every part, so a part that fails or runs out of time loses nothing else):

* ``a``: ``pytest -m cuda tests/cuda`` (the GPU-only tests; they skip without CUDA).
* ``b``: ``tools/benchmark.py`` at ViT-B/16, 32 frames x 224 px, batch 8, bf16, gradient checkpointing on and off.
* ``c``: data loading clips/s with 8 and 16 workers on videos it writes itself (and the same clips as JPEG frames),
  and the GPU idle fraction at part b's training speed.
* ``d``: ``torch.compile`` (inductor) vs eager training-step time, and the graph breaks of ``torch._dynamo.explain``.

``--dry-run`` runs every part on the CPU at smoke size (tiny CLIP, 2 frames, 1-2 workers): it proves the wiring,
its figures are not judged against the targets.
"""
import argparse
import os
import os.path as osp
import sys
import time
from typing import List, Optional

from gpu_check_parts.common import PYTHONPATH
from gpu_check_parts.compile import compile_main
from gpu_check_parts.data import data_main
from gpu_check_parts.parts import (BUDGETS, DRY_BUDGETS, PART_NAMES, part_command,
                                   part_figures, run_part)
from gpu_check_parts.report import figure, print_targets, write_report
from gpu_check_parts.wheels import wheels_main


def run_main(argv: List[str]) -> int:
    """The ``run`` sub-command: every part in turn, each within its budget; the report rewritten after each.

    Args:
        argv (list[str]): Its command line: ``--out DIR``, ``--dry-run``, ``--parts`` (default ``abcd``).

    Returns:
        int: The exit status, 0 when every part ended ``ok``.
    """
    parser = argparse.ArgumentParser(description='run the GPU check parts')
    parser.add_argument('--out', required=True)
    parser.add_argument('--dry-run', action='store_true')
    parser.add_argument('--parts', default='abcd')
    args = parser.parse_args(argv)
    import torch
    dry = args.dry_run
    out_dir = osp.abspath(args.out)
    os.makedirs(out_dir, exist_ok=True)
    budgets = DRY_BUDGETS if dry else BUDGETS
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    env['PYTHONPATH'] = os.pathsep.join(p for p in (*PYTHONPATH, env.get('PYTHONPATH')) if p)
    results: dict = dict(dry_run=dry, torch=torch.__version__, started=time.strftime('%Y-%m-%d %H:%M:%S UTC',
                                                                                      time.gmtime()),
                         device=torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'cpu')
    write_report(out_dir, results, dry)
    for p in args.parts:
        fig_file = osp.join(out_dir, f'part_{p}.json')
        cmd = part_command(p, out_dir, fig_file, dry, model_clips_per_s=figure(results, 'b.clips_per_s_ga2_no_ckpt'))
        print(f'[gpu_check] ({p}) {PART_NAMES[p]}: budget {budgets[p]} s', flush=True)
        results[p] = run_part(cmd, budgets[p], osp.join(out_dir, f'part_{p}.log'), env)
        results[p]['figures'] = part_figures(p, out_dir, fig_file)
        print(f'[gpu_check] ({p}) {results[p]["status"]} in {results[p]["seconds"]} s', flush=True)
        write_report(out_dir, results, dry)
    print_targets(results, dry)
    print(f'[gpu_check] wrote {osp.join(out_dir, "gpu_check.md")} and gpu_check.json', flush=True)
    return 0 if all(results[p]['status'] == 'ok' for p in args.parts) else 1


def main(argv: Optional[List[str]] = None) -> int:
    """Dispatch to a sub-command; without one (or an unknown one), print this help.

    Args:
        argv (list[str], optional): The command line without the program. Defaults to ``sys.argv[1:]``.

    Returns:
        int: The sub-command's exit status, 2 for no sub-command.
    """
    argv = sys.argv[1:] if argv is None else argv
    commands = dict(run=run_main, wheels=wheels_main, data=data_main, compile=compile_main)
    if not argv or argv[0] not in commands:
        print(__doc__)
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == '__main__':
    sys.exit(main())
