"""Build an anchor set (irrelevant videos) from a labelled pool such as Kinetics-600.

A pool class is excluded when it is a target class

* by name: equal after lower-casing, ``_`` -> space, and also with parenthesised parts removed
  (Kinetics-600's "changing wheel (not on bike)" is Kinetics-400's "changing wheel");
* by meaning: the cosine similarity of frozen-CLIP text features of ``template.format(name)`` with some
  target class is above ``--sim-threshold``.

Clips of the remaining classes that appear in an evaluation list are dropped (clip-id matching, see
:class:`ga2clip_mmaction.datasets.ClipIndex`), then at most ``--max-per-class`` clips per class and
``--num-videos`` clips in all are drawn with ``--seed``. Writes the list (``path pool_label``, for
``AnchorSetDataset``'s ``anchor_dataset``) and ``<out>.report.json`` (the excluded classes with their nearest
target class and similarity, and the clip counts).

Example:
    python tools/data/build_anchor_set.py --pool-list data/kinetics600/k600_train_list.txt \\
        --pool-labels data/labels/kinetics_600_labels.txt \\
        --target-labels data/labels/kinetics_400_labels.txt \\
        --eval-lists data/splits/base2novel_splits/k400_splits/base_novel_val.txt \\
        --clip-arch ViT-B-16 --clip-weights data/weights/ViT-B-16.pt --out data/anchors/k600_anchors.txt
"""
import argparse
import json
import os
import os.path as osp
import re
import sys
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from ga2clip_mmaction.datasets.split_files import ClipIndex, read_video_list
from ga2clip_mmaction.utils.io import read_class_names


def normalize_name(name: str, drop_parentheses: bool = False) -> str:
    """Canonical form of a class name for name matching.

    Args:
        name (str): Class name.
        drop_parentheses (bool): Also remove parenthesised parts. Defaults to False.

    Returns:
        str: Lower-case name, ``_`` as spaces, single spaces.
    """
    text = name.replace('_', ' ').lower()
    if drop_parentheses:
        text = re.sub(r'\([^)]*\)', ' ', text)
    return ' '.join(text.split())


def name_matches(pool: Sequence[str], target: Sequence[str]) -> Dict[str, str]:
    """Pool classes that are target classes by name.

    Args:
        pool (Sequence[str]): Pool class names.
        target (Sequence[str]): Target class names.

    Returns:
        dict[str, str]: Pool name -> the target name it matches.
    """
    keys: Dict[str, str] = {}
    for name in target:
        keys.setdefault(normalize_name(name), name)
        keys.setdefault(normalize_name(name, True), name)
    found = {}
    for name in pool:
        for key in (normalize_name(name), normalize_name(name, True)):
            if key in keys:
                found[name] = keys[key]
                break
    return found


@torch.no_grad()
def text_features(clip_cfg: dict, texts: Sequence[str], batch_size: int = 256) -> torch.Tensor:
    """L2-normalised frozen-CLIP text features.

    Args:
        clip_cfg (dict): ``dict(arch=..., weights=...)`` as in the model configs.
        texts (Sequence[str]): Prompt strings.
        batch_size (int): Texts per forward pass. Defaults to 256.

    Returns:
        Tensor: ``[len(texts), D]`` float32.
    """
    from open_clip.tokenizer import SimpleTokenizer

    from ga2clip_mmaction.models.clip_weights import build_clip
    model = build_clip(clip_cfg.get('arch'), clip_cfg.get('weights'))
    tokenizer = SimpleTokenizer(context_length=model.context_length)
    feats = [model.encode_text(tokenizer(list(texts[i:i + batch_size])))
             for i in range(0, len(texts), batch_size)]
    return torch.nn.functional.normalize(torch.cat(feats).float(), dim=-1)


def similarity(clip_cfg: dict, pool: Sequence[str], target: Sequence[str],
               template: str) -> torch.Tensor:
    """Cosine similarity ``[len(pool), len(target)]`` of the prompted class names."""
    feats = text_features(clip_cfg, [template.format(n.replace('_', ' ')) for n in [*pool, *target]])
    return feats[:len(pool)] @ feats[len(pool):].T


def select_classes(pool: Sequence[str], target: Sequence[str], sim: Optional[torch.Tensor],
                   threshold: float) -> dict:
    """Decide which pool classes may provide anchors.

    Args:
        pool (Sequence[str]): Pool class names.
        target (Sequence[str]): Target class names.
        sim (Tensor, optional): ``[len(pool), len(target)]`` similarities; None skips the CLIP test.
        threshold (float): Exclude classes whose best similarity is above it.

    Returns:
        dict: ``kept`` (pool indices), ``by_name`` and ``by_similarity`` (lists of dicts with the pool name,
        the nearest target and the similarity).
    """
    by_name = name_matches(pool, target)
    kept, excl_name, excl_sim = [], [], []
    for i, name in enumerate(pool):
        best, best_sim = None, None
        if sim is not None:
            j = int(sim[i].argmax())
            best_sim = float(sim[i, j])
            best = dict(pool=name, target=target[j], similarity=round(best_sim, 4))
        if name in by_name:
            match = dict(pool=name, target=by_name[name])
            if sim is not None:
                match['similarity'] = round(float(sim[i, list(target).index(by_name[name])]), 4)
            excl_name.append(match)
        elif best_sim is not None and best_sim > threshold:  # compare the exact value, not the rounded one
            excl_sim.append(best)
        else:
            kept.append(i)
    return dict(kept=kept, by_name=excl_name, by_similarity=excl_sim)


def select_clips(pool_list: str, kept_classes: Sequence[int], eval_lists: Sequence[str],
                 max_per_class: int = 0, num_videos: int = 0, seed: int = 0,
                 match: str = 'clip') -> dict:
    """Pick the anchor clips.

    Args:
        pool_list (str): The pool's video list (``path label``).
        kept_classes (Sequence[int]): Pool classes that may provide anchors.
        eval_lists (Sequence[str]): Evaluation lists whose clips are excluded.
        max_per_class (int): At most this many clips per class (0: all). Defaults to 0.
        num_videos (int): At most this many clips in all (0: all). Defaults to 0.
        seed (int): Seed of the random draws. Defaults to 0.
        match (str): ``'clip'`` or ``'video'`` (see ``ClipIndex``). Defaults to ``'clip'``.

    Returns:
        dict: ``clips`` (selected entries, pool order) and the counts ``pool``, ``in_kept_classes``,
        ``in_eval_lists``, ``selected``.
    """
    entries = read_video_list(pool_list)
    kept = set(kept_classes)
    candidates = [e for e in entries if e.label in kept]
    index = ClipIndex.from_files(eval_lists)
    clean = [e for e in candidates if not index.contains(e.path, match)]
    rng = np.random.default_rng(seed)
    chosen = list(range(len(clean)))
    if max_per_class:
        by_class: Dict[int, List[int]] = {}
        for i, e in enumerate(clean):
            by_class.setdefault(e.label, []).append(i)
        chosen = sorted(i for idx in by_class.values()
                        for i in (idx if len(idx) <= max_per_class
                                  else rng.choice(idx, max_per_class, replace=False).tolist()))
    if num_videos and num_videos < len(chosen):
        chosen = sorted(rng.choice(chosen, num_videos, replace=False).tolist())
    clips = [clean[i] for i in chosen]
    return dict(clips=clips, pool=len(entries), in_kept_classes=len(candidates),
                in_eval_lists=len(candidates) - len(clean), selected=len(clips))


def build(pool_list: str, pool_labels: str, target_labels: Sequence[str], out: str,
          eval_lists: Sequence[str] = (), clip_cfg: Optional[dict] = None, sim_threshold: float = 0.9,
          template: str = 'a video of a person {}.', max_per_class: int = 0, num_videos: int = 0,
          seed: int = 0, match: str = 'clip') -> dict:
    """Build the anchor list and its report (see the module docstring).

    Args:
        pool_list (str): The pool's video list.
        pool_labels (str): Class-name file of the pool.
        target_labels (Sequence[str]): Class-name files of the target dataset(s).
        out (str): Output list file; the report goes to ``<out>.report.json``.
        eval_lists (Sequence[str]): Evaluation lists. Defaults to ().
        clip_cfg (dict, optional): ``dict(arch=..., weights=...)``; None skips the similarity test.
        sim_threshold (float): Similarity above which a class is excluded. Defaults to 0.9.
        template (str): Prompt template. Defaults to ``'a video of a person {}.'``.
        max_per_class (int): Clips per class cap (0: none). Defaults to 0.
        num_videos (int): Total clip cap (0: none). Defaults to 0.
        seed (int): Seed. Defaults to 0.
        match (str): Clip matching against the evaluation lists. Defaults to ``'clip'``.

    Returns:
        dict: The report.

    Raises:
        ValueError: No pool class or clip is left.
    """
    pool = read_class_names(pool_labels)
    target = [n for f in target_labels for n in read_class_names(f)]
    sim = similarity(clip_cfg, pool, target, template) if clip_cfg else None
    classes = select_classes(pool, target, sim, sim_threshold)
    if not classes['kept']:
        raise ValueError(f'build_anchor_set: every pool class of {pool_labels} is excluded ({len(pool)} classes: '
                         f'{len(classes["by_name"])} by name, {len(classes["by_similarity"])} by similarity; lower '
                         'the similarity test?)')
    clips = select_clips(pool_list, classes['kept'], eval_lists, max_per_class, num_videos, seed, match)
    if not clips['clips']:
        raise ValueError(f'build_anchor_set: no clip of the kept classes left in {pool_list}')
    os.makedirs(osp.dirname(out) or '.', exist_ok=True)
    with open(out, 'w', encoding='utf-8', newline='\n') as f:
        f.write(''.join(f'{e.path} {e.label}\n' for e in clips['clips']))
    report = dict(
        pool_list=pool_list, pool_labels=pool_labels, target_labels=list(target_labels),
        eval_lists=list(eval_lists), clip=clip_cfg, sim_threshold=sim_threshold if clip_cfg else None,
        template=template, seed=seed, match=match,
        classes=dict(pool=len(pool), kept=len(classes['kept']),
                     excluded_by_name=classes['by_name'], excluded_by_similarity=classes['by_similarity']),
        clips={k: v for k, v in clips.items() if k != 'clips'})
    with open(out + '.report.json', 'w', encoding='utf-8') as f:
        json.dump(report, f, indent=1)
    return report


def parse_args(argv=None) -> argparse.Namespace:
    """Command line."""
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--pool-list', required=True, help='video list of the pool (path label)')
    p.add_argument('--pool-labels', required=True, help='class-name file of the pool')
    p.add_argument('--target-labels', nargs='+', required=True, help='class-name files of the target(s)')
    p.add_argument('--eval-lists', nargs='*', default=[], help='evaluation lists whose clips are excluded')
    p.add_argument('--out', required=True, help='output anchor list')
    p.add_argument('--clip-arch', default='ViT-B-16', help="open_clip arch ('GA2-Tiny-Random' for tests)")
    p.add_argument('--clip-weights', default=None, help='CLIP weight file (None: random init)')
    p.add_argument('--no-clip', action='store_true', help='skip the CLIP similarity test')
    p.add_argument('--sim-threshold', type=float, default=0.9)
    p.add_argument('--template', default='a video of a person {}.')
    p.add_argument('--max-per-class', type=int, default=0)
    p.add_argument('--num-videos', type=int, default=0)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--match', choices=['clip', 'video'], default='clip')
    return p.parse_args(argv)


def main(argv=None) -> int:
    """Build the anchor set and print a summary; returns the exit status."""
    args = parse_args(argv)
    clip_cfg = None if args.no_clip else dict(arch=args.clip_arch, weights=args.clip_weights)
    if clip_cfg and args.clip_weights is None:
        print('WARNING: no --clip-weights: the CLIP similarity test runs on random weights (tests only)')
    report = build(args.pool_list, args.pool_labels, args.target_labels, args.out, args.eval_lists,
                   clip_cfg, args.sim_threshold, args.template, args.max_per_class, args.num_videos,
                   args.seed, args.match)
    cls, clips = report['classes'], report['clips']
    print(f'classes: {cls["pool"]} in the pool, {len(cls["excluded_by_name"])} excluded by name, '
          f'{len(cls["excluded_by_similarity"])} by CLIP similarity > {args.sim_threshold}, '
          f'{cls["kept"]} kept')
    print(f'clips: {clips["pool"]} in the pool, {clips["in_kept_classes"]} in kept classes, '
          f'{clips["in_eval_lists"]} in evaluation lists (dropped), {clips["selected"]} selected')
    print(f'wrote {args.out} and {args.out}.report.json')
    return 0


if __name__ == '__main__':
    sys.exit(main())
