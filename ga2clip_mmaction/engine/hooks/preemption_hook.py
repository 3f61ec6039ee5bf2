"""Preemptible training: on SIGTERM / SIGUSR1 finish the iteration on every rank, save it, exit (and requeue)."""
import bisect
import os
import os.path as osp
import shlex
import signal
import subprocess
import threading
import time
from typing import Optional, Sequence, Union

import torch
from mmengine.dist import all_reduce, barrier, get_rank, get_world_size
from mmengine.hooks import CheckpointHook, EMAHook, Hook
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop
from mmengine.runner.base_loop import BaseLoop
from mmaction.registry import HOOKS

from ...utils.atomic_write import atomic_write_text
from ._batch_skip import FastForward, SkipBatches, is_endless, set_skip

#: Exit status of a run that stopped on a preemption signal after saving (128 + SIGTERM, what a shell reports
#: for a job ended by SIGTERM; ``tools/train.py`` and every rank exit with it).
PREEMPTED_EXIT_CODE = 143
#: Exit status when the deadline passed before the preemption checkpoint was written (128 + SIGALRM: the
#: watchdog's alarm); the job is still requeued and resumes from the previous checkpoint.
UNSAVED_EXIT_CODE = 142
#: MessageHub runtime-info key: the preemption checkpoints (``iter_<n>.pth``) not yet superseded.
PREEMPTION_CKPTS_KEY = 'preemption_checkpoints'

_SkipBatches = SkipBatches  # the name earlier versions used


class TrainingPreempted(SystemExit):
    """Raised on every rank after the preemption checkpoint is saved; the process exits with its ``code``."""


@HOOKS.register_module()
class PreemptionHook(Hook):
    """Survive preemption and time limits (Slurm sends SIGTERM or the ``--signal`` of the job, then SIGKILL).

    * On one of ``signals`` (default SIGTERM and SIGUSR1) the handler only sets a flag (and notes the time):
      the current iteration finishes. Every ``check_interval`` iterations all ranks ``all_reduce`` (max) their
      flags at the same point (``after_train_iter``), so they stop together after the same iteration, never
      waiting on one another. During validation the ranks agree after every validation batch: validation stops
      at the next batch.
    * Then the checkpoint of the last finished training iteration is saved (``iter_<n>.pth`` in the checkpoint
      folder, written atomically; small when the model declares its frozen part), ``last_checkpoint`` is
      replaced atomically, the job is requeued (``requeue``), and every rank exits with ``exit_code``
      (:data:`PREEMPTED_EXIT_CODE`).
    * Validation is never lost: a stop at the end of an epoch (or iteration) that the schedule validates, or
      during that validation, records ``val_pending`` in the checkpoint's meta, and the resumed run validates
      that state first (its metric is logged and ``save_best`` sees it, as in an uninterrupted run).
    * Watchdog: a thread started with the training (never by the handler) checks the flag's time; if the
      checkpoint has not been written ``deadline`` seconds after the signal, it logs that no checkpoint was
      written (the previous checkpoint and ``last_checkpoint`` are intact), still requeues, and exits with
      ``deadline_exit_code`` (:data:`UNSAVED_EXIT_CODE`).
    * ``--resume`` (no path, or ``auto``) then resumes from ``last_checkpoint``. A checkpoint taken inside an
      epoch of an ``EpochBasedTrainLoop`` resumes inside that epoch: the batches of the epoch already trained are
      skipped at the batch sampler (no video is decoded for them), so the run continues with the very batches it
      would have seen; with :class:`ResumableRandomnessHook` and the seeded samplers the result equals an
      uninterrupted run bit for bit. An ``IterBasedTrainLoop`` resumed at iteration ``n`` skips its ``n``
      trained batches the same way (MMEngine would load and decode every one of them). A
      :class:`SeededBatchSampler` (``AnchorBatchSampler`` included) skips through its ``start_batch``; another
      batch sampler (a stock torch ``BatchSampler``) is wrapped in a skipping one that stays in the DataLoader
      (skipping nothing after the resumed pass, also with persistent workers).
    * A preemption checkpoint is deleted once the checkpoint hook has written a newer checkpoint, when that hook
      limits the checkpoints it keeps (``max_keep_ckpts > 0``).

    Declared in ``configs/_base_/default_runtime.py`` (``default_hooks.preemption``).

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
        deadline_exit_code (int): Exit status when the deadline passed before the checkpoint was written.
            Defaults to 142.
    """
    priority = 'LOWEST'  # after the optimizer step, the schedulers and CheckpointHook of the iteration

    def __init__(self,
                 signals: Sequence[str] = ('SIGTERM', 'SIGUSR1'),
                 check_interval: int = 1,
                 exit_code: int = PREEMPTED_EXIT_CODE,
                 requeue: Union[bool, str] = 'auto',
                 requeue_command: str = 'scontrol requeue {job_id}',
                 deadline: Optional[float] = 60.0,
                 deadline_exit_code: int = UNSAVED_EXIT_CODE) -> None:
        if check_interval < 1:
            raise ValueError(f'PreemptionHook.check_interval must be >= 1, got {check_interval}')
        if requeue not in (True, False, 'auto'):
            raise ValueError(f"PreemptionHook.requeue must be True, False or 'auto', got {requeue!r}")
        if deadline_exit_code == exit_code:
            raise ValueError(f'PreemptionHook.deadline_exit_code must differ from exit_code ({exit_code}): it '
                             'tells that no checkpoint was written')
        self.signals = [getattr(signal, name) if isinstance(name, str) else signal.Signals(name)
                        for name in signals]
        self.check_interval = check_interval
        self.exit_code = exit_code
        self.requeue = requeue
        self.requeue_command = requeue_command
        self.deadline = deadline
        self.deadline_exit_code = deadline_exit_code
        self.received: Optional[int] = None
        self._received_at: Optional[float] = None
        self._previous = {}
        self._skip_restore = None
        self._stop_at_epoch_end = False
        self._training = False
        self._armed = False
        self._saved = False
        self._requeued = False
        self._requeue_lock = threading.Lock()
        self._rank = 0
        self._resumed_meta: dict = {}
        self._watch_stop: Optional[threading.Event] = None
        self._watchdog: Optional[threading.Thread] = None

    # ------------------------------------------------------------------ signals and the watchdog
    def _handle(self, signum, frame) -> None:
        """Signal handler: only remember the signal and its time (no lock, no thread, no I/O)."""
        if self.received is None:
            self.received = signum
            self._received_at = time.monotonic()

    def _watch(self, stop: threading.Event) -> None:
        """Watchdog thread (started in ``before_train``): give up ``deadline`` s after the signal."""
        while not stop.wait(0.2):
            received_at = self._received_at
            if received_at is not None and time.monotonic() - received_at >= self.deadline:
                self._give_up()
                return

    def _give_up(self) -> None:
        """The deadline passed: say whether the checkpoint was written, requeue anyway, exit at once."""
        name = signal.Signals(self.received).name if self.received else 'the signal'
        if self._saved:
            print_log(f'PreemptionHook: not done {self.deadline} s after {name}, but the preemption checkpoint '
                      f'and last_checkpoint were written; exiting with {self.exit_code}',
                      logger='current', level=40)
            code = self.exit_code
        else:
            print_log(f'PreemptionHook: not done {self.deadline} s after {name}: NO checkpoint was written for '
                      'this preemption (the previous checkpoint and last_checkpoint are intact; the work since '
                      f'them is lost); requeueing and exiting with {self.deadline_exit_code}',
                      logger='current', level=40)
            code = self.deadline_exit_code
        if self._rank == 0:
            self._requeue()
        os._exit(code)

    def _arm(self, runner) -> None:
        """Install the handlers and start the watchdog (once)."""
        if self._armed:
            return
        self._armed = self._training = True
        self._rank = get_rank()
        if threading.current_thread() is threading.main_thread():
            for sig in self.signals:
                self._previous[sig] = signal.signal(sig, self._handle)
        else:
            print_log('PreemptionHook: training outside the main thread, no signal handlers installed',
                      logger='current', level=30)
        if self.deadline is not None and self._watchdog is None:
            self._watch_stop = threading.Event()
            self._watchdog = threading.Thread(target=self._watch, args=(self._watch_stop,),
                                              name='PreemptionHook-watchdog', daemon=True)
            self._watchdog.start()

    def before_run(self, runner) -> None:
        """A training run (its loop is built before ``before_run``): arm now, so a signal during the start-up
        (weights, ``--resume``'s load, workers) is caught: acted on after the first iteration, or by the
        watchdog. Testing runs are left alone."""
        if isinstance(getattr(runner, '_train_loop', None), BaseLoop):
            self._arm(runner)

    def before_train(self, runner) -> None:
        """Arm (if ``before_run`` did not); validate first when the checkpoint resumed from left its validation
        pending."""
        self._arm(runner)
        meta, self._resumed_meta = self._resumed_meta, {}
        if meta.get('val_pending') and meta.get('iter') == runner.iter:
            if runner.val_loop is None:
                print_log('PreemptionHook: the checkpoint left a validation pending, but this run does not '
                          'validate', logger='current', level=30)
            else:
                print_log(f'PreemptionHook: validating the state of iteration {runner.iter} first (its '
                          'validation was pending when the run was preempted)', logger='current')
                runner.val_loop.run()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Remember the meta of the checkpoint loaded (a pending validation is run in ``before_train``)."""
        self._resumed_meta = dict(checkpoint.get('meta') or {})

    def after_train(self, runner) -> None:
        self._training = False

    def after_run(self, runner) -> None:
        """Restore the previous handlers; stop the watchdog."""
        self._training = self._armed = False
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}
        if self._watch_stop is not None:
            self._watch_stop.set()
        self._watchdog = self._watch_stop = None

    # ------------------------------------------------------------------ resume inside an epoch / iteration loop
    def before_train_epoch(self, runner) -> None:
        """After a resume from inside an epoch (or of an iteration loop), leave out the batches already
        trained."""
        loop = runner.train_loop
        loader = getattr(loop, 'dataloader', None)
        if loader is None or getattr(loader, 'batch_sampler', None) is None:
            return
        if isinstance(loop, IterBasedTrainLoop):
            self._fast_forward(runner, loop, loader)
            return
        if not isinstance(loop, EpochBasedTrainLoop):
            return
        per_epoch = len(loader)
        done = runner.iter - runner.epoch * per_epoch
        if per_epoch == 0 or done <= 0:
            return
        if done >= per_epoch:  # an iteration checkpoint of an epoch's last iteration: MMEngine repeats the epoch
            print_log(f'PreemptionHook: resumed at iteration {runner.iter}, past the {per_epoch} iterations of '
                      f'epoch {runner.epoch + 1}; nothing to skip', logger='current', level=30)
            return
        set_skip(loader, done)
        self._skip_restore = loader
        print_log(f'PreemptionHook: resuming inside epoch {runner.epoch + 1}: skipping its first {done} of '
                  f'{per_epoch} batches (already trained)', logger='current')

    def _fast_forward(self, runner, loop, loader) -> None:
        """``IterBasedTrainLoop`` resumed at iteration ``n``: its ``n`` replay calls load nothing, the batches
        already trained are left out at the batch sampler."""
        done = runner.iter
        if done <= 0:
            return
        per_pass = len(loader)
        passes, rest = (0, done) if is_endless(loader) or not per_pass else divmod(done, per_pass)
        if set_skip(loader, rest) and getattr(loader, '_iterator', None) is not None:
            # a persistent-worker iterator, made by the loop's constructor, would keep the unwrapped sampler
            loader._iterator = None
        loop.dataloader_iterator = FastForward(loader, done, passes, lambda: set_skip(loader, 0))
        print_log(f'PreemptionHook: resuming at iteration {done}: skipping its {done} trained batches at the '
                  'batch sampler (nothing is loaded for them)', logger='current')

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

    @staticmethod
    def _validates(runner, done: int) -> bool:
        """Whether the training loop validates after ``done`` epochs (epoch loop) or iterations (iteration loop),
        as MMEngine's ``run`` decides it."""
        loop = runner.train_loop
        if runner.val_loop is None:
            return False
        epochs = isinstance(loop, EpochBasedTrainLoop)
        milestones = getattr(loop, 'dynamic_milestones', None)
        interval = loop.val_interval
        if milestones:
            interval = loop.dynamic_intervals[bisect.bisect(milestones, done + 1) - 1]
        last = loop.max_epochs if epochs else loop.max_iters
        return done >= loop.val_begin and (done % interval == 0 or done == last)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        """Every ``check_interval`` iterations: stop, save and exit when any rank got a signal.

        At the last iteration of an epoch the stop waits for ``after_train_epoch`` (the epoch's scheduler
        steps and checkpoint happen first), so the checkpoint is the epoch's end, resumed at the next epoch.
        """
        self._drop_superseded(runner)
        if self._stop_at_epoch_end or (runner.iter + 1) % self.check_interval or not self._agreed(runner):
            return
        loop = runner.train_loop
        loader = getattr(loop, 'dataloader', None)
        if isinstance(loop, EpochBasedTrainLoop) and loader is not None and batch_idx + 1 >= len(loader):
            self._stop_at_epoch_end = True
            return
        done = runner.iter + 1
        pending = isinstance(loop, IterBasedTrainLoop) and self._validates(runner, done)
        self._stop(runner, epoch=runner.epoch, done=done, val_pending=pending)

    def after_train_epoch(self, runner) -> None:
        """Let the batch sampler give full passes again after a resumed epoch; stop here when the signal came at
        the epoch's end (the epoch's validation, if the schedule has one, is left pending in the checkpoint)."""
        if self._skip_restore is not None:
            set_skip(self._skip_restore, 0)
            self._skip_restore = None
        self._drop_superseded(runner)
        if self._stop_at_epoch_end:
            self._stop(runner, epoch=runner.epoch + 1, done=runner.iter,
                       val_pending=self._validates(runner, runner.epoch + 1))

    def after_val_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        """During a training run's validation: stop after this batch when any rank got a signal (the state saved
        is the last finished training iteration; the validation is left pending)."""
        if not self._training or not self._agreed(runner):
            return
        total = len(runner.val_loop.dataloader)
        print_log(f'PreemptionHook: stopping the validation after batch {batch_idx + 1} of {total}',
                  logger='current', level=30)
        for hook in runner.hooks:  # EMAHook swapped the averaged weights in for validation: save the trained ones
            if isinstance(hook, EMAHook) and getattr(hook, 'ema_model', None) is not None:
                hook._swap_ema_parameters()
        self._stop(runner, epoch=runner.epoch, done=runner.iter, val_pending=True)

    def _stop(self, runner, epoch: int, done: int, val_pending: bool = False) -> None:
        """Save the checkpoint of the ``done`` iterations (``epoch``: the epoch to resume in), point
        ``last_checkpoint`` at it, requeue, and exit on every rank."""
        name = signal.Signals(self.received).name
        print_log(f'PreemptionHook: {name} received; iteration {done} finished on every rank, saving it'
                  + (' (its validation is left pending: the resumed run validates it first)' if val_pending
                     else ''), logger='current', level=30)
        ckpt_hook = self._checkpoint_hook(runner)
        out_dir = getattr(ckpt_hook, 'out_dir', None) or runner.work_dir
        filename = f'iter_{done}.pth'
        path = osp.join(out_dir, filename)
        hub = runner.message_hub
        superseded = [p for p in hub.get_info(PREEMPTION_CKPTS_KEY, []) if p != path]
        hub.update_info(PREEMPTION_CKPTS_KEY, [path])
        meta = dict(epoch=epoch, iter=done, preempted=name)
        if val_pending:
            meta['val_pending'] = True
        runner.save_checkpoint(out_dir, filename, meta=meta, by_epoch=False)
        if self._rank == 0:
            atomic_write_text(path, osp.join(runner.work_dir, 'last_checkpoint'))
            self._saved = True
            if ckpt_hook is not None:
                ckpt_hook.last_ckpt = path
            if self._keeps_few(ckpt_hook):
                self._remove(superseded)
            self._requeue()
        barrier()
        self._saved = True
        elapsed = time.monotonic() - (self._received_at or time.monotonic())
        print_log(f'PreemptionHook: saved {path} (iteration {done}, in epoch {runner.epoch + 1}) and '
                  f'last_checkpoint {elapsed:.1f} s after {name}; exiting with {self.exit_code}. '
                  'Resume with --resume.', logger='current', level=30)
        self.after_run(runner)
        from ...utils.process_group import teardown_process_group
        teardown_process_group()
        raise TrainingPreempted(self.exit_code)

    # ------------------------------------------------------------------ preemption checkpoints
    @staticmethod
    def _checkpoint_hook(runner) -> Optional[CheckpointHook]:
        return next((h for h in runner.hooks if isinstance(h, CheckpointHook)), None)

    @staticmethod
    def _keeps_few(ckpt_hook) -> bool:
        return ckpt_hook is not None and getattr(ckpt_hook, 'max_keep_ckpts', -1) > 0

    @staticmethod
    def _remove(paths) -> None:
        for path in paths:
            if osp.isfile(path):
                os.remove(path)
                print_log(f'PreemptionHook: removed the superseded preemption checkpoint {path}',
                          logger='current')

    def _drop_superseded(self, runner) -> None:
        """Once the checkpoint hook (keeping ``max_keep_ckpts``) has written a newer checkpoint, delete the
        preemption checkpoints of this run's history."""
        hub = runner.message_hub
        paths = hub.get_info(PREEMPTION_CKPTS_KEY, None)
        if not paths:
            return
        ckpt_hook = self._checkpoint_hook(runner)
        last = getattr(ckpt_hook, 'last_ckpt', None)
        if not self._keeps_few(ckpt_hook) or last is None or last in paths:
            return
        if self._rank == 0:
            self._remove(paths)
        hub.update_info(PREEMPTION_CKPTS_KEY, [])

    def _requeue(self) -> None:
        """Rank 0: requeue the Slurm job (``requeue``), once; a failure is logged, the exit goes on."""
        with self._requeue_lock:
            if self._requeued:
                return
            self._requeued = True
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
