"""The GPU check's report: ``gpu_check.json`` and ``gpu_check.md``, and the figures against their targets."""
import os.path as osp
from typing import List, Optional, Tuple

from .common import write_json
from .parts import PART_NAMES

#: (figure key, comparison, target, what it means); figures of docs/performance.md.
TARGETS: List[Tuple[str, str, float, str]] = [
    ('b.mfu_ga2_no_ckpt', '>=', 0.40, 'MFU, bf16, checkpointing off'),
    ('b.clips_per_s_ga2_no_ckpt', '>=', 160.0, 'training clips/s, bf16, checkpointing off'),
    ('b.peak_mem_gib_ga2_no_ckpt', '<=', 75.0, 'peak GPU memory (GiB), checkpointing off (fits an H100 80 GB)'),
    ('b.step_ratio_ga2_over_ivlp', '<=', 1.05, 'GA2 / IVLP training step'),
    ('b.test_ratio_400_over_10', '<=', 1.05, 'test time per clip, 400 / 10 class names'),
    ('a.failed', '<=', 0, 'failed GPU tests'),
]


def figure(results: dict, key: str) -> Optional[object]:
    """One figure of the results.

    Args:
        results (dict): The check's results (part -> its status and ``figures``).
        key (str): ``'<part>.<figure>'``, e.g. ``'b.mfu_ga2_no_ckpt'``.

    Returns:
        object | None: The figure, or None when it was not measured.
    """
    part, name = key.split('.', 1)
    return (results.get(part) or {}).get('figures', {}).get(name)


def markdown(results: dict, dry: bool) -> str:
    """The Markdown report: each part's status, each target's verdict, then every figure and test.

    Args:
        results (dict): The check's results.
        dry (bool): A dry run (figures shown, not judged).

    Returns:
        str: The text of ``gpu_check.md``.
    """
    lines = [f'# GPU check{" (CPU dry run: smoke size, figures not judged)" if dry else ""}', '',
             f'device: {results.get("device", "?")}; torch {results.get("torch", "?")}; started '
             f'{results.get("started", "?")}', '', '| part | status | seconds | budget |', '|---|---|---|---|']
    for p in 'abcd':
        if p in results:
            r = results[p]
            lines.append(f'| ({p}) {PART_NAMES[p]} | {r["status"]} | {r["seconds"]} | {r["budget_s"]} |')
    lines += ['', '| figure | value | target | verdict |', '|---|---|---|---|']
    for key, op, target, what in TARGETS:
        value = figure(results, key)
        if value is None:
            verdict, shown = 'not measured', '-'
        else:
            shown = f'{value:.4g}' if isinstance(value, float) else str(value)
            ok = value >= target if op == '>=' else value <= target
            verdict = 'smoke (not judged)' if dry else ('meets' if ok else 'MISSES')
        lines.append(f'| {what} (`{key}`) | {shown} | {op} {target:g} | {verdict} |')
    for p in 'bcd':
        figures = (results.get(p) or {}).get('figures') or {}
        if figures:
            lines += ['', f'({p}) {PART_NAMES[p]}:', '', '```']
            lines += [f'{k:44s} {v:.4g}' if isinstance(v, float) else f'{k:44s} {v}' for k, v in figures.items()]
            lines += ['```']
    cases = (results.get('a') or {}).get('figures', {}).get('cases') or {}
    if cases:
        lines += ['', '(a) tests:', ''] + [f'- {v}: `{k}`' for k, v in cases.items()]
    return '\n'.join(lines) + '\n'


def write_report(out_dir: str, results: dict, dry: bool) -> None:
    """(Re)write ``gpu_check.json`` and ``gpu_check.md`` in ``out_dir``.

    Args:
        out_dir (str): The check's output folder.
        results (dict): The check's results so far.
        dry (bool): A dry run.
    """
    write_json(osp.join(out_dir, 'gpu_check.json'), results)
    with open(osp.join(out_dir, 'gpu_check.md'), 'w') as f:
        f.write(markdown(results, dry))


def print_targets(results: dict, dry: bool) -> None:
    """Print each measured target figure with its verdict (``smoke`` in a dry run).

    Args:
        results (dict): The check's results.
        dry (bool): A dry run.
    """
    for key, op, target, what in TARGETS:
        value = figure(results, key)
        if value is None:
            continue
        ok = value >= target if op == '>=' else value <= target
        verdict = 'smoke' if dry else ('meets' if ok else 'MISSES')
        print(f'[gpu_check] {what}: {value:.4g} (target {op} {target:g}) {verdict}', flush=True)
