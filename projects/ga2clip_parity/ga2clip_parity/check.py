"""Compare our recognizer with the released GA2-CLIP code on a parity fixture.

Usage:
    python projects/ga2clip_parity/tools/check_parity.py ../shared/parity/official_tiny.pt [--json]
        [--emulate-fp16-grads]

Exit status 0 only if token ids match exactly, forward outputs are within atol 1e-5 + rtol 1e-4, losses within
1e-5 and every gradient within 2e-3 x max|g| of its tensor.
"""
import argparse
import json
import sys

import ga2clip_mmaction  # noqa: F401

from .parity import check_parity


def main(argv=None) -> int:
    """Run the check and print the report; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('fixture', help='parity fixture (ga2clip-official-parity/1)')
    parser.add_argument('--json', action='store_true', help='print one JSON object')
    parser.add_argument('--emulate-fp16-grads', action='store_true',
                        help="reproduce the released code's fp16 rounding of prompt gradients")
    args = parser.parse_args(argv)
    result = check_parity(args.fixture, emulate_fp16_prompt_grads=args.emulate_fp16_grads)
    if args.json:
        print(json.dumps(result))
    else:
        width = max(len(k) for k in result['errors'])
        for key, entry in result['errors'].items():
            status = 'ok  ' if entry['ok'] else 'FAIL'
            detail = entry.get('error') or f"max abs err {entry['max_abs']:.3e} (limit {entry['limit']:.3e})"
            print(f'{status} {key:<{width}}  {detail}')
        print('PARITY OK' if result['ok'] else 'PARITY FAILED')
    return 0 if result['ok'] else 1


if __name__ == '__main__':
    sys.exit(main())
