"""Identify a weight file and say what is wrong with it (architecture, key set, dtype, truncation, sha256).

Usage::

    python tools/check_weights.py FILE [--expect openai-vit-b16|text4vis-k400|ga2clip-release|hard-prompt|ours]
        [--sha256]

Prints what the file is, each problem against the expectation, and where the right file comes from; exit status 1
when a problem is found. The config check runs the same check on a config's weight files before training
(``ga2clip_mmaction/models/weight_check.py``).
"""
import argparse
import sys
from typing import Optional, Sequence

from ga2clip_mmaction.models.weight_check import KNOWN, check_weight_file


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description='Identify a weight file and say what is wrong with it.')
    parser.add_argument('file', help='weight file (.pt / .pth)')
    parser.add_argument('--expect', choices=sorted(KNOWN), help='what the file should be')
    parser.add_argument('--sha256', action='store_true', help='also print its sha256 (always done when the '
                        'expected file has a known digest)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Print the report; 0 when nothing is wrong, 1 otherwise."""
    args = parse_args(argv)
    report = check_weight_file(args.file, args.expect, hash_file=True if args.sha256 else None)
    print(report.format())
    return 0 if report.ok else 1


if __name__ == '__main__':
    sys.exit(main())
