"""``tools/train.py`` and ``tools/test.py`` through the real MMEngine Runner on a toy recognizer.

One 2-epoch training run (module fixture) feeds every test: checkpoints, ``--resume`` (latest
checkpoint of the work dir, and a given path), ``tools/test.py --dump`` and the refusal of an
untrusted checkpoint at test time. Each run takes a few seconds on a CPU.
"""
import glob
import importlib
import os.path as osp
import pickle
import shutil
from types import ModuleType

import numpy as np
import pytest
import torch


NUM_VIDEOS, ITERS_PER_EPOCH = 6, 3  # toy_recognizer_config: 6 videos, batch size 2


def load_tool(name: str) -> ModuleType:
    """Import ``tools/<name>.py`` (the tools are scripts, not a package)."""
    return importlib.import_module(f'tools.{name}')


@pytest.fixture(scope='module')
def tools_train() -> ModuleType:
    return load_tool('train')


@pytest.fixture(scope='module')
def tools_test() -> ModuleType:
    return load_tool('test')


@pytest.fixture(scope='module')
def trained(tmp_path_factory, toy_recognizer_config, tools_train):
    """Train the toy recognizer 2 epochs; returns ``(work_dir, runner)``."""
    work_dir = str(tmp_path_factory.mktemp('train'))
    runner = tools_train.main([
        toy_recognizer_config, '--work-dir', work_dir, '--cfg-options',
        'experiment_name=toy_train'
    ])
    return work_dir, runner


def run_log(runner) -> str:
    """Text of the log file a Runner wrote."""
    (log_file, ) = glob.glob(osp.join(runner.log_dir, '*.log'))
    with open(log_file) as f:
        return f.read()


def test_train_writes_a_checkpoint_per_epoch(trained):
    work_dir, runner = trained
    assert (runner.epoch, runner.iter) == (2, 2 * ITERS_PER_EPOCH)
    for epoch in (1, 2):
        ckpt = torch.load(osp.join(work_dir, f'epoch_{epoch}.pth'), weights_only=False)
        assert (ckpt['meta']['epoch'], ckpt['meta']['iter']) == (epoch, epoch * ITERS_PER_EPOCH)
        assert {'state_dict', 'optimizer', 'param_schedulers', 'message_hub'} <= set(ckpt)
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        assert f.read().strip() == osp.join(work_dir, 'epoch_2.pth')
    assert glob.glob(osp.join(work_dir, 'best_acc_top1_epoch_*.pth'))  # save_best='auto'


def test_resume_auto_continues_from_the_latest_checkpoint(trained, tools_train, tmp_path,
                                                          toy_recognizer_config):
    work_dir = str(tmp_path / 'work')
    shutil.copytree(trained[0], work_dir)
    runner = tools_train.main([
        toy_recognizer_config, '--work-dir', work_dir, '--resume', '--cfg-options',
        'train_cfg.max_epochs=3', 'experiment_name=toy_resume_auto'
    ])
    log = run_log(runner)
    assert f'resumed epoch: 2, iter: {2 * ITERS_PER_EPOCH}' in log
    assert 'Epoch(train) [3][3/3]' in log
    assert 'Epoch(train) [1]' not in log and 'Epoch(train) [2]' not in log
    assert (runner.epoch, runner.iter) == (3, 3 * ITERS_PER_EPOCH)
    ckpt = torch.load(osp.join(work_dir, 'epoch_3.pth'), weights_only=False)
    assert (ckpt['meta']['epoch'], ckpt['meta']['iter']) == (3, 3 * ITERS_PER_EPOCH)


def test_resume_from_a_path_reproduces_the_uninterrupted_run(trained, tools_train, tmp_path,
                                                             toy_recognizer_config):
    """Resuming epoch 1 and training epoch 2 gives the weights of the 2-epoch run.

    Equal weights need the restored optimizer momentum, learning-rate schedule and sampler
    epoch, not only the model weights.
    """
    work_dir = trained[0]
    runner = tools_train.main([
        toy_recognizer_config, '--work-dir', str(tmp_path), '--resume',
        osp.join(work_dir, 'epoch_1.pth'), '--cfg-options', 'experiment_name=toy_resume_path'
    ])
    log = run_log(runner)
    assert f'resumed epoch: 1, iter: {ITERS_PER_EPOCH}' in log
    assert 'Epoch(train) [1]' not in log
    assert (runner.epoch, runner.iter) == (2, 2 * ITERS_PER_EPOCH)
    resumed = torch.load(str(tmp_path / 'epoch_2.pth'), weights_only=False)['state_dict']
    reference = torch.load(osp.join(work_dir, 'epoch_2.pth'), weights_only=False)['state_dict']
    assert resumed.keys() == reference.keys()
    for key in reference:
        torch.testing.assert_close(resumed[key], reference[key], rtol=1e-5, atol=1e-6)


def test_test_tool_dumps_predictions(trained, tools_test, tmp_path, toy_recognizer_config):
    dump = str(tmp_path / 'out.pkl')
    metrics = tools_test.main([
        toy_recognizer_config,
        osp.join(trained[0], 'epoch_2.pth'), '--work-dir',
        str(tmp_path), '--dump', dump, '--cfg-options', 'experiment_name=toy_test'
    ])
    with open(dump, 'rb') as f:
        preds = pickle.load(f)  # written by this test
    assert len(preds) == NUM_VIDEOS
    scores = np.stack([p['pred_score'].numpy() for p in preds])
    labels = np.array([int(p['gt_label']) for p in preds])
    assert scores.shape == (NUM_VIDEOS, 3)
    np.testing.assert_allclose(scores.sum(1), 1.0, rtol=1e-5)  # average_clips='prob'
    assert metrics['acc/top1'] == pytest.approx(float((scores.argmax(1) == labels).mean()))


def test_test_tool_rejects_missing_checkpoint_and_bad_dump(trained, tools_test, tmp_path,
                                                          toy_recognizer_config):
    config = toy_recognizer_config
    with pytest.raises(FileNotFoundError, match='no_such.pth'):
        tools_test.main([config, str(tmp_path / 'no_such.pth')])
    with pytest.raises(ValueError, match='--dump must be a .pkl'):
        tools_test.main([config, osp.join(trained[0], 'epoch_2.pth'), '--dump', 'out.json'])


class _CreateFile:
    """Unpickling calls ``open(path, 'w')``: a stand-in for arbitrary code in a checkpoint."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return open, (self.path, 'w')


def test_test_tool_refuses_an_untrusted_checkpoint(trained, tools_test, tmp_path, monkeypatch,
                                                   toy_recognizer_config):
    monkeypatch.delenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', raising=False)
    marker = tmp_path / 'pwned'
    ckpt = str(tmp_path / 'evil.pth')
    state = torch.load(osp.join(trained[0], 'epoch_2.pth'), weights_only=False)
    state['meta']['payload'] = _CreateFile(str(marker))
    torch.save(state, ckpt)
    with pytest.raises(pickle.UnpicklingError) as err:  # torch's weights_only default, through MMEngine's loader
        tools_test.main([toy_recognizer_config, ckpt, '--work-dir', str(tmp_path)])
    assert 'io.open' in str(err.value)
    assert not marker.exists()


def test_test_tool_show_dir(trained, tools_test, tmp_path, toy_recognizer_config):
    """MMAction2's --show-dir writes the frames of every --interval-th sample ([V, C, T, H, W] inputs drawn
    as their first clip)."""
    tools_test.main([toy_recognizer_config, osp.join(trained[0], 'epoch_2.pth'), '--work-dir', str(tmp_path),
                     '--show-dir', str(tmp_path / 'vis'), '--interval', '3',
                     '--cfg-options', 'experiment_name=toy_vis'])
    frames = glob.glob(str(tmp_path / 'vis' / '**' / '*.png'), recursive=True)
    assert len(frames) == 2 * 4, frames  # videos 0 and 3 of 6, 4 frames each
