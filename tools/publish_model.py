"""Publish a trained checkpoint (MMAction2's convention): drop the optimizer and runtime state, name it by sha256.

Usage::

    python tools/publish_model.py work_dirs/b2n_k400/epoch_12.pth work_dirs/ga2clip_b2n_k400
    # -> work_dirs/ga2clip_b2n_k400-<first 8 hex of sha256>.pth

Keeps the weights and what loading needs (a small checkpoint keeps its frozen-weight fingerprint and is refilled
from the config's ``clip.weights`` at load); the output loads with ``tools/test.py`` and ``tools/infer.py``.
"""
import argparse
import os.path as osp
from typing import Optional, Sequence

import ga2clip_mmaction  # noqa: F401  (secure checkpoint loading)
from ga2clip_mmaction.utils.publish import publish_checkpoint


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description='Publish a checkpoint: weights only, named by sha256.')
    parser.add_argument('in_file', help='checkpoint written by training')
    parser.add_argument('out_prefix', help='output path without the digest; writes OUT_PREFIX-<sha256[:8]>.pth')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> str:
    """Write the published checkpoint and print its path; returns it."""
    args = parse_args(argv)
    out, dropped = publish_checkpoint(args.in_file, args.out_prefix)
    before, after = osp.getsize(args.in_file), osp.getsize(out)
    print(f'dropped: {", ".join(dropped) or "nothing"}')
    print(f'{out} ({after:,} bytes; {before:,} before)')
    return out


if __name__ == '__main__':
    main()
