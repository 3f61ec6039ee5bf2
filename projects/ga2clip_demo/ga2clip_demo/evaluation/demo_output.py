"""The embedded demo's output files: ``<stem>.{md,json,png}`` of a grid of runs
(projects/ga2clip_demo/tools/run_demo.py).

The statistics and table formats are :mod:`.demo_report`'s; this module puts them together with the header, the
compute line, the missing runs and the chart.
"""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from . import demo_report as rep

HEADER = ('Base-to-novel top-1 (%) on the synthetic world(s) {worlds}, tiny CLIP, CPU; few-shot lists {lists} x '
          'training seeds {seeds}. base / novel / HM: mean ± sample std over the runs (HM = mean of the runs\' '
          'HM). Differences: run by run (matched world, list, seed), then seeds averaged within list and lists '
          'within world; 95 % t interval over the {units} (df = units - 1; the nested random-effects model of a '
          'balanced design); p-values Holm-corrected over the stated family; the hierarchical bootstrap (worlds, '
          'then lists) beside it. Zero-shot CLIP: one deterministic run per world, a reference, not paired.')


def compute_summary(runs: Sequence[dict], session: dict) -> dict:
    """``session`` (wall / CPU seconds, torch threads) plus the trained runs' count and train + test seconds;
    runs taken from another results file (``reused_from``) are counted apart (``reused_runs``), not timed."""
    trained = {r['work_dir']: r['timing'] for r in runs if r['method'] != 'zero-shot' and 'reused_from' not in r}
    steps = [t.get(s, {}) for t in trained.values() for s in ('train', 'test')]
    out = dict(session, trained_runs=len(trained), run_wall_s=sum(s.get('wall_s', 0) for s in steps),
               run_cpu_s=sum(s.get('cpu_s', 0) for s in steps))
    reused = sum('reused_from' in r for r in runs)
    return dict(out, reused_runs=reused) if reused else out


def write_chart(rows: Sequence[dict], out_file: str, title: str) -> None:
    """The base / novel / HM chart (mean ± std over each method's runs) of the method rows."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print(f'[demo] no chart ({osp.basename(out_file)}): matplotlib is missing '
              '(pip install -e "projects/ga2clip_demo[plots]")')
        return
    from .chart import plot_summary
    plot_summary([dict(group=r['label'], protocol='b2n', dataset=None, published=None,
                       stats={'b2n/base_top1': r['base'], 'b2n/novel_top1': r['novel'], 'b2n/hm': r['hm']})
                  for r in rows], out_file, title=title)


def write_demo_report(out_dir: str, stem: str, title: str, runs: List[dict], order: Sequence[Tuple[str, str]],
                      references: Sequence[Tuple[str, str]], family: Sequence[Tuple[str, str, str, str]],
                      labels: Dict[str, str], grid: dict, budget: Sequence[dict], session: dict,
                      missing: Optional[Dict[str, List[str]]] = None,
                      labels_renamed: Optional[Dict[str, str]] = None) -> dict:
    """Write ``<out_dir>/<stem>.{md,json,png}`` and return the json's content.

    Args:
        out_dir (str): Folder of the three files.
        stem (str): File name without suffix (``results``, ``ablation``).
        title (str): The chart's title.
        runs (list[dict]): The runs (:mod:`.demo_report`'s form, plus ``work_dir`` and ``timing``).
        order (Sequence[tuple]): ``(method, label)`` of the table rows, in order.
        references (Sequence[tuple]): ``(method, label)`` each row's HM difference is taken against.
        family (Sequence[tuple]): ``(a, b, metric, label)``: the comparisons, Holm-corrected together.
        labels (dict[str, str]): Run name -> label.
        grid (dict): ``worlds`` (the records: seed and file hashes), ``world_seeds``, ``lists``, ``seeds``.
        budget (Sequence[dict]): Trainable parameters and extra data per method (may be empty).
        session (dict): ``session_wall_s``, ``session_cpu_s``, ``torch_threads``.
        missing (dict[str, list[str]], optional): Method -> its runs not done (left out of the tables).
        labels_renamed (dict[str, str], optional): Old label -> today's, written to the json (issue 31).

    Returns:
        dict: ``runs``, ``methods`` (``{label: row}``), ``comparisons``, ``zero_shot_per_world``, ``budget``,
        ``worlds``, ``compute``, ``ivlp_novel_minus_zero_shot``, ``lists``, ``seeds``, ``world_seeds``,
        ``seconds``, ``missing``, ``labels_renamed``.
    """
    worlds, lists, seeds = grid['world_seeds'], grid['lists'], grid['seeds']
    rows = rep.method_rows(runs, order, references)
    comparisons = rep.comparison_family(runs, family)
    zs = rep.zero_shot_per_world(runs)
    drop = next((c['nested']['mean'] for c in comparisons if (c['a'], c['b']) == ('ivlp', 'zero-shot')), None)
    compute = compute_summary(runs, session)
    header = HEADER.format(worlds=worlds, lists=lists, seeds=seeds, units='worlds' if len(worlds) > 1 else 'lists')
    text = (f'{header}\n\n{rep.format_methods_table(rows, [label for _, label in references])}\n\n'
            f'Comparisons (the family of docs/results/plan.md; Holm over the {len(comparisons)} present):\n\n'
            f'{rep.format_comparisons(comparisons, labels)}\n')
    if zs:
        text += f'\nZero-shot CLIP per world (a reference):\n\n{rep.format_zero_shot_table(zs)}\n'
    if budget:
        text += f'\nTrainable parameters and extra data per method:\n\n{rep.format_budget_table(budget)}\n'
    text += (f'\nCompute: {compute["trained_runs"]} trained runs, {compute["run_wall_s"]:.0f} s wall and '
             f'{compute["run_cpu_s"]:.0f} s CPU in their train + test steps (torch threads '
             f'{compute["torch_threads"]}); this session {compute["session_wall_s"]:.0f} s wall.\n')
    reused = sorted({r['reused_from'] for r in runs if 'reused_from' in r})
    if reused:
        text += (f'{compute["reused_runs"]} runs (IVLP and GA2-CLIP kl, the same world, list and seed) are '
                 f'reused from {", ".join(reused)}, not trained again.\n')
    if missing:
        text += ('\nNot run (the time ran out; left out of every table, no cell estimated): '
                 + '; '.join(f'{labels.get(m, m)}: {len(c)} of {len(worlds) * len(lists) * len(seeds)} runs '
                             f'missing ({", ".join(c)})' for m, c in missing.items()) + '\n')
    text += f'\nPer run:\n\n{rep.format_runs_table(runs)}\n'
    out = dict(runs=runs, methods={r['label']: r for r in rows}, comparisons=comparisons, zero_shot_per_world=zs,
               budget=list(budget), worlds=grid['worlds'], compute=compute, ivlp_novel_minus_zero_shot=drop,
               lists=lists, seeds=seeds, world_seeds=worlds, seconds=compute['session_wall_s'],
               missing=missing or {}, labels_renamed=dict(labels_renamed or {}))
    with open(osp.join(out_dir, f'{stem}.json'), 'w') as f:
        json.dump(out, f, indent=2)
    with open(osp.join(out_dir, f'{stem}.md'), 'w') as f:
        f.write(text)
    write_chart(rows, osp.join(out_dir, f'{stem}.png'), title)
    print(f'\n{text}\n({compute["session_wall_s"]:.0f} s in all; results in {out_dir})', flush=True)
    return out
