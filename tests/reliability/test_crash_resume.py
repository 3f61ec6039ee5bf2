"""kill -9 and --resume: a training process killed mid-epoch, or inside a checkpoint save, resumes to
bit-identical prompt parameters and test metrics (tiny GA2-CLIP world, CPU, deterministic).

Every random draw of a step depends on (seed, rank, iteration) (ResumableRandomnessHook) or on the draw's
(seed, rank, epoch, position) (AnchorBatchSampler tags, RobustVideoDataset), so the tolerance is exactly 0. Without the hook the same kill ends 0.138 (max abs)
away from the uninterrupted run on this world (measured once, with 3 epochs, by disabling the hook).
"""
import os
import os.path as osp
import signal
import subprocess
import sys

import pytest
import torch

from ga2clip_mmaction.utils.checkpoint import safe_torch_load
from tests.reliability.world import latest, make_world, max_abs_diff, prompt_params

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: Runs tools/train.py; KILL_AT_ITER kills before that iteration, KILL_IN_SAVE when that checkpoint is
#: about to replace its target (the temporary file is complete, the target not yet written).
DRIVER = '''
import os, signal, sys
sys.path.insert(0, {repo!r})
kill_at = int(os.environ.get('KILL_AT_ITER', '-1'))
kill_in_save = os.environ.get('KILL_IN_SAVE')
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop
def killing(run_iter):
    def killing_run_iter(self, *args, **kwargs):
        if self.runner.iter == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return run_iter(self, *args, **kwargs)
    return killing_run_iter
EpochBasedTrainLoop.run_iter = killing(EpochBasedTrainLoop.run_iter)
IterBasedTrainLoop.run_iter = killing(IterBasedTrainLoop.run_iter)
replace = os.replace
def killing_replace(src, dst, *args, **kwargs):
    if kill_in_save and str(dst).endswith(kill_in_save):
        os.kill(os.getpid(), signal.SIGKILL)
    return replace(src, dst, *args, **kwargs)
os.replace = killing_replace
import tools.train
tools.train.main(sys.argv[1:])
'''
EPOCHS, ITERS = 2, 2  # 4 training videos, batch 2: a kill in epoch 2 resumes from epoch_1.pth
#: Every train/test run keeps the config text unformatted (no yapf: about a third of a run's time on this world).
PLAIN = '--plain-config'


def killed_run(tmp_path, config: str, work_dir: str, **env) -> None:
    driver = tmp_path / 'driver.py'
    driver.write_text(DRIVER.format(repo=REPO))
    proc = subprocess.run([sys.executable, str(driver), config, '--work-dir', work_dir, PLAIN],
                          env={**os.environ, **{k: str(v) for k, v in env.items()}}, cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]


def final(work_dir: str, config: str, name: str = f'epoch_{EPOCHS}.pth'):
    import tools.test as test
    ckpt = osp.join(work_dir, name)
    params = prompt_params(safe_torch_load(ckpt, map_location='cpu')['state_dict'])
    return params, test.main([config, ckpt, '--work-dir', work_dir, PLAIN])


@pytest.fixture(scope='module')
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp('resume')
    return root, make_world(str(root / 'w'), num_train=4, epochs=EPOCHS)


@pytest.fixture(scope='module')
def uninterrupted(world):
    import tools.train as train
    root, config = world
    work_dir = str(root / 'A')
    train.main([config, '--work-dir', work_dir, PLAIN])
    return final(work_dir, config)


def test_sigkill_mid_epoch_then_resume_is_bit_identical(world, uninterrupted, tmp_path):
    import tools.train as train
    root, config = world
    work_dir = str(root / 'B')
    killed_run(tmp_path, config, work_dir, KILL_AT_ITER=ITERS + 1)  # in epoch 2, after epoch_1.pth
    assert latest(work_dir).endswith('epoch_1.pth') and not osp.exists(osp.join(work_dir, 'epoch_2.pth'))
    runner = train.main([config, '--work-dir', work_dir, '--resume', PLAIN])
    assert (runner.epoch, runner.iter) == (EPOCHS, EPOCHS * ITERS)
    params, metrics = final(work_dir, config)
    ref_params, ref_metrics = uninterrupted
    assert max_abs_diff(params, ref_params) == 0.0
    assert metrics == ref_metrics


def test_kill_inside_the_save_keeps_the_previous_checkpoint_and_resume_picks_it(world, uninterrupted, tmp_path):
    import tools.train as train
    root, config = world
    work_dir = str(root / 'C')
    killed_run(tmp_path, config, work_dir, KILL_IN_SAVE='epoch_2.pth')
    assert not osp.exists(osp.join(work_dir, 'epoch_2.pth'))
    assert [f for f in os.listdir(work_dir) if f.startswith('.epoch_2.pth.')]  # the unfinished temporary file
    assert latest(work_dir).endswith('epoch_1.pth')
    assert safe_torch_load(latest(work_dir), map_location='cpu')['meta']['epoch'] == 1  # still loadable
    runner = train.main([config, '--work-dir', work_dir, '--resume', PLAIN])
    assert (runner.epoch, runner.iter) == (EPOCHS, EPOCHS * ITERS)
    params, metrics = final(work_dir, config)
    assert max_abs_diff(params, uninterrupted[0]) == 0.0
    assert metrics == uninterrupted[1]


#: The same world under MMEngine's IterBasedTrainLoop with an InfiniteSampler (one endless epoch), a checkpoint
#: every 2 iterations. On resume MMEngine replays the dataloader up to the checkpoint's iteration, and the
#: draws' positions replay with it.
ITER_LOOP = """
train_cfg = dict(type='IterBasedTrainLoop', max_iters=4, val_interval=100)
train_dataloader['sampler'] = dict(type='InfiniteSampler', shuffle=True)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=4, eta_min=0, by_epoch=False)]
default_hooks['checkpoint'] = dict(type='CheckpointHook', interval=2, by_epoch=False, max_keep_ckpts=5)
log_processor = dict(by_epoch=False)
"""


def _uninterrupted_and_resumed(tmp_path, config: str, kill_at: int, name: str):
    import tools.train as train
    reference = str(tmp_path / 'A')
    train.main([config, '--work-dir', reference, PLAIN])
    work_dir = str(tmp_path / 'B')
    killed_run(tmp_path, config, work_dir, KILL_AT_ITER=kill_at)
    assert not osp.exists(osp.join(work_dir, name))
    train.main([config, '--work-dir', work_dir, '--resume', PLAIN])
    return final(reference, config, name), final(work_dir, config, name)


def test_sigkill_then_resume_is_bit_identical_in_the_iteration_loop(tmp_path):
    config = make_world(str(tmp_path / 'w'), num_train=4, extra=ITER_LOOP)
    (ref_params, ref_metrics), (params, metrics) = _uninterrupted_and_resumed(tmp_path, config, 3, 'iter_4.pth')
    assert max_abs_diff(params, ref_params) == 0.0
    assert metrics == ref_metrics


def test_sigkill_then_resume_is_bit_identical_with_two_persistent_workers(uninterrupted, tmp_path):
    """2 persistent DataLoader workers, killed mid-epoch and resumed, end where the module's uninterrupted run
    without workers ends: the draws do not depend on the worker that decodes them."""
    import tools.train as train
    config = make_world(str(tmp_path / 'w'), num_train=4, epochs=EPOCHS, num_workers=2, persistent=True)
    work_dir = str(tmp_path / 'B')
    killed_run(tmp_path, config, work_dir, KILL_AT_ITER=ITERS + 1)
    train.main([config, '--work-dir', work_dir, '--resume', PLAIN])
    params, metrics = final(work_dir, config)
    assert max_abs_diff(params, uninterrupted[0]) == 0.0
    assert metrics == uninterrupted[1]
