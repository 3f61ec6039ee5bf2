"""Write a few-shot training list over a subset of a dataset's classes, relabelled to the subset.

Used for the hard-prompt stage of the K400 run: the "K100" prompt model trains on the 100 Kinetics-600 classes
of ``k600_base.csv`` (absent from K400), whose training list is not published. Classes are matched by name
(exactly, after trimming); every subset class must exist in the pool.

Example:
    python tools/data/make_class_subset.py --pool-list data/kinetics600/kinetics600_train_list_videos.txt \\
        --pool-labels data/labels/kinetics_600_labels.txt --subset-labels data/labels/k600_base.txt \\
        --shots 16 --seed 0 --out data/splits/k100_splits/train.txt
"""
import argparse
import os
import os.path as osp
import sys
from typing import Dict, List

import numpy as np

from ga2clip_mmaction.datasets.split_files import read_video_list
from ga2clip_mmaction.utils.io import read_class_names


def make_subset(pool_list: str, pool_labels: str, subset_labels: str, shots: int = 16,
                seed: int = 0) -> List[str]:
    """Annotation lines ``path subset_label`` with ``shots`` clips per subset class.

    Args:
        pool_list (str): Labelled list of the pool (labels index ``pool_labels``).
        pool_labels (str): Class-name file of the pool.
        subset_labels (str): Class-name file of the subset (its order defines the new labels).
        shots (int): Clips per class, drawn with ``seed``; 0 keeps all. Defaults to 16.
        seed (int): Seed. Defaults to 0.

    Returns:
        list[str]: Lines, grouped by subset class, pool order inside a class.

    Raises:
        ValueError: A subset class is not in the pool, or has fewer than ``shots`` clips.
    """
    pool = read_class_names(pool_labels)
    subset = read_class_names(subset_labels)
    pool_index = {name.strip(): i for i, name in enumerate(pool)}
    missing = [n for n in subset if n.strip() not in pool_index]
    if missing:
        raise ValueError(f'{subset_labels}: classes not in {pool_labels}: {missing[:5]}')
    new_label = {pool_index[n.strip()]: j for j, n in enumerate(subset)}
    by_class: Dict[int, List[str]] = {j: [] for j in range(len(subset))}
    for entry in read_video_list(pool_list):
        if entry.label in new_label:
            by_class[new_label[entry.label]].append(entry.path)
    rng = np.random.default_rng(seed)
    lines = []
    for j, paths in by_class.items():
        if shots and len(paths) < shots:
            raise ValueError(f'{pool_list}: class {subset[j]!r} has {len(paths)} clips, fewer than {shots}')
        if shots:
            paths = [paths[i] for i in sorted(rng.choice(len(paths), shots, replace=False))]
        lines += [f'{p} {j}' for p in paths]
    return lines


def main(argv=None) -> int:
    """Command line; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--pool-list', required=True)
    parser.add_argument('--pool-labels', required=True)
    parser.add_argument('--subset-labels', required=True)
    parser.add_argument('--shots', type=int, default=16, help='clips per class (0: all)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', required=True)
    args = parser.parse_args(argv)
    lines = make_subset(args.pool_list, args.pool_labels, args.subset_labels, args.shots, args.seed)
    os.makedirs(osp.dirname(args.out) or '.', exist_ok=True)
    with open(args.out, 'w', encoding='utf-8', newline='\n') as f:
        f.write(''.join(f'{line}\n' for line in lines))
    print(f'wrote {args.out}: {len(lines)} clips')
    return 0


if __name__ == '__main__':
    sys.exit(main())
