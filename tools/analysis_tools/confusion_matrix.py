"""Confusion matrix (PNG) and per-class accuracy table of a ``tools/test.py --dump`` file, base and novel apart.

Usage::

    python tools/analysis_tools/confusion_matrix.py results.pkl --config configs/ga2clip_b2n_k400.py \\
        --out-dir work_dirs/analysis
    python tools/analysis_tools/confusion_matrix.py results.pkl --classes labels.txt [--num-base-classes N] \\
        --out-dir DIR

Writes ``confusion_<part>.png`` and ``per_class_<part>.md`` per part: ``base`` (base samples among the base
classes) and ``novel`` (novel samples among the novel classes) when there are base classes (``--config``'s
``test_evaluator.num_base_classes`` or ``--num-base-classes``), else ``all``. The PNG needs matplotlib (the
``plots`` extra); without it the tables are written and the tool says how to install it.
"""
import argparse
import os
from typing import Dict, List, Optional, Sequence

from ga2clip_mmaction.evaluation.analysis import (check_names, class_names_and_bases, confusion_matrices,
                                                  load_predictions, output_paths, per_class_rows, plot_confusion,
                                                  write_table)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description='Confusion matrix and per-class accuracy, base and novel apart.')
    parser.add_argument('dump', help='tools/test.py --dump file')
    parser.add_argument('--config', help='config of the test (class names, test_evaluator.num_base_classes)')
    parser.add_argument('--classes', help='class-name file of the test (overrides the config)')
    parser.add_argument('--num-base-classes', type=int, help='base classes come first in the class list')
    parser.add_argument('--out-dir', required=True, help='folder for the PNGs and tables')
    parser.add_argument('--worst', type=int, default=5, help='print the N least accurate classes per part')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, List[dict]]:
    """Write the matrices and tables; returns the table rows per part."""
    args = parse_args(argv)
    scores, labels = load_predictions(args.dump)
    names, num_base = class_names_and_bases(args.config, args.classes, args.num_base_classes)
    names = check_names(names, scores.shape[1], args.classes or args.config or args.dump)
    os.makedirs(args.out_dir, exist_ok=True)
    tables: Dict[str, List[dict]] = {}
    missing_plot = None
    for part, lo, matrix in confusion_matrices(scores, labels, num_base):
        rows = per_class_rows([(part, lo, matrix)], names)
        tables[part] = rows
        png, table = output_paths(args.out_dir, part)
        write_table(rows, table)
        correct = sum(r['correct'] for r in rows)
        total = sum(r['samples'] for r in rows)
        print(f'{part}: {total} videos, top-1 {100.0 * correct / total:.2f} %, mean class accuracy '
              f'{sum(r["accuracy"] for r in rows) / len(rows):.2f} % over {len(rows)} classes -> {table}')
        for r in sorted(rows, key=lambda r: (r['accuracy'], r['index']))[:args.worst]:
            confused = f', most often taken for {r["most_confused_with"]} ({r["confused_count"]})' \
                if r['most_confused_with'] else ''
            print(f'  {r["name"]}: {r["accuracy"]:.1f} % of {r["samples"]}{confused}')
        try:
            plot_confusion(matrix, names[lo:lo + len(matrix)], png, f'{part} classes ({total} videos)')
            print(f'  {png}')
        except ImportError as err:
            missing_plot = str(err)
    if missing_plot:
        print(missing_plot)
    return tables


if __name__ == '__main__':
    main()
