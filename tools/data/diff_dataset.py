"""Compare two dataset fingerprints (tools/data/fingerprint.py) and write the annotation of the videos that agree.

Usage::

    python tools/data/diff_dataset.py A.json B.json [--common-ann common.txt]

Lists the videos missing on either side, unreadable, truncated or padded (another frame count) and re-encoded
(same frame count, other decoded frames). ``--common-ann`` writes A's annotation lines of the videos that agree,
to test on the shared part alone::

    python tools/test.py CONFIG CKPT --cfg-options test_dataloader.dataset.ann_file=common.txt

Exit status 1 when any video differs.
"""
import argparse
import sys
from typing import Any, Dict, Optional, Sequence

from ga2clip_mmaction.data_prep.dataset_diff import KINDS, common_annotation, diff_manifests
from ga2clip_mmaction.data_prep.fingerprint import load_manifest


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description='Compare two dataset fingerprints.')
    parser.add_argument('a', help='manifest A (the reference)')
    parser.add_argument('b', help='manifest B')
    parser.add_argument('--common-ann', help="write A's annotation lines of the videos that agree here")
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """Print the differences (and write the common annotation); returns the diff."""
    args = parse_args(argv)
    a, b = load_manifest(args.a), load_manifest(args.b)
    diff = diff_manifests(a, b)
    for kind in KINDS:
        for item in diff[kind]:
            print(f'{kind:<13} {item["id"]}  ({item["detail"]})')
    counts = ', '.join(f'{len(diff[k])} {k}' for k in KINDS)
    print(f'{len(diff["agree"])} videos agree ({len(diff["remuxed"])} of them re-muxed: other container, codec or '
          f'size, same decoded frames); {counts}')
    if args.common_ann:
        lines = common_annotation(a, diff)
        with open(args.common_ann, 'w', encoding='utf-8') as f:
            f.write(''.join(f'{line}\n' for line in lines))
        print(f'{args.common_ann}: {len(lines)} lines of {args.a}\'s annotation')
    return diff


if __name__ == '__main__':
    sys.exit(1 if any(main()[kind] for kind in KINDS) else 0)
