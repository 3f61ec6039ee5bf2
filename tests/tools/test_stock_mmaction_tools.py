"""Our configs run with the train.py / test.py shipped inside the installed mmaction2 package.

MMAction2 users keep their own copies of these scripts (``mim train mmaction ...`` runs the same files); a config
of ours must need nothing from our wrappers: every reliability hook (config checks, per-step randomness, bad
videos, the anchor decision) is declared in the config, so the stock train.py runs them all and trains exactly as
ours. The stock scripts train the GA2-CLIP demo config (shrunk to a few
iterations) on a one-shot demo world and test the checkpoint; their predictions must equal ours on the same
checkpoint (``tools/test.py``).
"""
import os
import os.path as osp
import pickle
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import REPO_ROOT

CONFIG = osp.join(REPO_ROOT, 'configs', 'ga2clip_b2n_demo.py')
TINY = ['train_cfg.max_epochs=1', 'train_dataloader.batch_size=4', 'test_dataloader.batch_size=8',
        'model.backbone.vision_depth=2', 'randomness.seed=0']


def stock_tool(name: str) -> str:
    import mmaction
    path = osp.join(osp.dirname(mmaction.__file__), '.mim', 'tools', name)
    if not osp.isfile(path):
        pytest.skip(f'the installed mmaction2 ships no {path}')
    return path


def run_stock(name: str, args: list, cwd: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    proc = subprocess.run([sys.executable, stock_tool(name), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, f'{name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}'
    return proc


def scores(dump: str):
    with open(dump, 'rb') as f:
        results = pickle.load(f)
    return (np.stack([r['pred_score'].numpy() for r in results]),
            np.array([int(r['gt_label']) for r in results]))


def test_stock_train_and_test_scripts_on_our_config(tiny_demo_world, tmp_path, monkeypatch):
    import glob
    import torch
    from ga2clip_mmaction.utils.checkpoint import safe_torch_load
    work = str(tmp_path / 'work')
    run_stock('train.py', [CONFIG, '--work-dir', work, '--cfg-options', *TINY], tiny_demo_world)
    checkpoint = osp.join(work, 'epoch_1.pth')
    assert osp.isfile(checkpoint)
    # every reliability hook comes from the config, so the stock script runs them all
    (log, ) = glob.glob(osp.join(work, '*', '*.log'))
    text = open(log).read()
    for hook in ('ConfigCheckHook', 'ResumableRandomnessHook', 'BadVideoHook', 'DistSamplerSeedHook'):
        assert hook in text, hook  # MMEngine's hook table at start-up
    assert 'BadVideoHook: training done: 0 distinct bad videos' in text
    assert 'loss_anchor: ' in text  # the head's kl anchor term, on the anchor clips of every batch
    # and trains exactly as ours: same draws, same dropout masks
    from tools import train as train_tool
    monkeypatch.chdir(tiny_demo_world)
    ours = str(tmp_path / 'ours_train')
    train_tool.main([CONFIG, '--work-dir', ours, '--cfg-options', *TINY])
    stock_sd = safe_torch_load(checkpoint, map_location='cpu')['state_dict']
    our_sd = safe_torch_load(osp.join(ours, 'epoch_1.pth'), map_location='cpu')['state_dict']
    trained = [k for k in stock_sd if 'prompt' in k]
    assert trained
    for key in trained:  # float32, only the thread count of the two processes differs
        torch.testing.assert_close(our_sd[key], stock_sd[key], atol=1e-5, rtol=0)
    stock_dump = str(tmp_path / 'stock.pkl')
    proc = run_stock('test.py', [CONFIG, checkpoint, '--work-dir', str(tmp_path / 'stock_test'),
                                 '--dump', stock_dump, '--cfg-options', *TINY], tiny_demo_world)
    assert 'b2n/hm' in proc.stdout + proc.stderr  # BaseNovelMetric ran through the stock script

    from tools import test as test_tool
    monkeypatch.chdir(tiny_demo_world)
    ours_dump = str(tmp_path / 'ours.pkl')
    metrics = test_tool.main([CONFIG, checkpoint, '--work-dir', str(tmp_path / 'our_test'), '--dump', ours_dump,
                              '--cfg-options', *TINY])
    stock_scores, labels = scores(stock_dump)
    our_scores, our_labels = scores(ours_dump)
    assert stock_scores.shape == (24, 24)  # 12 base + 12 novel test clips over all 24 class names
    np.testing.assert_array_equal(labels, our_labels)
    np.testing.assert_allclose(stock_scores, our_scores, atol=1e-6)
    # the metric we report is the top-1 of these very scores (all 24 clips, base and novel together)
    assert metrics['b2n/all_top1'] == pytest.approx(float((stock_scores.argmax(1) == labels).mean()))
    # --amp: MMEngine's TestLoop autocast (bfloat16 on a CPU); float32 scores within bf16 rounding
    amp_dump = str(tmp_path / 'amp.pkl')
    test_tool.main([CONFIG, checkpoint, '--work-dir', str(tmp_path / 'amp_test'), '--dump', amp_dump, '--amp',
                    '--cfg-options', *TINY])
    amp_scores, _ = scores(amp_dump)
    assert amp_scores.dtype == np.float32 and np.abs(amp_scores - our_scores).max() < 0.05
