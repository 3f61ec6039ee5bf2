"""Premise calibration on the declared pilot worlds (docs/results/calibration.md): zero-shot CLIP and IVLP only.

For each (habitat probability, pilot world) in setting-major order: write the world with that
``--habitat-prob``, test zero-shot CLIP once, train and test IVLP on few-shot list 1, training seed 0, and append
one record to ``<work-dir>/calibration.jsonl``. Steps whose output exists are reused (the demo's own steps, run
locks included, so two processes on one work dir share the pairs).

It ran at commit 24c1a61 (the layout before issue 27's move); this is the same code on the new layout.

Usage::

    OMP_NUM_THREADS=1 nice -n 15 python docs/results/calibrate_premise.py --work-dir work_dirs/calib
"""
import argparse
import contextlib
import json
import os
import os.path as osp
import sys
import time

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

PILOT_WORLDS = (31901, 31902, 31903)
SETTINGS = (0.8, 0.9, 1.0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--work-dir', default=osp.join(REPO, 'work_dirs', 'calib'))
    p.add_argument('--settings', default=','.join(map(str, SETTINGS)))
    args = p.parse_args()
    import torch
    torch.set_num_threads(1)
    os.environ['OMP_NUM_THREADS'] = '1'
    from filelock import FileLock

    from ga2clip_demo import make_synthetic_videos
    from ga2clip_demo.grid import CONFIGS, DATA, train_set_options
    from ga2clip_demo.steps import read_timing, train_and_test, zero_shot_run
    from ga2clip_demo.synthetic.hashes import world_hashes
    out = osp.join(args.work_dir, 'calibration.jsonl')
    os.makedirs(args.work_dir, exist_ok=True)
    for prob in [float(s) for s in args.settings.split(',')]:
        for world in PILOT_WORLDS:
            ws = osp.join(args.work_dir, f'p{prob}', f'w{world}')
            runs = osp.join(ws, 'runs')
            os.makedirs(runs, exist_ok=True)
            root = osp.join(ws, DATA)
            with FileLock(osp.join(ws, '.world_lock')), contextlib.redirect_stdout(sys.stderr):
                make_synthetic_videos.main(['--out', root, '--seed', str(world), '--habitat-prob', str(prob)])
            t0 = time.time()
            zs = zero_shot_run(ws, osp.join(runs, 'zero-shot'), False)
            common = train_set_options(CONFIGS['ivlp'], 1)
            wd = osp.join(runs, 'ivlp_s1_seed0')
            ivlp = train_and_test(CONFIGS['ivlp'], wd, ws, common + ['randomness.seed=0'], common, False,
                                  f'pilot p{prob} w{world} ivlp', wait=False)
            if ivlp is None:
                continue  # the other process holds it; it writes the record
            rec = dict(habitat_prob=prob, world=world, zero_shot=zs, ivlp=ivlp, ivlp_timing=read_timing(wd),
                       d_novel=100 * (ivlp['b2n/novel_top1'] - zs['b2n/novel_top1']), wall_s=time.time() - t0,
                       world_files=world_hashes(root))
            with FileLock(out + '.lock'), open(out, 'a') as f:
                f.write(json.dumps(rec) + '\n')
            print(f'[calib] p={prob} w={world}: zero-shot novel {100 * zs["b2n/novel_top1"]:.1f}, IVLP novel '
                  f'{100 * ivlp["b2n/novel_top1"]:.1f}, D {rec["d_novel"]:+.1f}', flush=True)


if __name__ == '__main__':
    main()
