"""Write the synthetic video world of the embedded demo (deterministic, a few seconds).

Everything goes under ``--out`` (default ``data/synthetic``), in the formats of the real
protocols (``docs/synthetic_world.md`` lists the files)::

    pretrain/captions.tsv                       caption set of the tiny CLIP's pretraining
    labels/synth_{base,novel,all,stage1,anchor}_labels.csv    ``id,name`` class-name files
    labels/synth_generic_attributes.csv         generic attribute names (anchor prompts)
    splits/base2novel_splits/synth_splits/      base_train, fs_base_s{1,2,3}_train, base_val, novel_val,
                                                base_novel_val (both, labels in base+novel space)
    splits/stage1_splits/train.txt              hard-prompt stage (a disjoint class set)
    anchors/anchor_clips.txt                    anchor videos (``path 0``)
    videos/<role>/<class>/<k>.mp4               the clips (mp4v, decodable by decord)
    videos/captions.tsv                         one caption per clip

Usage::

    python projects/ga2clip_demo/tools/make_synthetic_videos.py [--out data/synthetic] [--seed 0] [--no-videos]

``--seed`` is the *world seed*: it draws the class habitats, the clips' free attributes, the few-shot lists
and the pixels; the class names (the roles of the colour/shape pairs) are the same in every world, because
the tiny CLIP's pretraining held out exactly the novel pairs.
"""
import argparse
import csv
import json
import os
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np

from .synthetic import render, world

ROLE_IDS = {'base': 0, 'novel': 1, 'stage1': 2, 'anchor': 3}
STAMP = 'generated.json'


def parse_args(argv: Sequence[str] = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description='Write the synthetic video world.')
    p.add_argument('--out', default='data/synthetic', help='output folder')
    p.add_argument('--seed', type=int, default=0, help='seed of every random choice')
    p.add_argument('--frames', type=int, default=8, help='frames per clip')
    p.add_argument('--size', type=int, default=64, help='frame side in pixels')
    p.add_argument('--shots', type=int, default=16, help='shots per base class in fs lists')
    p.add_argument('--base-pool', type=int, default=24, help='train clips per base class')
    p.add_argument('--val-per-class', type=int, default=20, help='base_val/novel_val clips per class')
    p.add_argument('--stage1-per-class', type=int, default=16, help='stage-1 train clips per class')
    p.add_argument('--anchors-per-class', type=int, default=12, help='anchor clips per anchor class')
    p.add_argument('--habitat-prob', type=float, default=0.8,
                   help='probability that a clip shows its class habitat (background, texture, size); '
                   'otherwise those attributes are drawn uniformly (see docs/synthetic_world.md)')
    p.add_argument('--no-videos', dest='videos', action='store_false',
                   help='write the annotation and class-name files only (they do not depend on the clips; '
                   'enough to check a world\'s hashes, projects/ga2clip_demo/ga2clip_demo/synthetic/hashes.py)')
    p.add_argument('--force', action='store_true', help='rewrite even if the stamp matches')
    return p.parse_args(argv)


def write_label_csv(path: str, names: Sequence[str]) -> None:
    """Write an ``id,name`` class-name file (header, LF endings)."""
    with open(path, 'w', newline='', encoding='utf-8') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(('id', 'name'))
        for i, n in enumerate(names):
            w.writerow((i, n))


def write_list(path: str, rows: Sequence[Tuple[str, int]]) -> None:
    """Write a ``relative/path label`` list."""
    with open(path, 'w', encoding='utf-8') as f:
        f.writelines(f'{p} {label}\n' for p, label in rows)


def write_video(path: str, frames: np.ndarray, fps: int = 8) -> None:
    """Write RGB frames ``[T, H, W, 3]`` as an mp4v mp4.

    Raises:
        RuntimeError: OpenCV cannot open the writer (the message names the file).
    """
    h, w = frames.shape[1:3]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps, (w, h))
    if not writer.isOpened():
        raise RuntimeError(f'cv2.VideoWriter cannot write {path}')
    for f in frames:
        writer.write(np.ascontiguousarray(f[..., ::-1]))
    writer.release()


def class_dir(colour: str, shape: str) -> str:
    """Folder name of a class, e.g. ``red_circle``."""
    return f'{colour}_{shape}'


def make_clips(args: argparse.Namespace, role: str, index_range: range,
               videos: Dict[str, world.Attributes]) -> List[List[Tuple[str, int]]]:
    """Plan the clips of every class of a role (rendering happens later).

    Args:
        args (argparse.Namespace): Options.
        role (str): Role of the classes.
        index_range (range): Clip indices (disjoint ranges give disjoint clip sets).
        videos (dict): Filled with ``relative path -> attributes`` of every planned clip.

    Returns:
        list[list[tuple[str, int]]]: Per class, its ``(relative path, label)`` rows.
    """
    out = []
    habitats = world.class_habitats(role, args.seed)
    for label, (colour, shape) in enumerate(world.role_pairs(role)):
        rows = []
        for k in index_range:
            rng = np.random.default_rng([args.seed, ROLE_IDS[role], label, k])
            rel = f'{role}/{class_dir(colour, shape)}/{k:04d}.mp4'
            videos[rel] = world.sample_nuisance(rng, colour, shape, habitat=habitats[label],
                                                habitat_prob=args.habitat_prob)
            rows.append((rel, label))
        out.append(rows)
    return out


def generate(args: argparse.Namespace) -> Dict[str, int]:
    """Write the whole world; return how many files of each kind were written."""
    root = args.out
    settings = {k: v for k, v in vars(args).items() if k not in ('out', 'force')}
    if settings['videos']:
        del settings['videos']  # the stamp of a full world stays what it was before --no-videos existed
    stamp = osp.join(root, STAMP)
    if not args.force and osp.isfile(stamp):
        with open(stamp) as f:
            if json.load(f).get('settings') == settings:
                print(f'{root}: already generated with these settings (use --force to rewrite)')
                return {}
    b2n = osp.join(root, 'splits', 'base2novel_splits', 'synth_splits')
    for d in (osp.join(root, 'pretrain'), osp.join(root, 'labels'), b2n,
              osp.join(root, 'splits', 'stage1_splits'), osp.join(root, 'anchors'),
              osp.join(root, 'videos')):
        os.makedirs(d, exist_ok=True)

    with open(osp.join(root, 'pretrain', 'captions.tsv'), 'w', newline='', encoding='utf-8') as f:
        w = csv.writer(f, delimiter='\t', lineterminator='\n')
        w.writerow(('caption', ) + world.CAPTION_FIELDS)
        for cap, con in world.pretrain_captions():
            w.writerow([cap] + [con[k] or '-' for k in world.CAPTION_FIELDS])

    names = {r: [f'{c} {s}' for c, s in world.role_pairs(r)] for r in ROLE_IDS}
    labels = osp.join(root, 'labels')
    write_label_csv(osp.join(labels, 'synth_base_labels.csv'), names['base'])
    write_label_csv(osp.join(labels, 'synth_novel_labels.csv'), names['novel'])
    write_label_csv(osp.join(labels, 'synth_all_labels.csv'), names['base'] + names['novel'])
    write_label_csv(osp.join(labels, 'synth_stage1_labels.csv'), names['stage1'])
    write_label_csv(osp.join(labels, 'synth_anchor_labels.csv'), names['anchor'])
    write_label_csv(osp.join(labels, 'synth_generic_attributes.csv'), world.GENERIC_ATTRIBUTES)

    videos: Dict[str, world.Attributes] = {}
    base_pool = make_clips(args, 'base', range(args.base_pool), videos)
    write_list(osp.join(b2n, 'base_train.txt'), [r for rows in base_pool for r in rows])
    for s in (1, 2, 3):
        rng = np.random.default_rng([args.seed, 100 + s])
        fs = []
        for rows in base_pool:
            pick = sorted(rng.choice(len(rows), size=min(args.shots, len(rows)), replace=False))
            fs.extend(rows[i] for i in pick)
        write_list(osp.join(b2n, f'fs_base_s{s}_train.txt'), fs)
    val_range = range(1000, 1000 + args.val_per_class)
    base_val = [r for rows in make_clips(args, 'base', val_range, videos) for r in rows]
    novel_val = [r for rows in make_clips(args, 'novel', val_range, videos) for r in rows]
    write_list(osp.join(b2n, 'base_val.txt'), base_val)
    write_list(osp.join(b2n, 'novel_val.txt'), novel_val)
    # The one-pass test list: labels in the index space of `base names + novel names`.
    num_base = len(world.role_pairs('base'))
    write_list(osp.join(b2n, 'base_novel_val.txt'),
               base_val + [(p, label + num_base) for p, label in novel_val])
    write_list(osp.join(root, 'splits', 'stage1_splits', 'train.txt'),
               [r for rows in make_clips(args, 'stage1', range(args.stage1_per_class), videos)
                for r in rows])
    anchors = make_clips(args, 'anchor', range(args.anchors_per_class), videos)
    # Interleave classes so that the first n anchor clips cover as many classes as possible.
    interleaved = [rows[k] for k in range(args.anchors_per_class) for rows in anchors]
    write_list(osp.join(root, 'anchors', 'anchor_clips.txt'), [(p, 0) for p, _ in interleaved])

    with open(osp.join(root, 'videos', 'captions.tsv'), 'w', encoding='utf-8') as f:
        f.write('path\tcaption\n')
        f.writelines(f'{rel}\t{a.caption()}\n' for rel, a in sorted(videos.items()))
    for rel, attrs in sorted(videos.items()) if args.videos else ():
        path = osp.join(root, 'videos', rel)
        os.makedirs(osp.dirname(path), exist_ok=True)
        rng = np.random.default_rng([args.seed, 7, *map(ord, rel)])
        write_video(path, render.render_video(attrs, args.frames, args.size, rng))
    with open(stamp, 'w') as f:
        json.dump(dict(settings=settings, videos=len(videos)), f, indent=2, sort_keys=True)
    return dict(videos=len(videos))


def main(argv: Sequence[str] = None) -> None:
    """Entry point."""
    args = parse_args(argv)
    counts = generate(args)
    if counts:
        what = f'{counts["videos"]} clips and ' if args.videos else 'no clips (--no-videos), only '
        print(f'wrote {what}the annotation files under {args.out}')


if __name__ == '__main__':
    main()
