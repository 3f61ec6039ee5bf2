"""Fuse several dumped score files (views, seeds, models) with weights and print base / novel / HM.

Usage (as MMAction2's ``tools/analysis_tools/report_accuracy.py``, plus base-to-novel)::

    python tools/analysis_tools/report_accuracy.py --preds a.pkl b.pkl --coefficients 1 0.5 \\
        [--apply-softmax] [--config configs/ga2clip_b2n_k400.py | --num-base-classes 200]

The files are ``tools/test.py --dump`` outputs of the same test list. With base classes (from ``--config``'s
``test_evaluator.num_base_classes`` or ``--num-base-classes``) base samples are ranked among the base classes and
novel samples among the novel classes (``BaseNovelMetric``); otherwise top-1 / top-5 / mean-class accuracy.
"""
import argparse
from typing import Dict, Optional, Sequence

from ga2clip_mmaction.evaluation.analysis import (accuracy_report, class_names_and_bases, fuse_predictions,
                                                  load_predictions, softmax)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description='Fuse dumped score files and report base / novel / HM.')
    parser.add_argument('--preds', nargs='+', required=True, help='tools/test.py --dump files')
    parser.add_argument('--coefficients', nargs='+', type=float, help='one weight per file (default all 1)')
    parser.add_argument('--apply-softmax', action='store_true', help="softmax each file's scores first")
    parser.add_argument('--config', help='config of the test (gives test_evaluator.num_base_classes)')
    parser.add_argument('--num-base-classes', type=int, help='base classes come first in the class list')
    return parser.parse_args(argv)


def _line(name: str, report: Dict[str, float]) -> str:
    return f'{name}: ' + ', '.join(f'{k} {v:.2f}' for k, v in report.items())


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, float]:
    """Print each file's accuracy and the fused one; returns the fused report (percent)."""
    args = parse_args(argv)
    _, num_base = class_names_and_bases(args.config, None, args.num_base_classes)
    for path in args.preds:
        scores, labels = load_predictions(path)
        print(_line(path, accuracy_report(softmax(scores) if args.apply_softmax else scores, labels, num_base)))
    scores, labels = fuse_predictions(args.preds, args.coefficients, args.apply_softmax)
    report = accuracy_report(scores, labels, num_base)
    weights = ', '.join(f'{c:g}' for c in (args.coefficients or [1.0] * len(args.preds)))
    print(_line(f'fused ({len(args.preds)} files, weights {weights}, {len(labels)} videos)', report))
    return report


if __name__ == '__main__':
    main()
