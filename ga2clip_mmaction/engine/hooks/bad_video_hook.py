"""Count, log and limit the bad training videos that ``RobustVideoDataset`` substituted."""
import logging
import os.path as osp
from typing import Dict, List, Optional, Tuple

from mmengine.dist import all_gather_object, is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmaction.registry import HOOKS

from ...datasets.robust_video_dataset import BadVideoError
from ...structures import BAD_VIDEOS_KEY
from ._datasets import num_listed_videos


def _bad_of_batch(data_batch) -> List[Tuple[str, str]]:
    """``(path, reason)`` pairs carried by the data samples of a batch (main samples and anchors)."""
    if not isinstance(data_batch, dict):
        return []
    samples = data_batch.get('data_samples') or []
    found = []
    for sample in samples:
        meta = getattr(sample, 'metainfo', None) or {}
        for path, reason in meta.get(BAD_VIDEOS_KEY, ()) or ():
            found.append((str(path), str(reason)))
    return found


@HOOKS.register_module()
class BadVideoHook(Hook):
    """Report the unreadable training videos that were replaced by other samples, and stop when too many.

    :class:`~ga2clip_mmaction.datasets.RobustVideoDataset` (``bad_video='skip'``) substitutes a bad video and
    records ``(path, reason)`` in the metainfo of the sample it returns instead, so the information reaches
    the main process from DataLoader workers. This hook reads it from every batch (anchor clips included),
    logs each bad file once with the decoder's reason, and at the end of every epoch sums the counts over
    ranks, logs ``bad videos: <n> substituted this epoch, <d> distinct of <N> listed (<f> %), <t> in total``
    and writes the list to ``<work_dir>/bad_videos.txt``. When the distinct bad videos exceed
    ``max_bad_fraction`` of the listed ones (main samples plus anchor clips), every rank stops with
    :class:`BadVideoError` listing them. The totals are logged again when training ends.

    Declared in ``configs/_base_/default_runtime.py`` (``default_hooks.bad_videos``; set its
    ``max_bad_fraction`` there or with ``--cfg-options default_hooks.bad_videos.max_bad_fraction=0.05``).

    The counts are also gathered and the limit checked every ``check_interval`` training iterations (a
    collective all ranks call after the same iteration), so an iteration-based loop, or a long epoch, stops
    early. They are saved in the checkpoint's ``meta['bad_videos']`` and restored by ``--resume``.

    Args:
        max_bad_fraction (float): Largest tolerated fraction of distinct bad videos. Defaults to 0.01.
        check_interval (int, optional): Iterations between checks besides the epoch ends; None: at epoch ends
            only. Defaults to 100.
    """
    priority = 'NORMAL'

    def __init__(self, max_bad_fraction: float = 0.01, check_interval: Optional[int] = 100) -> None:
        if not 0.0 <= max_bad_fraction <= 1.0:
            raise ValueError(f'BadVideoHook: max_bad_fraction must be in [0, 1], got {max_bad_fraction}')
        if check_interval is not None and check_interval < 1:
            raise ValueError(f'BadVideoHook: check_interval must be >= 1 or None, got {check_interval}')
        self.max_bad_fraction = max_bad_fraction
        self.check_interval = check_interval
        self._epoch_total = 0
        #: Distinct bad videos of the run (all ranks, updated at epoch ends): path -> reason.
        self.bad: Dict[str, str] = {}
        #: Substitutions over the run (all ranks, updated at epoch ends).
        self.total = 0
        self._epoch_events: List[Tuple[str, str]] = []
        self._logged: set = set()
        self._listed = 0

    def before_train(self, runner) -> None:
        self._listed = num_listed_videos(runner.train_dataloader.dataset)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        for path, reason in _bad_of_batch(data_batch):
            self._epoch_events.append((path, reason))
            if path not in self._logged:
                self._logged.add(path)
                print_log(f'BadVideoHook: unreadable video {path}: {reason}; replaced by another sample',
                          logger='current', level=logging.WARNING)

    def _collect(self, runner) -> float:
        """Gather the new events of every rank (a collective), update the counts; return the bad fraction."""
        events = [e for part in all_gather_object(self._epoch_events) for e in part]
        self._epoch_events = []
        for path, reason in events:
            self.bad.setdefault(path, reason)
        self.total += len(events)
        self._epoch_total += len(events)
        runner.message_hub.update_info('bad_videos', dict(self.bad))
        return len(self.bad) / max(self._listed, 1)

    def _check(self, runner, fraction: float, where: str) -> None:
        if self.bad and is_main_process():
            self._write_list(osp.join(runner.work_dir, 'bad_videos.txt'))
        if fraction > self.max_bad_fraction:
            listed = '\n'.join(f'  {p}: {r}' for p, r in sorted(self.bad.items()))
            raise BadVideoError(
                f'BadVideoHook: {len(self.bad)} of {self._listed} training videos ({100 * fraction:.2f} %) are '
                f'unreadable, more than max_bad_fraction={self.max_bad_fraction:g} ({where}). Fix or remove them '
                f'(tools/data/check_videos.py writes a clean annotation file):\n{listed}')

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        """Every ``check_interval`` iterations: gather the counts of all ranks and check the limit."""
        if self.check_interval is None or (runner.iter + 1) % self.check_interval:
            return
        self._check(runner, self._collect(runner), f'checked at iteration {runner.iter + 1}')

    def after_train_epoch(self, runner) -> None:
        fraction = self._collect(runner)
        print_log(f'BadVideoHook: epoch {runner.epoch + 1}: bad videos: {self._epoch_total} substituted this '
                  f'epoch, {len(self.bad)} distinct of {self._listed} listed ({100 * fraction:.2f} %), '
                  f'{self.total} substitutions in total', logger='current')
        self._epoch_total = 0
        self._check(runner, fraction, f'checked at the end of epoch {runner.epoch + 1}')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Save the counts gathered so far (``meta['bad_videos']``)."""
        checkpoint.setdefault('meta', {})['bad_videos'] = dict(bad=dict(self.bad), total=self.total)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """``--resume``: continue the counts of the checkpoint (a ``load_from`` starts new ones)."""
        saved = (checkpoint.get('meta') or {}).get('bad_videos')
        if saved and getattr(runner, '_resume', False):
            self.bad = dict(saved['bad'])
            self.total = int(saved['total'])
            self._logged |= set(self.bad)

    def after_train(self, runner) -> None:
        print_log(f'BadVideoHook: training done: {len(self.bad)} distinct bad videos of {self._listed} listed, '
                  f'{self.total} substitutions', logger='current')

    def _write_list(self, path: str) -> None:
        with open(path, 'w', encoding='utf-8') as f:
            f.write(''.join(f'{p}\t{r}\n' for p, r in sorted(self.bad.items())))
