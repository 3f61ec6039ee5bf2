"""Preemptible training: on SIGTERM / SIGUSR1 finish the iteration on every rank, save it, exit (and requeue)."""
import os
import os.path as osp
import shlex
import signal
import subprocess
import threading
import time
from typing import Optional, Sequence, Union

import torch
from mmengine.dist import all_reduce, barrier, get_world_size, is_main_process
from mmengine.hooks import CheckpointHook, Hook
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop
from mmaction.registry import HOOKS

from ...datasets.samplers.seeded_batch_sampler import SeededBatchSampler
from ...utils.atomic_write import atomic_write_text

#: Exit status of a run that stopped on a preemption signal after saving (128 + SIGTERM, what a shell reports
#: for a job ended by SIGTERM; ``tools/train.py`` and every rank exit with it).
PREEMPTED_EXIT_CODE = 143


class TrainingPreempted(SystemExit):
    """Raised on every rank after the preemption checkpoint is saved; the process exits with its ``code``."""


class _SkipBatches:
    """Fallback for batch samplers without ``start_batch`` (a stock torch ``BatchSampler``): leaves out the first
    ``skip`` batches of the wrapped one (indices only, nothing is loaded); everything else (``set_epoch``,
    ``sampler``, ...) is the wrapped sampler's. :class:`SeededBatchSampler` and its subclasses skip by themselves."""

    def __init__(self, batch_sampler, skip: int) -> None:
        self.batch_sampler = batch_sampler
        self.skip = skip

    def __iter__(self):
        batches = iter(self.batch_sampler)
        for _ in range(self.skip):
            next(batches, None)
        yield from batches

    def __len__(self) -> int:
        return max(len(self.batch_sampler) - self.skip, 0)

    def __getattr__(self, name):
        return getattr(self.__dict__['batch_sampler'], name)


@HOOKS.register_module()
class PreemptionHook(Hook):
    """Survive preemption and time limits (Slurm sends SIGTERM or the ``--signal`` of the job, then SIGKILL).

    * On one of ``signals`` (default SIGTERM and SIGUSR1) the handler only sets a flag: the current iteration
      finishes. Every ``check_interval`` iterations all ranks ``all_reduce`` (max) their flags at the same point
      (``after_train_iter``), so they stop together after the same iteration, never waiting on one another.
    * Then the checkpoint of that iteration is saved (``iter_<n>.pth`` in the checkpoint folder, written
      atomically; small when the model declares its frozen part), ``last_checkpoint`` is replaced atomically,
      the job is requeued (``requeue``), and every rank exits with ``exit_code`` (:data:`PREEMPTED_EXIT_CODE`).
      If that has not happened ``deadline`` seconds after the signal, the process exits anyway with the same
      code (the previous checkpoint and pointer stay intact).
    * ``--resume`` (no path, or ``auto``) then resumes from ``last_checkpoint``. A checkpoint taken inside an
      epoch of an ``EpochBasedTrainLoop`` resumes inside that epoch: the batches of the epoch already trained are
      skipped at the batch sampler (no video is decoded for them), so the run continues with the very batches it
      would have seen; with :class:`ResumableRandomnessHook` and the seeded samplers the result equals an
      uninterrupted run bit for bit. (``IterBasedTrainLoop`` skips them itself.) A :class:`SeededBatchSampler`
      (``AnchorBatchSampler`` included) skips through its ``start_batch``, set for the resumed epoch; another
      batch sampler (a stock torch ``BatchSampler``) is wrapped for that epoch in a skipping one, swapped into
      the DataLoader (which forbids reassigning ``batch_sampler``, hence ``object.__setattr__``).

    Declared in ``configs/_base_/default_runtime.py`` (``custom_hooks``).

    Args:
        signals (Sequence[str]): Signal names that preempt. Defaults to ``('SIGTERM', 'SIGUSR1')``.
        check_interval (int): Iterations between the ranks' agreements (one tiny ``all_reduce`` each).
            Defaults to 1.
        exit_code (int): Exit status after the save. Defaults to 143.
        requeue (bool | str): Requeue the job after the save: ``'auto'`` under Slurm (``SLURM_JOB_ID`` set),
            True always, False never. Defaults to ``'auto'``.
        requeue_command (str): Command run by rank 0 to requeue (``{job_id}`` is replaced). Defaults to
            ``'scontrol requeue {job_id}'``.
        deadline (float, optional): Seconds after the signal before the process exits even if the save is not
            done. Defaults to 60. None: no limit.
    """
    priority = 'LOWEST'  # after the optimizer step, the schedulers and CheckpointHook of the iteration

    def __init__(self,
                 signals: Sequence[str] = ('SIGTERM', 'SIGUSR1'),
                 check_interval: int = 1,
                 exit_code: int = PREEMPTED_EXIT_CODE,
                 requeue: Union[bool, str] = 'auto',
                 requeue_command: str = 'scontrol requeue {job_id}',
                 deadline: Optional[float] = 60.0) -> None:
        if check_interval < 1:
            raise ValueError(f'PreemptionHook.check_interval must be >= 1, got {check_interval}')
        if requeue not in (True, False, 'auto'):
            raise ValueError(f"PreemptionHook.requeue must be True, False or 'auto', got {requeue!r}")
        self.signals = [getattr(signal, name) if isinstance(name, str) else signal.Signals(name)
                        for name in signals]
        self.check_interval = check_interval
        self.exit_code = exit_code
        self.requeue = requeue
        self.requeue_command = requeue_command
        self.deadline = deadline
        self.received: Optional[int] = None
        self._received_at: Optional[float] = None
        self._previous = {}
        self._skip_restore = None
        self._stop_at_epoch_end = False
        self._watchdog: Optional[threading.Timer] = None

    # ------------------------------------------------------------------ signals
    def _handle(self, signum, frame) -> None:
        """Signal handler: remember the signal (nothing else is safe here); start the deadline."""
        if self.received is None:
            self.received = signum
            self._received_at = time.monotonic()
            if self.deadline is not None:
                self._watchdog = threading.Timer(self.deadline, self._give_up)
                self._watchdog.daemon = True
                self._watchdog.start()

    def _give_up(self) -> None:  # pragma: no cover - only when a save hangs
        print_log(f'PreemptionHook: not done {self.deadline} s after {signal.Signals(self.received).name}; '
                  f'exiting with {self.exit_code} (the previous checkpoint and last_checkpoint are intact)',
                  logger='current', level=40)
        os._exit(self.exit_code)

    def before_train(self, runner) -> None:
        """Install the handlers; skip the trained batches of a checkpoint taken inside an epoch."""
        if threading.current_thread() is threading.main_thread():
            for sig in self.signals:
                self._previous[sig] = signal.signal(sig, self._handle)
        else:
            print_log('PreemptionHook: training outside the main thread, no signal handlers installed',
                      logger='current', level=30)

    def after_run(self, runner) -> None:
        """Restore the previous handlers."""
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}
        if self._watchdog is not None:
            self._watchdog.cancel()

    # ------------------------------------------------------------------ mid-epoch resume
    def before_train_epoch(self, runner) -> None:
        """After a resume from inside an epoch, leave out the batches of the epoch that were already trained."""
        loop = runner.train_loop
        loader = getattr(loop, 'dataloader', None)
        if not isinstance(loop, EpochBasedTrainLoop) or loader is None or \
                getattr(loader, 'batch_sampler', None) is None:  # IterBasedTrainLoop skips by itself
            return
        per_epoch = len(loader)
        done = runner.iter - runner.epoch * per_epoch
        if per_epoch == 0 or done <= 0:
            return
        if done >= per_epoch:  # an iteration checkpoint of an epoch's last iteration: MMEngine repeats the epoch
            print_log(f'PreemptionHook: resumed at iteration {runner.iter}, past the {per_epoch} iterations of '
                      f'epoch {runner.epoch + 1}; nothing to skip', logger='current', level=30)
            return
        original = loader.batch_sampler
        if isinstance(original, SeededBatchSampler):
            original.start_batch = done
        else:  # fallback: a batch sampler that cannot skip by itself
            object.__setattr__(loader, 'batch_sampler', _SkipBatches(original, done))
        self._skip_restore = (loader, original)
        print_log(f'PreemptionHook: resuming inside epoch {runner.epoch + 1}: skipping its first {done} of '
                  f'{per_epoch} batches (already trained)', logger='current')

    # ------------------------------------------------------------------ stop
    def _agreed(self, runner) -> bool:
        """Whether any rank received a signal (a collective every rank calls here)."""
        flag = torch.tensor([0 if self.received is None else int(self.received)], dtype=torch.int64)
        if get_world_size() > 1:
            all_reduce(flag, op='max')
        if flag.item() and self.received is None:
            self.received = int(flag.item())
            self._received_at = time.monotonic()
        return bool(flag.item())

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        """Every ``check_interval`` iterations: stop, save and exit when any rank got a signal.

        At the last iteration of an epoch the stop waits for ``after_train_epoch`` (the epoch's scheduler
        steps and checkpoint happen first), so the checkpoint is the epoch's end, resumed at the next epoch.
        """
        if self._stop_at_epoch_end or (runner.iter + 1) % self.check_interval or not self._agreed(runner):
            return
        loader = getattr(runner.train_loop, 'dataloader', None)
        if isinstance(runner.train_loop, EpochBasedTrainLoop) and loader is not None and \
                batch_idx + 1 >= len(loader):
            self._stop_at_epoch_end = True
            return
        self._stop(runner, epoch=runner.epoch, done=runner.iter + 1)

    def after_train_epoch(self, runner) -> None:
        """Put the full batch sampler back after a resumed epoch; stop here when the signal came at its end."""
        if self._skip_restore is not None:
            loader, original = self._skip_restore
            if isinstance(original, SeededBatchSampler):
                original.start_batch = 0
            else:
                object.__setattr__(loader, 'batch_sampler', original)
            self._skip_restore = None
        if self._stop_at_epoch_end:
            self._stop(runner, epoch=runner.epoch + 1, done=runner.iter)

    def _stop(self, runner, epoch: int, done: int) -> None:
        """Save the checkpoint of the ``done`` iterations (``epoch``: the epoch to resume in), point
        ``last_checkpoint`` at it, requeue, and exit on every rank."""
        name = signal.Signals(self.received).name
        print_log(f'PreemptionHook: {name} received; iteration {done} finished on every rank, saving it',
                  logger='current', level=30)
        ckpt_hook = next((h for h in runner.hooks if isinstance(h, CheckpointHook)), None)
        out_dir = getattr(ckpt_hook, 'out_dir', None) or runner.work_dir
        filename = f'iter_{done}.pth'
        path = osp.join(out_dir, filename)
        runner.save_checkpoint(out_dir, filename, meta=dict(epoch=epoch, iter=done, preempted=name),
                               by_epoch=False, backend_args=getattr(ckpt_hook, 'backend_args', None))
        if is_main_process():
            atomic_write_text(path, osp.join(runner.work_dir, 'last_checkpoint'))
            if ckpt_hook is not None:
                ckpt_hook.last_ckpt = path
            self._requeue()
        barrier()
        elapsed = time.monotonic() - (self._received_at or time.monotonic())
        print_log(f'PreemptionHook: saved {path} (iteration {done}, in epoch {runner.epoch + 1}) and '
                  f'last_checkpoint {elapsed:.1f} s after {name}; exiting with {self.exit_code}. '
                  'Resume with --resume.', logger='current', level=30)
        self.after_run(runner)
        from ...utils.process_group import teardown_process_group
        teardown_process_group()
        raise TrainingPreempted(self.exit_code)

    def _requeue(self) -> None:
        """Rank 0: requeue the Slurm job (``requeue``); a failure is logged, the exit goes on."""
        job_id = os.environ.get('SLURM_JOB_ID')
        if self.requeue is False or (self.requeue == 'auto' and not job_id):
            return
        command = shlex.split(self.requeue_command.format(job_id=job_id or ''))
        try:
            proc = subprocess.run(command, capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired) as err:
            print_log(f'PreemptionHook: requeue command {command} failed: {err}', logger='current', level=40)
            return
        if proc.returncode:
            print_log(f'PreemptionHook: requeue command {command} exited with {proc.returncode}: '
                      f'{proc.stderr.strip()[-500:]}', logger='current', level=40)
        else:
            print_log(f'PreemptionHook: requeued ({" ".join(command)})', logger='current')
