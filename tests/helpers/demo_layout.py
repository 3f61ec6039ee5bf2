"""A small run layout of the demo (``ga2clip_demo.run_demo``, world 0) with made-up metrics, for ``--existing-only``.

Each run folder holds what a finished run leaves and what the demo reads back: ``last_checkpoint`` naming an
existing checkpoint, MMEngine's json test log ``<ts>/<ts>.json`` with the ``b2n/`` metrics, and ``timing.json``.
Some cells are left out on purpose so the ``missing`` section is exercised. The golden tables of the
pre-refactor tool on this layout are in ``tests/data/demo_existing_only/`` (see :func:`normalise`).
"""
import json
import os
import os.path as osp
import random
import re
import zlib
from typing import Dict, Iterable, Tuple

STAMP = '20260101_000000'
#: (method, list, seed) cells the layout leaves out: ViLT-CLIP and one ablation variant stay incomplete.
LEFT_OUT = {('vilt', 3, 1), ('hard_prompt_alone', 2, 0)}
METHODS = ('ivlp', 'vilt', 'ga2clip_released', 'ga2clip', 'fusion2', 'hard_prompt_alone')


def _metrics(name: str) -> Dict[str, float]:
    rng = random.Random(zlib.crc32(name.encode()))
    base, novel = rng.randint(150, 235) / 240, rng.randint(60, 200) / 240
    return {'b2n/base_top1': base, 'b2n/novel_top1': novel, 'b2n/hm': 2 * base * novel / (base + novel),
            'b2n/all_top1': (base + novel) / 2}


def _write_run(wd: str, name: str, trained: bool) -> None:
    os.makedirs(osp.join(wd, STAMP), exist_ok=True)
    with open(osp.join(wd, STAMP, f'{STAMP}.json'), 'w') as f:
        f.write(json.dumps({'lr': 0.002, 'loss': 1.5, 'epoch': 6, 'step': 6}) + '\n')  # a train record first
        f.write(json.dumps(_metrics(name)) + '\n')
    timing = {'test': {'wall_s': 3.5, 'cpu_s': 6.25}}
    if trained:
        ckpt = osp.join(wd, 'epoch_6.pth')
        open(ckpt, 'wb').close()
        with open(osp.join(wd, 'last_checkpoint'), 'w') as f:
            f.write(ckpt)
        timing['train'] = {'wall_s': 20.0 + len(name) % 7, 'cpu_s': 35.5}
    with open(osp.join(wd, 'timing.json'), 'w') as f:
        json.dump(timing, f)


def cells(lists: Iterable[int] = (1, 2, 3), seeds: Iterable[int] = (0, 1)) -> Iterable[Tuple[str, int, int]]:
    """Every (method, list, seed) of the layout, left-out cells excluded."""
    for method in METHODS:
        for split in lists:
            for seed in seeds:
                if (method, split, seed) not in LEFT_OUT:
                    yield method, split, seed


def write_layout(work_dir: str) -> None:
    """Write the runs of world 0 under ``<work_dir>/runs``: zero-shot CLIP and the :data:`METHODS` cells."""
    runs = osp.join(work_dir, 'runs')
    _write_run(osp.join(runs, 'zero-shot'), 'zero-shot', trained=False)
    for method, split, seed in cells():
        name = f'{method}_s{split}_seed{seed}'
        _write_run(osp.join(runs, name), name, trained=True)


def normalise(text: str, work_dir: str) -> str:
    """A results md/json text without what differs between machines and sessions: the work dir's path, the
    session's seconds, torch's thread count and the hard prompt's digest (stage 1 is retrained per workspace)."""
    text = text.replace(work_dir, '<WORK_DIR>')
    text = re.sub(r'"(session_wall_s|session_cpu_s|seconds|torch_threads)": [0-9.e+-]+', r'"\1": 0', text)
    text = re.sub(r'"hard_prompt_sha256": "[0-9a-f]+"', '"hard_prompt_sha256": "-"', text)
    text = re.sub(r'torch threads \d+', 'torch threads N', text)
    return re.sub(r'this session \d+ s wall', 'this session N s wall', text)
