"""The embedded demo: GA2-CLIP base-to-novel on the synthetic world with the tiny CLIP, on a CPU.

``make demo`` runs this script. Steps (each skipped when its output exists, unless ``--force``):

1. write the synthetic world under ``<workspace>/data/synthetic`` (tools/data/make_synthetic_videos.py);
2. stage 1: IVLP prompt tuning on a disjoint class set (configs/ga2clip_b2n_demo_stage1.py), then its
   layer-0 text context becomes the hard prompt (tools/data/extract_hard_prompt.py);
3. zero-shot CLIP on base_val + novel_val (frozen towers, prompt ``"a video of a {}."``);
4. IVLP (configs/ga2clip_b2n_demo_ivlp.py) and GA2-CLIP (configs/ga2clip_b2n_demo.py): train with
   tools/train.py, test with tools/test.py;
5. print base / novel / HM of the three and write them to ``<work-dir>/results.{json,md}``.

Usage::

    python tools/run_demo.py                   # the README's main job (a few minutes on 2 cores)
    python tools/run_demo.py --methods zero-shot,ga2clip    # without the IVLP baseline (the test)
    python tools/run_demo.py --methods ga2clip --work-dir work_dirs/demo_negative \
        --cfg-options model.anchor_loss.mode=negative    # a variant (see docs/synthetic_world.md)
"""
import argparse
import glob
import json
import logging
import math
import os
import os.path as osp
import subprocess
import sys
import time
import warnings
from typing import Dict, List, Optional, Sequence

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

CONFIGS = {
    'stage1': osp.join(REPO, 'configs', 'ga2clip_b2n_demo_stage1.py'),
    'ivlp': osp.join(REPO, 'configs', 'ga2clip_b2n_demo_ivlp.py'),
    'ga2clip': osp.join(REPO, 'configs', 'ga2clip_b2n_demo.py'),
}
DATA = osp.join('data', 'synthetic')
HARD_PROMPT = osp.join(DATA, 'hard_prompts', 'stage1_ctx.pt')
ZERO_SHOT_TEMPLATE = 'a video of a {}.'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description='GA2-CLIP demo on the synthetic world (CPU).')
    p.add_argument('--workspace', default=REPO,
                   help='folder that holds data/synthetic (relative paths of the configs)')
    p.add_argument('--work-dir', default=None, help='outputs (default <workspace>/work_dirs/demo)')
    p.add_argument('--epochs', type=int, default=None, help='epochs of IVLP and GA2-CLIP')
    p.add_argument('--stage1-epochs', type=int, default=None, help='epochs of stage 1')
    p.add_argument('--methods', default='zero-shot,ivlp,ga2clip',
                   help='comma-separated subset of zero-shot, ivlp, ga2clip')
    p.add_argument('--split', type=int, default=1, choices=(1, 2, 3),
                   help='few-shot training list fs_base_s<N>_train.txt of IVLP and GA2-CLIP')
    p.add_argument('--force', action='store_true', help='redo every step')
    p.add_argument('--cfg-options', nargs='*', default=[],
                   help='extra key=value overrides for the IVLP and GA2-CLIP runs')
    return p.parse_args(argv)


def run(cmd: List[str], cwd: str, log: str) -> None:
    """Run a command, its output into ``log``; on failure print the log tail and stop.

    Raises:
        RuntimeError: The command failed.
    """
    with open(log, 'w') as f:
        rc = subprocess.call(cmd, cwd=cwd, stdout=f, stderr=subprocess.STDOUT)
    if rc != 0:
        with open(log) as f:
            tail = f.read()[-4000:]
        raise RuntimeError(f'`{" ".join(cmd)}` failed (exit {rc}); log {log}:\n{tail}')


def latest_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint named by MMEngine's ``last_checkpoint`` file, or None."""
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        return None
    with open(marker) as f:
        path = f.read().strip()
    return path if osp.isfile(path) else None


def read_test_metrics(work_dir: str) -> Dict[str, float]:
    """Metrics of the latest ``tools/test.py`` run in ``work_dir`` (MMEngine's json log).

    Raises:
        FileNotFoundError: No test log with ``b2n/`` metrics.
    """
    for log in sorted(glob.glob(osp.join(work_dir, '*', '*.json')), reverse=True):
        with open(log) as f:
            for line in f:
                rec = json.loads(line)
                if any(k.startswith('b2n/') for k in rec):
                    return {k: float(v) for k, v in rec.items() if k.startswith('b2n/')}
    raise FileNotFoundError(f'No base-to-novel test metrics under {work_dir}')


def train_and_test(name: str, work_dir: str, workspace: str, epochs: Optional[int],
                   extra: Sequence[str], force: bool, test: bool = True) -> Optional[Dict[str, float]]:
    """Train one config with tools/train.py and test its last checkpoint with tools/test.py."""
    wd = osp.join(work_dir, name)
    os.makedirs(wd, exist_ok=True)
    opts = list(extra)
    if epochs is not None:
        opts += [f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs + 1}',
                 f'default_hooks.checkpoint.interval={epochs}',
                 f'param_scheduler.1.T_max={max(epochs - 1, 1)}', f'param_scheduler.1.end={epochs}']
    ckpt = None if force else latest_checkpoint(wd)
    if ckpt is None:
        t0 = time.time()
        cmd = [sys.executable, osp.join(REPO, 'tools', 'train.py'), CONFIGS[name], '--work-dir', wd]
        run(cmd + (['--cfg-options'] + opts if opts else []), workspace, osp.join(wd, 'train.log'))
        ckpt = latest_checkpoint(wd)
        print(f'[demo] {name}: trained in {time.time() - t0:.0f} s -> {ckpt}', flush=True)
    if not test:
        return None
    t0 = time.time()
    cmd = [sys.executable, osp.join(REPO, 'tools', 'test.py'), CONFIGS[name], ckpt, '--work-dir', wd]
    run(cmd + (['--cfg-options'] + list(extra) if extra else []), workspace, osp.join(wd, 'test.log'))
    print(f'[demo] {name}: tested in {time.time() - t0:.0f} s', flush=True)
    return read_test_metrics(wd)


def zero_shot(workspace: str) -> Dict[str, float]:
    """Zero-shot CLIP on the demo's test set: frozen towers, mean frame features, a fixed template.

    Uses the GA2-CLIP demo config's model (its prompt-free image tower and frozen text tower) and test
    dataloader, and scores with the same :func:`base_novel_accuracy` as ``BaseNovelMetric``.

    Args:
        workspace (str): Folder holding ``data/synthetic``.

    Returns:
        dict[str, float]: ``b2n/base_top1``, ``b2n/novel_top1``, ``b2n/hm``, ... as the metric reports them.
    """
    import numpy as np
    import torch
    import torch.nn.functional as F
    warnings.filterwarnings('ignore', message='Fail to import ``MultiScaleDeformableAttention``')
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    import ga2clip_mmaction  # noqa: F401
    from ga2clip_mmaction.evaluation.metrics.base_novel_metric import base_novel_accuracy
    from ga2clip_mmaction.utils.io import read_class_names
    from mmaction.registry import MODELS

    cwd = os.getcwd()
    os.chdir(workspace)
    root_logger = logging.getLogger()
    level = root_logger.level
    try:
        cfg = Config.fromfile(CONFIGS['ivlp'])
        init_default_scope('mmaction')
        root_logger.setLevel(logging.ERROR)  # open_clip's "no pretrained weights" note: ours come next
        model = MODELS.build(cfg.model).eval()
        root_logger.setLevel(level)
        names = read_class_names(cfg.custom_hooks[0].test[0]) + read_class_names(cfg.custom_hooks[0].test[1])
        loader = Runner.build_dataloader(cfg.test_dataloader)
        scores, labels = [], []
        with torch.no_grad():
            text = F.normalize(model.cls_head.text.encode_text(
                [ZERO_SHOT_TEMPLATE.format(n) for n in names]), dim=-1)
            for batch in loader:
                data = model.data_preprocessor(batch, False)
                emb = F.normalize(model.embed(data['inputs'], prompts=False).mean(dim=1), dim=-1)
                scores.append((emb @ text.t()).numpy())
                labels += [int(s.gt_label) for s in data['data_samples']]
    finally:
        root_logger.setLevel(level)
        os.chdir(cwd)
    metrics = base_novel_accuracy(np.concatenate(scores), np.array(labels),
                                  num_base_classes=cfg.test_evaluator.num_base_classes)
    return {f'b2n/{k}': v for k, v in metrics.items()}


def format_table(results: Dict[str, Dict[str, float]]) -> str:
    """Markdown table of base / novel / HM top-1 (percent)."""
    lines = ['| method | base | novel | HM |', '|---|---|---|---|']
    for name, m in results.items():
        lines.append(f'| {name} | {100 * m["b2n/base_top1"]:.1f} | {100 * m["b2n/novel_top1"]:.1f} | '
                     f'{100 * m["b2n/hm"]:.1f} |')
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Dict[str, float]]:
    """Run the demo; return ``{method: metrics}``."""
    args = parse_args(argv)
    workspace = osp.abspath(args.workspace)
    work_dir = osp.abspath(args.work_dir or osp.join(workspace, 'work_dirs', 'demo'))
    os.makedirs(work_dir, exist_ok=True)
    epochs, stage1_epochs = args.epochs, args.stage1_epochs
    methods = args.methods.split(',')
    unknown = set(methods) - {'zero-shot', 'ivlp', 'ga2clip'}
    if unknown:
        raise ValueError(f'--methods: unknown {sorted(unknown)}; choose from zero-shot, ivlp, ga2clip')
    t_start = time.time()

    gen = [sys.executable, osp.join(REPO, 'tools', 'data', 'make_synthetic_videos.py'), '--out', DATA]
    run(gen, workspace, osp.join(work_dir, 'generate.log'))
    print(f'[demo] data ready under {osp.join(workspace, DATA)}', flush=True)

    hard_prompt = osp.join(workspace, HARD_PROMPT)
    if 'ga2clip' in methods and (args.force or not osp.isfile(hard_prompt)):
        train_and_test('stage1', work_dir, workspace, stage1_epochs, [], args.force, test=False)
        os.makedirs(osp.dirname(hard_prompt), exist_ok=True)
        run([sys.executable, osp.join(REPO, 'tools', 'data', 'extract_hard_prompt.py'),
             latest_checkpoint(osp.join(work_dir, 'stage1')), hard_prompt], workspace,
            osp.join(work_dir, 'extract_hard_prompt.log'))
    print(f'[demo] hard prompt: {hard_prompt}', flush=True)

    results: Dict[str, Dict[str, float]] = {}
    if 'zero-shot' in methods:
        t0 = time.time()
        results['zero-shot CLIP'] = zero_shot(workspace)
        print(f'[demo] zero-shot: tested in {time.time() - t0:.0f} s', flush=True)
    for key, name in (('ivlp', 'IVLP'), ('ga2clip', 'GA2-CLIP')):
        if key in methods:
            # GA2-CLIP's training set is wrapped in AnchorSetDataset, IVLP's is not.
            ann_key = 'train_dataloader.dataset.' + ('dataset.' if key == 'ga2clip' else '') + 'ann_file'
            split = [f'{ann_key}={DATA}/splits/base2novel_splits/synth_splits/fs_base_s{args.split}_train.txt']
            results[name] = train_and_test(key, work_dir, workspace, epochs, split + args.cfg_options,
                                           args.force)
    for name, m in results.items():
        bad = [k for k, v in m.items() if not math.isfinite(v)]
        if bad:
            raise RuntimeError(f'{name}: non-finite metrics {bad}')
    table = format_table(results)
    with open(osp.join(work_dir, 'results.json'), 'w') as f:
        json.dump(results, f, indent=2)
    with open(osp.join(work_dir, 'results.md'), 'w') as f:
        f.write(table + '\n')
    print(f'\nBase-to-novel top-1 (%) on the synthetic world, tiny CLIP, CPU '
          f'({time.time() - t_start:.0f} s in all):\n{table}\n(results in {work_dir})', flush=True)
    return results


if __name__ == '__main__':
    main()
