"""Preemption (PreemptionHook): a signal mid-epoch, at an epoch's end, or sent to the torchrun launcher of 2 gloo
ranks ends the run after the current iteration with its checkpoint, ``last_checkpoint`` and exit code 143; the
``--resume`` that follows ends bit for bit where an uninterrupted run ends (tiny GA2-CLIP world, CPU).
"""
import os
import os.path as osp
import signal
import stat
import subprocess
import sys
import time

import pytest

from ga2clip_mmaction.engine.hooks.preemption_hook import PREEMPTED_EXIT_CODE, PreemptionHook
from ga2clip_mmaction.utils.atomic_write import current_umask
from ga2clip_mmaction.utils.checkpoint import safe_torch_load
from tests.helpers.dist import run_commands
from tests.helpers.signal_driver import run_signalled
from tests.reliability.world import latest, make_world, max_abs_diff, prompt_params

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
EPOCHS, ITERS = 2, 2  # 4 training videos, batch 2
#: Every run keeps the config text unformatted (no yapf: about a third of a run's time on this world).
PLAIN = '--plain-config'
#: Declared as in configs/_base_/default_runtime.py (the world does not inherit it).
DECLARE = "default_hooks['preemption'] = dict(type='PreemptionHook')\n"


def final_prompts(work_dir: str, epochs: int = EPOCHS) -> dict:
    return prompt_params(safe_torch_load(osp.join(work_dir, f'epoch_{epochs}.pth'), map_location='cpu')['state_dict'])


@pytest.fixture(scope='module')
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp('preempt')
    return root, make_world(str(root / 'w'), num_train=4, epochs=EPOCHS, extra=DECLARE)


@pytest.fixture(scope='module')
def uninterrupted(world):
    import tools.train as train
    root, config = world
    work_dir = str(root / 'A')
    train.main([config, '--work-dir', work_dir, PLAIN])
    return final_prompts(work_dir)


def preempted_run(tmp_path, config, work_dir, at, sig, env=None):
    start = time.monotonic()
    proc = run_signalled(tmp_path, [config, '--work-dir', work_dir, PLAIN],
                         {'SIG_AT_ITER': at, 'SIG': sig, **(env or {})})
    return proc, time.monotonic() - start


def test_sigterm_mid_epoch_saves_that_iteration_and_resume_is_bit_exact(world, uninterrupted, tmp_path):
    import tools.train as train
    root, config = world
    work_dir = str(root / 'B')
    proc, _ = preempted_run(tmp_path, config, work_dir, at=ITERS, sig='SIGTERM')  # 1st iteration of epoch 2
    assert proc.returncode == PREEMPTED_EXIT_CODE, proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    assert 'SIGTERM received; iteration 3 finished on every rank' in out and 'exiting with 143' in out
    ckpt = osp.join(work_dir, 'iter_3.pth')
    assert latest(work_dir) == ckpt and not osp.exists(osp.join(work_dir, 'epoch_2.pth'))
    meta = safe_torch_load(ckpt, map_location='cpu')['meta']
    assert (meta['epoch'], meta['iter'], meta['preempted']) == (1, 3, 'SIGTERM')  # inside epoch 2 (0-based 1)
    assert stat.S_IMODE(os.stat(ckpt).st_mode) == 0o666 & ~current_umask()  # the user's umask, not 0600
    runner = train.main([config, '--work-dir', work_dir, '--resume', PLAIN])
    assert (runner.epoch, runner.iter) == (EPOCHS, EPOCHS * ITERS)
    assert max_abs_diff(final_prompts(work_dir), uninterrupted) == 0.0


def test_sigusr1_at_an_epoch_end_requeues_under_slurm_and_resume_is_bit_exact(world, uninterrupted, tmp_path):
    import tools.train as train
    root, config = world
    work_dir = str(root / 'C')
    fake = tmp_path / 'bin' / 'scontrol'
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "$@" >> {tmp_path / "scontrol.log"}\n')
    fake.chmod(0o755)
    env = dict(SLURM_JOB_ID='4242', PATH=os.pathsep.join([str(fake.parent), os.environ['PATH']]))
    proc, _ = preempted_run(tmp_path, config, work_dir, at=ITERS - 1, sig='SIGUSR1', env=env)  # end of epoch 1
    assert proc.returncode == PREEMPTED_EXIT_CODE, proc.stderr[-3000:]
    assert (tmp_path / 'scontrol.log').read_text().split() == ['requeue', '4242']
    assert latest(work_dir) == osp.join(work_dir, f'iter_{ITERS}.pth')
    meta = safe_torch_load(latest(work_dir), map_location='cpu')['meta']
    assert (meta['epoch'], meta['iter'], meta['preempted']) == (1, ITERS, 'SIGUSR1')  # epoch 1 done: resume at 2
    assert osp.exists(osp.join(work_dir, 'epoch_1.pth'))  # the epoch's own checkpoint came first
    assert not osp.exists(osp.join(work_dir, 'epoch_2.pth'))
    runner = train.main([config, '--work-dir', work_dir, '--resume', 'auto', PLAIN])
    assert (runner.epoch, runner.iter) == (EPOCHS, EPOCHS * ITERS)
    assert max_abs_diff(final_prompts(work_dir), uninterrupted) == 0.0


ITER_LOOP = ("\ntrain_cfg = dict(type='IterBasedTrainLoop', max_iters=3, val_interval=1000)\n"
             "param_scheduler = [dict(type='CosineAnnealingLR', T_max=3, by_epoch=False)]\n"
             "default_hooks.update(checkpoint=dict(type='CheckpointHook', interval=3, by_epoch=False))\n"
             "log_processor = dict(type='LogProcessor', window_size=1, by_epoch=False)\n")


def test_sigterm_in_an_iteration_loop_resumes_bit_exact(tmp_path):
    import tools.train as train
    config = make_world(str(tmp_path / 'w'), num_train=4, extra=DECLARE + ITER_LOOP)
    train.main([config, '--work-dir', str(tmp_path / 'A'), PLAIN])
    work_dir = str(tmp_path / 'B')
    proc, _ = preempted_run(tmp_path, config, work_dir, at=0, sig='SIGTERM')  # inside the 1st pass over the data
    assert proc.returncode == PREEMPTED_EXIT_CODE, proc.stderr[-3000:]
    assert latest(work_dir) == osp.join(work_dir, 'iter_1.pth')
    runner = train.main([config, '--work-dir', work_dir, '--resume', PLAIN])  # MMEngine skips the trained batch
    assert runner.iter == 3

    def prompts(d):
        return prompt_params(safe_torch_load(osp.join(d, 'iter_3.pth'), map_location='cpu')['state_dict'])
    assert max_abs_diff(prompts(work_dir), prompts(str(tmp_path / 'A'))) == 0.0


def test_hook_arguments_are_checked():
    with pytest.raises(ValueError, match='check_interval'):
        PreemptionHook(check_interval=0)
    with pytest.raises(ValueError, match='requeue'):
        PreemptionHook(requeue='yes')
    assert PreemptionHook(signals=['SIGINT']).signals == [signal.SIGINT]


# ---------------------------------------------------------------------------------------------- 2 ranks, torchrun
#: Rank 0 sends SIGTERM to its parent, the torchrun launcher, before iteration SIGNAL_LAUNCHER_AT; torchrun
#: forwards it to both ranks (as it does a scheduler's).
SIGNAL_LAUNCHER = '''
import os, signal
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmaction.registry import HOOKS


from ga2clip_mmaction.engine.hooks.preemption_hook import PreemptionHook
stop = PreemptionHook._stop


def recording_stop(self, runner, epoch, done, **kwargs):  # each rank notes where it stopped, then stops
    with open(os.path.join(runner.work_dir, f'stop_rank{get_rank()}'), 'w') as f:
        f.write(str(done))
    return stop(self, runner, epoch, done, **kwargs)


PreemptionHook._stop = recording_stop


@HOOKS.register_module()
class SignalLauncherHook(Hook):
    def before_train_iter(self, runner, batch_idx, data_batch=None):
        at = os.environ.get('SIGNAL_LAUNCHER_AT')
        if at is not None and get_rank() == 0 and runner.iter == int(at):
            os.kill(os.getppid(), signal.SIGTERM)
'''
DIST_EPOCHS = 2


@pytest.fixture(scope='module')
def dist_world(tmp_path_factory):
    root = tmp_path_factory.mktemp('preempt_dist')
    (root / 'signal_launcher.py').write_text(SIGNAL_LAUNCHER)
    extra = DECLARE + ("custom_imports = dict(imports=['ga2clip_mmaction', 'signal_launcher'], "
                       "allow_failed_imports=False)\ncustom_hooks = [dict(type='SignalLauncherHook')]\n")
    # 8 videos over 2 ranks, batch 2: 2 iterations per epoch and rank
    return root, make_world(str(root / 'w'), num_train=8, epochs=DIST_EPOCHS, extra=extra)


def launcher(config, work_dir, *args):
    return ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), config, '2', '--work-dir', work_dir, PLAIN, *args]


def launcher_env(root, **extra):
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join([REPO, str(root), os.environ.get('PYTHONPATH', '')]).rstrip(os.pathsep))
    env.update({k: str(v) for k, v in extra.items()})
    return env


def test_sigterm_to_the_torchrun_launcher_stops_both_ranks_and_resume_is_bit_exact(dist_world):
    root, config = dist_world
    run_commands([launcher(config, str(root / 'A'))], env=launcher_env(root), cwd=REPO, names=['uninterrupted'])
    work_dir = str(root / 'B')
    proc = subprocess.Popen(launcher(config, work_dir), env=launcher_env(root, SIGNAL_LAUNCHER_AT=2), cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:  # pragma: no cover - a hang: kill the launcher and its ranks
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail('the preempted 2-rank run did not end: ' + out[-3000:])
    assert proc.returncode != 0, out[-3000:]  # torchrun reports the signal it got
    # both ranks stopped after the same iteration (3, or 4 if the signal reached a rank after the agreement)
    assert 'got signal: 15' in out, out[-3000:]
    ckpt = latest(work_dir)
    assert ckpt in (osp.join(work_dir, 'iter_3.pth'), osp.join(work_dir, 'iter_4.pth')), out[-3000:]
    assert 'exiting with 143' in out, out[-3000:]
    stops = sorted(f for f in os.listdir(work_dir) if f.startswith('stop_rank'))
    assert stops == ['stop_rank0', 'stop_rank1'], out[-3000:]  # each rank reached the stop, at one iteration
    assert {(root / 'B' / f).read_text() for f in stops} == {osp.basename(ckpt)[len('iter_'):-len('.pth')]}
    run_commands([launcher(config, work_dir, '--resume')], env=launcher_env(root), cwd=REPO, names=['resumed'])
    assert max_abs_diff(final_prompts(work_dir, DIST_EPOCHS), final_prompts(str(root / 'A'), DIST_EPOCHS)) == 0.0
