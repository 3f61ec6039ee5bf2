"""Contrastive pretraining of the tiny CLIP (``GA2-Tiny``) on the synthetic world, on CPU.

Images are drawn on the fly (one object per 64 x 64 image) for the colour/shape pairs that the
caption set names; held-out pairs (the novel classes) appear neither in captions nor in images.
A share of the images shows neutral-grey objects of every shape, matched only by captions that name
no colour ("a star"): without them the tiny model ties each shape word to the colours it was seen
with and cannot name the shape of an unseen composition.
Every caption in a batch that is true of an image counts as its positive (the caption set is
small, so a batch repeats captions and attribute phrases such as ``"a red object"``).

Reproduce the committed weights (about 15 minutes on 2 CPU cores)::

    python projects/ga2clip_demo/tools/make_synthetic_videos.py
    python projects/ga2clip_demo/tools/pretrain_tiny_clip.py --out projects/ga2clip_demo/assets/GA2-Tiny.pt

The weights are saved as an fp16 open_clip state dict (``torch.save(model.state_dict())``).
"""
import argparse
import csv
import json
import math
import os
import os.path as osp
import time
from itertools import product
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F

import ga2clip_mmaction  # noqa: F401  (registers the GA2-Tiny open_clip config)
from .synthetic import render, world

CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--captions', default='data/synthetic/pretrain/captions.tsv',
                   help='caption set written by projects/ga2clip_demo/tools/make_synthetic_videos.py')
    p.add_argument('--out', default='work_dirs/tiny_clip/GA2-Tiny.pt', help='output weights')
    p.add_argument('--arch', default='GA2-Tiny', help='open_clip model name')
    p.add_argument('--steps', type=int, default=700)
    p.add_argument('--batch-size', type=int, default=256)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--weight-decay', type=float, default=0.1)
    p.add_argument('--warmup', type=int, default=50)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--neutral-fraction', type=float, default=0.25,
                   help='share of neutral-grey objects (captions name their shape, no colour)')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--eval-images', type=int, default=20, help='test images per pair')
    p.add_argument('--snapshot-every', type=int, default=100,
                   help='also save the current weights every N steps (0: never)')
    return p.parse_args()


def read_captions(path: str) -> Tuple[List[str], List[Dict[str, Optional[str]]]]:
    """Read the caption set (tab-separated, header ``caption`` + attribute fields, ``-`` = unnamed).

    Args:
        path (str): Caption file.

    Returns:
        tuple[list[str], list[dict]]: Captions and their attribute constraints.

    Raises:
        FileNotFoundError: The file is missing.
        ValueError: The header is not the expected one (the message names the file).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path} not found; write it with `python projects/ga2clip_demo/tools/make_synthetic_videos.py`')
    with open(path, newline='', encoding='utf-8') as f:
        rows = list(csv.reader(f, delimiter='\t'))
    header = ('caption', ) + world.CAPTION_FIELDS
    if tuple(rows[0]) != header:
        raise ValueError(f'{path}:1: expected header {header}, got {rows[0]}')
    caps, cons = [], []
    for row in rows[1:]:
        caps.append(row[0])
        cons.append({k: (None if v == '-' else v) for k, v in zip(world.CAPTION_FIELDS, row[1:])})
    return caps, cons


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 ``[N, H, W, 3]`` -> CLIP-normalised float ``[N, 3, H, W]``."""
    x = (images.astype(np.float32) / 255. - CLIP_MEAN) / CLIP_STD
    return torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()


def multi_positive_loss(logits: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
    """Symmetric contrastive loss where several entries of a row/column may be positive.

    Args:
        logits (torch.Tensor): ``[B, U]`` scaled image-caption similarities.
        pos (torch.Tensor): ``[B, U]`` bool, caption ``u`` is true of image ``b``.

    Returns:
        torch.Tensor: Mean of the image->text and text->image terms, each
        ``-log(sum of the softmax mass on positives)``.
    """
    neg_inf = torch.finfo(logits.dtype).min
    pos_logits = logits.masked_fill(~pos, neg_inf)
    i2t = torch.logsumexp(logits, 1) - torch.logsumexp(pos_logits, 1)
    t2i = torch.logsumexp(logits, 0) - torch.logsumexp(pos_logits, 0)
    return 0.5 * (i2t.mean() + t2i.mean())


@torch.no_grad()
def evaluate(model, tokenizer, pairs: List[Tuple[str, str]], n: int, seed: int) -> float:
    """Zero-shot image accuracy among ``pairs`` (prompt ``"a photo of a {class}."``).

    Args:
        model: open_clip model.
        tokenizer: Its tokenizer.
        pairs (list[tuple[str, str]]): Classes.
        n (int): Images per class.
        seed (int): Seed of the test images.

    Returns:
        float: Top-1 accuracy.
    """
    model.eval()
    rng = np.random.default_rng(seed)
    text = model.encode_text(tokenizer([f'a photo of a {c} {s}.' for c, s in pairs]), normalize=True)
    correct = 0
    for k, (c, s) in enumerate(pairs):
        imgs = np.stack([render.render_image(world.sample_nuisance(rng, c, s, False), 64, rng)
                         for _ in range(n)])
        feats = model.encode_image(to_tensor(imgs), normalize=True)
        correct += int(((feats @ text.T).argmax(1) == k).sum())
    model.train()
    return correct / (n * len(pairs))


def save_weights(model: torch.nn.Module, path: str) -> None:
    """Save an fp16 open_clip state dict."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    torch.save({k: v.detach().half() for k, v in model.state_dict().items()}, path)


def main() -> None:
    """Train, evaluate, save."""
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    import open_clip
    model = open_clip.create_model(args.arch)
    tokenizer = open_clip.get_tokenizer(args.arch)
    image_size = model.visual.image_size[0] if isinstance(model.visual.image_size, tuple) \
        else model.visual.image_size
    captions, constraints = read_captions(args.captions)
    pairs = sorted({(c['colour'], c['shape']) for c in constraints
                    if c['colour'] is not None and c['shape'] is not None})
    # Objects of the captioned pairs, plus neutral-grey objects of every shape (captioned by shape only).
    neutral_pairs = [(world.NEUTRAL, s) for s in world.SHAPES]
    objects = [world.Attributes(c, s, size=z, texture=t, background=b)
               for (c, s), z, t, b in product(pairs + neutral_pairs, world.SIZES, world.TEXTURES,
                                              world.BACKGROUNDS)]
    is_neutral = np.array([o.colour == world.NEUTRAL for o in objects])
    weights = np.where(is_neutral, args.neutral_fraction / is_neutral.sum(),
                       (1 - args.neutral_fraction) / (~is_neutral).sum())
    match = np.array([[world.caption_matches(con, o) for con in constraints] for o in objects])
    matching = [np.flatnonzero(row) for row in match]
    tokens = tokenizer(captions)
    print(f'{len(captions)} captions, {len(pairs)} pairs, {len(objects)} object kinds', flush=True)

    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and 'embedding' not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and 'embedding' not in n)]
    opt = torch.optim.AdamW([dict(params=decay, weight_decay=args.weight_decay),
                             dict(params=no_decay, weight_decay=0.)], lr=args.lr)

    def lr_at(step: int) -> float:
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        t = (step - args.warmup) / max(1, args.steps - args.warmup)
        return args.lr * 0.5 * (1 + math.cos(math.pi * t))

    novel = world.role_pairs('novel')
    t0 = time.time()
    model.train()
    for step in range(args.steps):
        obj_idx = rng.choice(len(objects), size=args.batch_size, p=weights)
        imgs = np.stack([render.render_image(objects[i], image_size, rng) for i in obj_idx])
        cap_idx = np.array([rng.choice(matching[i]) for i in obj_idx])
        uniq = np.unique(cap_idx)
        pos = torch.from_numpy(match[obj_idx][:, uniq])
        for g in opt.param_groups:
            g['lr'] = lr_at(step)
        img_f = model.encode_image(to_tensor(imgs), normalize=True)
        txt_f = model.encode_text(tokens[torch.from_numpy(uniq)], normalize=True)
        logits = model.logit_scale.exp() * img_f @ txt_f.T
        loss = multi_positive_loss(logits, pos)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        if args.snapshot_every and step and step % args.snapshot_every == 0:
            save_weights(model, osp.splitext(args.out)[0] + '.snapshot.pt')
        if step % 25 == 0 or step == args.steps - 1:
            print(f'step {step} loss {loss.item():.4f} scale {model.logit_scale.exp().item():.1f} '
                  f'lr {lr_at(step):.2e} {time.time() - t0:.0f}s', flush=True)
    seen = list(pairs)
    metrics = dict(
        seen_pairs_acc=evaluate(model, tokenizer, seen, args.eval_images, 12345),
        base_pairs_acc=evaluate(model, tokenizer, world.role_pairs('base'), args.eval_images, 12345),
        novel_pairs_acc=evaluate(model, tokenizer, novel, args.eval_images, 12345),
        all_pairs_acc_on_novel=None,
        train_seconds=round(time.time() - t0, 1))
    all_pairs = sorted(set(seen) | set(novel))
    model.eval()
    with torch.no_grad():
        text = model.encode_text(tokenizer([f'a photo of a {c} {s}.' for c, s in all_pairs]),
                                 normalize=True)
        ev = np.random.default_rng(12345)
        correct = 0
        for c, s in novel:
            imgs = np.stack([render.render_image(world.sample_nuisance(ev, c, s, False), image_size, ev)
                             for _ in range(args.eval_images)])
            pred = (model.encode_image(to_tensor(imgs), normalize=True) @ text.T).argmax(1)
            correct += int((pred == all_pairs.index((c, s))).sum())
        metrics['all_pairs_acc_on_novel'] = correct / (args.eval_images * len(novel))
    print(json.dumps(metrics), flush=True)
    save_weights(model, args.out)
    with open(osp.splitext(args.out)[0] + '.json', 'w') as f:
        json.dump(dict(metrics, args=vars(args)), f, indent=2)
    print(f'saved {args.out} ({osp.getsize(args.out) / 2**20:.1f} MiB)', flush=True)


if __name__ == '__main__':
    main()
