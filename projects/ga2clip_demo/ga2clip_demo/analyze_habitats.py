"""Where novel accuracy is lost on the synthetic world: clips in their class habitat vs the rest.

Every class of the world has a habitat (background, texture, size) that most of its clips show, and each
novel class shares its habitat with one base class (docs/synthetic_world.md). Prompts tuned on base
classes that latch onto the habitat then mislead on novel clips *in* their habitat, while clips drawn
outside it keep their accuracy. This tool reports novel-only top-1 (12-way, as ``BaseNovelMetric``)
on both groups for zero-shot CLIP and for any trained checkpoints.

Example (in the folder that holds data/synthetic)::

    python projects/ga2clip_demo/tools/analyze_habitats.py --zero-shot \\
        --checkpoints work_dirs/demo/runs/ivlp_s1_seed0/epoch_6.pth work_dirs/demo/runs/ivlp_s2_seed0/epoch_6.pth
"""
import argparse
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))  # the repository

DATA = osp.join('data', 'synthetic')
SPLITS = osp.join(DATA, 'splits', 'base2novel_splits', 'synth_splits')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description='Novel accuracy in and out of the class habitats.')
    p.add_argument('--config', default=osp.join(REPO, 'configs', 'ga2clip_b2n_demo_ivlp.py'),
                   help='config whose test dataloader (base_novel_val) and model are used')
    p.add_argument('--checkpoints', nargs='*', default=[],
                   help='trained checkpoints of that config family; CKPT@CONFIG for a checkpoint of another config '
                   '(e.g. a GA2-CLIP or ViLT-CLIP run beside IVLP ones: the test set is the same)')
    p.add_argument('--zero-shot', action='store_true', help='also score zero-shot CLIP')
    p.add_argument('--template', default='a video of a {}.', help='zero-shot prompt template')
    p.add_argument('--out', default=None, help='also write the results (and the world seed) to this JSON file')
    return p.parse_args(argv)


def world_seed(data: str = DATA) -> int:
    """The world seed of the world in ``data`` (its ``generated.json``; 0 when the stamp has none)."""
    with open(osp.join(data, 'generated.json')) as f:
        return int(json.load(f)['settings'].get('seed', 0))


def habitat_split(scores: np.ndarray, labels: np.ndarray, paths: List[str], captions: Dict[str, str],
                  num_base: int, seed: int = 0) -> Dict[str, float]:
    """Novel-only top-1 over all novel clips, those in their class habitat and the others.

    Args:
        scores (np.ndarray): ``[N, base + novel]`` scores of ``base_novel_val`` (base classes first).
        labels (np.ndarray): ``[N]`` labels in the same space.
        paths (list[str]): ``[N]`` clip paths relative to the video folder.
        captions (dict[str, str]): ``path -> caption`` (``videos/captions.tsv``).
        num_base (int): Number of base classes.
        seed (int): World seed (the habitats are drawn from it). Defaults to 0.

    Returns:
        dict[str, float]: ``novel``, ``in_habitat``, ``off_habitat`` accuracies and ``n_in``, ``n_off``.
    """
    from .synthetic import world
    habitats = world.class_habitats('novel', seed)
    novel = labels >= num_base
    pred = scores[novel][:, num_base:].argmax(1)
    truth = labels[novel] - num_base
    inside = np.array([tuple(getattr(world.parse_caption(captions[p]), f) for f in world.HABITAT_FIELDS)
                       == habitats[t] for p, t in zip(np.asarray(paths)[novel], truth)])
    ok = pred == truth
    return dict(novel=float(ok.mean()), in_habitat=float(ok[inside].mean()) if inside.any() else float('nan'),
                off_habitat=float(ok[~inside].mean()) if (~inside).any() else float('nan'),
                n_in=int(inside.sum()), n_off=int((~inside).sum()))


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Dict[str, float]]:
    """Score the models, print one line each; return ``{name: habitat_split(...)}``."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    import ga2clip_mmaction  # noqa: F401
    from ga2clip_mmaction.datasets.split_files import read_video_list
    from ga2clip_mmaction.evaluation.clip_zero_shot import clip_zero_shot_scores
    from ga2clip_mmaction.utils.io import read_class_names
    from mmaction.registry import MODELS
    from tools.infer import build_model

    args = parse_args(argv)
    if not (args.zero_shot or args.checkpoints):
        raise SystemExit('Nothing to score: give --zero-shot and/or --checkpoints')
    cfg = Config.fromfile(args.config)
    init_default_scope('mmaction')
    base = read_class_names(cfg.custom_hooks[0].test[0])
    names = base + read_class_names(cfg.custom_hooks[0].test[1])
    entries = read_video_list(osp.join(SPLITS, 'base_novel_val.txt'))
    with open(osp.join(DATA, 'videos', 'captions.tsv'), encoding='utf-8') as f:
        captions = dict(line.rstrip('\n').split('\t') for line in list(f)[1:])
    paths = [e.path for e in entries]
    loader = list(Runner.build_dataloader(cfg.test_dataloader))  # decoded once, scored by every model
    seed = world_seed()
    out = {}
    if args.zero_shot:
        scores, labels = clip_zero_shot_scores(MODELS.build(cfg.model), loader, names, args.template)
        out['zero-shot CLIP'] = habitat_split(scores, labels, paths, captions, len(base), seed)
    for entry in args.checkpoints:
        ckpt, _, config = entry.partition('@')
        model = build_model(Config.fromfile(config) if config else cfg.copy(), ckpt, 'cpu')
        model.cls_head.set_class_names(names)
        scores, labels = [], []
        with torch.no_grad():
            for batch in loader:
                for sample in model.test_step(batch):
                    scores.append(sample.pred_score.float().numpy())
                    labels.append(int(sample.gt_label))
        out[entry] = habitat_split(np.stack(scores), np.array(labels), paths, captions, len(base), seed)
    for name, m in out.items():
        print(f'{name}: novel {100 * m["novel"]:.1f} | in habitat {100 * m["in_habitat"]:.1f} '
              f'({m["n_in"]} clips) | off habitat {100 * m["off_habitat"]:.1f} ({m["n_off"]} clips)')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(world_seed=seed, results=out), f, indent=2)
    return out


if __name__ == '__main__':
    main()
