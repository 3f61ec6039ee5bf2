"""Collect finished runs into a results table (mean ± std) next to the published numbers.

Writes ``results.md``, ``results.csv`` and ``results.png`` (base / novel / HM per group, bars at the mean,
error bars one sample std over the group's runs) to ``--out-dir`` and prints the markdown table. Runs are
grouped by work-dir name without every trailing ``_s<N>`` / ``_seed<N>`` / ``_split<N>`` suffix, so the
demo's ``<method>_s<list>_seed<seed>`` runs (projects/ga2clip_demo/tools/run_demo.py) group by method.

Examples:
    python tools/summarize_results.py work_dirs/b2n_hmdb_s{1,2,3} work_dirs/b2n_ucf_s{1,2,3} \\
        --out-dir work_dirs/summary
    python tools/summarize_results.py work_dirs/demo/runs/* --out-dir work_dirs/demo/summary
"""
import argparse
import os
import os.path as osp

from ga2clip_mmaction.evaluation.summary import (format_csv, format_markdown,
                                                 summarize_runs)


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Summarize MMEngine work dirs into a table')
    parser.add_argument('work_dirs', nargs='+', help='work dirs (or metrics .json files)')
    parser.add_argument('--out-dir', default='work_dirs/summary',
                        help='where results.md, results.csv and results.png go')
    parser.add_argument('--title', default=None, help='chart title')
    parser.add_argument('--no-chart', action='store_true', help='skip the PNG')
    return parser.parse_args(argv)


def main(argv=None) -> list:
    """Summarize, write the files, print the markdown.

    Returns:
        list[dict]: The summary rows (see ``summarize_runs``).
    """
    args = parse_args(argv)
    rows = summarize_runs(args.work_dirs)
    os.makedirs(args.out_dir, exist_ok=True)
    markdown = format_markdown(rows)
    with open(osp.join(args.out_dir, 'results.md'), 'w') as f:
        f.write(markdown)
    with open(osp.join(args.out_dir, 'results.csv'), 'w') as f:
        f.write(format_csv(rows))
    if not args.no_chart:  # the chart is the demo project's (projects/ga2clip_demo[plots]; make setup installs it)
        from ga2clip_demo.evaluation.chart import plot_summary
        plot_summary(rows, osp.join(args.out_dir, 'results.png'), title=args.title)
    print(markdown)
    return rows


if __name__ == '__main__':
    main()
