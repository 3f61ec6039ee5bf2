"""Count, log and limit the bad training videos that ``RobustVideoDataset`` substituted."""
import logging
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.dist import all_gather_object, is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmaction.registry import HOOKS

from ...datasets.robust_video_dataset import BAD_VIDEOS_KEY, BadVideoError
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

    Args:
        max_bad_fraction (float): Largest tolerated fraction of distinct bad videos. Defaults to 0.01.
    """
    priority = 'NORMAL'

    def __init__(self, max_bad_fraction: float = 0.01) -> None:
        if not 0.0 <= max_bad_fraction <= 1.0:
            raise ValueError(f'BadVideoHook: max_bad_fraction must be in [0, 1], got {max_bad_fraction}')
        self.max_bad_fraction = max_bad_fraction
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

    def after_train_epoch(self, runner) -> None:
        events = [e for part in all_gather_object(self._epoch_events) for e in part]
        self._epoch_events = []
        for path, reason in events:
            self.bad.setdefault(path, reason)
        self.total += len(events)
        fraction = len(self.bad) / max(self._listed, 1)
        print_log(f'BadVideoHook: epoch {runner.epoch + 1}: bad videos: {len(events)} substituted this epoch, '
                  f'{len(self.bad)} distinct of {self._listed} listed ({100 * fraction:.2f} %), '
                  f'{self.total} substitutions in total', logger='current')
        runner.message_hub.update_info('bad_videos', dict(self.bad))
        if self.bad and is_main_process():
            self._write_list(osp.join(runner.work_dir, 'bad_videos.txt'))
        if fraction > self.max_bad_fraction:
            listed = '\n'.join(f'  {p}: {r}' for p, r in sorted(self.bad.items()))
            raise BadVideoError(
                f'BadVideoHook: {len(self.bad)} of {self._listed} training videos ({100 * fraction:.2f} %) are '
                f'unreadable, more than max_bad_fraction={self.max_bad_fraction:g}. Fix or remove them '
                f'(tools/data/check_videos.py writes a clean annotation file):\n{listed}')

    def after_train(self, runner) -> None:
        print_log(f'BadVideoHook: training done: {len(self.bad)} distinct bad videos of {self._listed} listed, '
                  f'{self.total} substitutions', logger='current')

    def _write_list(self, path: str) -> None:
        with open(path, 'w', encoding='utf-8') as f:
            f.write(''.join(f'{p}\t{r}\n' for p, r in sorted(self.bad.items())))

    @staticmethod
    def summarize(pairs: Sequence[Tuple[str, str]]) -> Optional[str]:
        """One line per ``(path, reason)``, or None when there is none."""
        return '\n'.join(f'{p}: {r}' for p, r in pairs) or None
