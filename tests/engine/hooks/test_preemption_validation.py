"""Preemption where it meets MMEngine's loop (issue 32): validation on, the watchdog, persistent workers with a stock
``BatchSampler``, the iteration loop's resume, and the preemption checkpoints left behind (tiny GA2-CLIP world, CPU).

A run signalled at the last iteration of an epoch, or during the validation itself, resumes with that epoch's
validation: every validated epoch has its metric in the logs and ``save_best`` picks the file an uninterrupted run
picks; the prompts end bit for bit where the uninterrupted run's end.
"""
import glob
import itertools
import os
import os.path as osp
import re
import signal
import threading
import types

import pytest

from ga2clip_mmaction.engine.hooks.preemption_hook import (PREEMPTED_EXIT_CODE, UNSAVED_EXIT_CODE,
                                                           PreemptionHook)
from ga2clip_mmaction.utils.checkpoint import safe_torch_load
from tests.helpers.signal_driver import run_signalled
from tests.reliability.world import latest, make_world, max_abs_diff, prompt_params

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
EPOCHS, ITERS = 2, 2  # 4 training videos, batch 2
PLAIN = '--plain-config'
_RUNS = itertools.count()
#: Validation every epoch (3 batches of 1 clip), save_best, the preemption hook as default_runtime declares it.
VALIDATED = '''
val_dataloader = dict(batch_size=1, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
                      dataset=test_dataloader['dataset'])
val_evaluator = dict(type='AccMetric')
val_cfg = dict(type='ValLoop')
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs={epochs}, val_interval=1)
default_hooks['checkpoint'] = dict(type='CheckpointHook', interval=1, max_keep_ckpts=5, save_best='auto')
default_hooks['preemption'] = dict(type='PreemptionHook', deadline={deadline})
'''
METRIC = re.compile(r'Epoch\(val\) +\[(\d+)\]\[\d+/\d+\] +(.*)')


def train(config, work_dir, *args):
    import tools.train
    return tools.train.main([config, '--work-dir', work_dir, PLAIN, *args,
                             '--cfg-options', f'experiment_name=run{next(_RUNS)}'])


def val_metrics(work_dir):
    """{epoch: 'acc/top1: ... acc/top5: ...'} of every validation logged in the work dir's logs."""
    found = {}
    for log in sorted(glob.glob(osp.join(work_dir, '*', '*.log'))):
        for line in open(log):
            match = METRIC.search(line)
            if match and 'acc/top1' in line:  # the epoch's metrics (not a batch's progress line)
                epoch = int(match.group(1))
                assert epoch not in found, f'epoch {epoch} validated twice'
                found[epoch] = ' '.join(re.findall(r'acc/\w+: [\d.]+', match.group(2)))
    return found


def best(work_dir):
    return sorted(osp.basename(p) for p in glob.glob(osp.join(work_dir, 'best_*.pth')))


def final_prompts(work_dir, name=f'epoch_{EPOCHS}.pth'):
    return prompt_params(safe_torch_load(osp.join(work_dir, name), map_location='cpu')['state_dict'])


def signalled_run(tmp_path, config, work_dir, **env):
    return run_signalled(tmp_path, [config, '--work-dir', work_dir, PLAIN], env)


@pytest.fixture
def scontrol(tmp_path):
    """A stand-in ``scontrol`` on PATH that records its arguments; returns (env, log file)."""
    fake = tmp_path / 'bin' / 'scontrol'
    fake.parent.mkdir()
    log = tmp_path / 'scontrol.log'
    fake.write_text(f'#!/bin/sh\necho "$@" >> {log}\n')
    fake.chmod(0o755)
    return dict(SLURM_JOB_ID='4242', PATH=os.pathsep.join([str(fake.parent), os.environ['PATH']])), log


@pytest.fixture(scope='module')
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp('preempt_val')
    return root, make_world(str(root / 'w'), num_train=4, epochs=EPOCHS,
                            extra=VALIDATED.format(epochs=EPOCHS, deadline=60))


@pytest.fixture(scope='module')
def uninterrupted(world):
    root, config = world
    work_dir = str(root / 'A')
    train(config, work_dir)
    metrics = val_metrics(work_dir)
    assert sorted(metrics) == list(range(1, EPOCHS + 1))
    return dict(prompts=final_prompts(work_dir), metrics=metrics, best=best(work_dir))


def check_resumed_like(work_dir, config, uninterrupted):
    runner = train(config, work_dir, '--resume')
    assert (runner.epoch, runner.iter) == (EPOCHS, EPOCHS * ITERS)
    assert val_metrics(work_dir) == uninterrupted['metrics']  # every epoch validated once, same numbers
    assert best(work_dir) == uninterrupted['best']
    assert max_abs_diff(final_prompts(work_dir), uninterrupted['prompts']) == 0.0
    # the preemption checkpoint is gone once a newer one was written (max_keep_ckpts=5)
    assert not glob.glob(osp.join(work_dir, 'iter_*.pth'))


def test_sigterm_at_the_last_iteration_of_an_epoch_keeps_its_validation(world, uninterrupted, tmp_path):
    root, config = world
    work_dir = str(root / 'B')
    proc = signalled_run(tmp_path, config, work_dir, SIG_AT_ITER=ITERS - 1)  # last iteration of epoch 1
    assert proc.returncode == PREEMPTED_EXIT_CODE, proc.stderr[-3000:]
    assert 'its validation is left pending' in proc.stdout + proc.stderr
    meta = safe_torch_load(latest(work_dir), map_location='cpu')['meta']
    assert (meta['epoch'], meta['iter'], meta['val_pending']) == (1, ITERS, True)
    assert val_metrics(work_dir) == {}  # the preempted run stopped before validating
    check_resumed_like(work_dir, config, uninterrupted)


def test_sigterm_mid_epoch_with_validation_on(world, uninterrupted, tmp_path):
    root, config = world
    work_dir = str(root / 'C')
    proc = signalled_run(tmp_path, config, work_dir, SIG_AT_ITER=0)  # first iteration of epoch 1
    assert proc.returncode == PREEMPTED_EXIT_CODE, proc.stderr[-3000:]
    assert 'val_pending' not in safe_torch_load(latest(work_dir), map_location='cpu')['meta']
    check_resumed_like(work_dir, config, uninterrupted)


def test_sigterm_during_validation_stops_it_saves_requeues_and_resumes_exactly(world, uninterrupted, tmp_path,
                                                                             scontrol):
    root, config = world
    work_dir = str(root / 'D')
    env, log = scontrol
    proc = signalled_run(tmp_path, config, work_dir, SIG_AT_VAL=0, **env)  # 1st of 3 batches of epoch 1's val
    out = proc.stdout + proc.stderr
    assert proc.returncode == PREEMPTED_EXIT_CODE, out[-3000:]
    assert 'stopping the validation after batch 1 of 3' in out
    assert log.read_text().split() == ['requeue', '4242']
    assert latest(work_dir) == osp.join(work_dir, f'iter_{ITERS}.pth')  # the last finished training state
    meta = safe_torch_load(latest(work_dir), map_location='cpu')['meta']
    assert (meta['epoch'], meta['iter'], meta['val_pending']) == (1, ITERS, True)
    check_resumed_like(work_dir, config, uninterrupted)


def test_deadline_during_a_slow_validation_requeues_and_says_no_checkpoint(tmp_path, scontrol):
    config = make_world(str(tmp_path / 'w'), num_train=4, epochs=EPOCHS,
                        extra=VALIDATED.format(epochs=EPOCHS, deadline=1.0))
    work_dir = str(tmp_path / 'B')
    env, log = scontrol
    proc = signalled_run(tmp_path, config, work_dir, SIG_AT_VAL=0, SLOW_VAL=120, **env)  # validation hangs
    out = proc.stdout + proc.stderr
    assert proc.returncode == UNSAVED_EXIT_CODE, out[-3000:]
    assert 'NO checkpoint was written' in out
    assert log.read_text().split() == ['requeue', '4242']
    assert latest(work_dir) == osp.join(work_dir, 'epoch_1.pth')  # the previous pointer, intact
    assert not glob.glob(osp.join(work_dir, 'iter_*.pth'))


def test_the_signal_handler_only_sets_a_flag(monkeypatch):
    """No thread starts and no lock is taken in the handler (a signal landing while the main thread holds
    ``threading``'s locks would deadlock)."""
    started = []
    monkeypatch.setattr(threading.Thread, 'start', lambda self: started.append(self))
    hook = PreemptionHook()
    before = threading.active_count()
    hook._handle(signal.SIGTERM, None)
    hook._handle(signal.SIGUSR1, None)  # a second signal changes nothing
    assert started == [] and threading.active_count() == before
    assert hook.received == signal.SIGTERM and hook._received_at is not None
    with pytest.raises(ValueError, match='deadline_exit_code'):
        PreemptionHook(deadline_exit_code=PREEMPTED_EXIT_CODE)


def test_a_training_run_is_armed_from_before_run_a_test_run_never():
    """A signal during the start-up (weights, --resume's load) is caught; tools/test.py keeps its handlers."""
    from mmengine.runner import EpochBasedTrainLoop
    previous = signal.getsignal(signal.SIGTERM)
    hook = PreemptionHook(deadline=None)
    hook.before_run(types.SimpleNamespace(_train_loop=None))  # a testing run
    assert signal.getsignal(signal.SIGTERM) is previous
    training = types.SimpleNamespace(_train_loop=object.__new__(EpochBasedTrainLoop))
    hook.before_run(training)
    try:
        assert signal.getsignal(signal.SIGTERM) == hook._handle
    finally:
        hook.after_run(training)
    assert signal.getsignal(signal.SIGTERM) is previous


# ------------------------------------------------------------- stock BatchSampler, 2 persistent workers
#: No seeded batch sampler (DataLoader's own BatchSampler), no anchors, a pipeline without random draws (the
#: stock sampler does not seed augmentation), 2 epochs of 2 iterations, 2 persistent workers.
STOCK = '''
train_pipeline = [dict(type='DecordInit'), dict(type='SegmentSample', num_segments=2, test_mode=True),
                  dict(type='DecordDecode'), dict(type='Resize', scale=(32, 32), keep_ratio=False),
                  dict(type='FormatShape', input_format='NCTHW'), dict(type='PackActionInputs')]
train_dataloader = dict(batch_size=2, num_workers=2, persistent_workers=True,
                        sampler=dict(type='DefaultSampler', shuffle=True),
                        dataset=dict(type='RobustVideoDataset', ann_file=root + '/train.txt',
                                     data_prefix=dict(video=root), pipeline=train_pipeline))
model['cls_head']['anchor_loss'] = None
default_hooks['preemption'] = dict(type='PreemptionHook')
'''
STOCK_EPOCHS = 2


def test_stock_batch_sampler_with_persistent_workers_yields_every_later_batch(tmp_path):
    config = make_world(str(tmp_path / 'w'), num_train=4, epochs=STOCK_EPOCHS, extra=STOCK)
    reference = str(tmp_path / 'A')
    train(config, reference)
    work_dir = str(tmp_path / 'B')
    proc = signalled_run(tmp_path, config, work_dir, SIG_AT_ITER=0)  # 1st iteration of epoch 1
    assert proc.returncode == PREEMPTED_EXIT_CODE, proc.stderr[-3000:]
    assert latest(work_dir) == osp.join(work_dir, 'iter_1.pth')
    runner = train(config, work_dir, '--resume')  # epoch 1 resumed after its 1st batch
    assert (runner.epoch, runner.iter) == (STOCK_EPOCHS, STOCK_EPOCHS * ITERS)  # epoch 2 had all its batches
    name = f'epoch_{STOCK_EPOCHS}.pth'
    assert max_abs_diff(final_prompts(work_dir, name), final_prompts(reference, name)) == 0.0


# ------------------------------------------------------------- iteration loop: resume decodes nothing trained
ITER_LOOP = '''
train_cfg = dict(type='IterBasedTrainLoop', max_iters=4, val_interval=1000)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=4, eta_min=0, by_epoch=False)]
default_hooks['checkpoint'] = dict(type='CheckpointHook', interval=1, by_epoch=False, max_keep_ckpts=5)
default_hooks['preemption'] = dict(type='PreemptionHook')
log_processor = dict(by_epoch=False)
'''


def test_iteration_loop_resume_decodes_none_of_the_trained_batches(tmp_path, monkeypatch):
    """DefaultSampler (a finite pass of 2 batches: the resume at 3 starts in the 2nd pass; an InfiniteSampler
    skips the same way, its exact resume is tests/reliability/test_crash_resume.py's)."""
    from mmaction.datasets.transforms import DecordInit
    config = make_world(str(tmp_path / 'w'), num_train=4, extra=ITER_LOOP)  # 2 batches (+1 anchor clip each) a pass
    reference = str(tmp_path / 'A')
    train(config, reference)
    calls = []
    transform = DecordInit.transform
    monkeypatch.setattr(DecordInit, 'transform', lambda self, results: calls.append(1) or transform(self, results))
    work_dir = str(tmp_path / 'B')
    runner = train(config, work_dir, '--resume', osp.join(reference, 'iter_3.pth'))  # DefaultSampler: pass 2
    assert runner.iter == 4
    assert len(calls) == 3  # iteration 4 only: 2 clips + 1 anchor clip
    assert max_abs_diff(final_prompts(work_dir, 'iter_4.pth'), final_prompts(reference, 'iter_4.pth')) == 0.0
