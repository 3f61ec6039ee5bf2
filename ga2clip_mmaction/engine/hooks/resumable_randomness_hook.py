"""Make every random draw of training a function of (seed, epoch, sample) or (seed, iteration)."""
import random

import numpy as np
import torch
from mmengine.hooks import Hook
from mmaction.registry import HOOKS

from ._datasets import iter_datasets

_MASK32 = 0xFFFFFFFF


@HOOKS.register_module()
class ResumableRandomnessHook(Hook):
    """Seed augmentation per sample and model randomness per iteration, so ``--resume`` is exact.

    Without it the random state at a given step depends on the process' history: a run resumed from a
    checkpoint starts from a freshly seeded generator and diverges from the uninterrupted run (flips, frame
    choices and dropout masks differ). With it:

    * before each training epoch, every :class:`~ga2clip_mmaction.datasets.RobustVideoDataset` of the train
      dataloader (anchor clips included, as their own stream) seeds the pipeline of sample ``i`` by
      ``(seed, epoch, stream, i)`` (shared memory, so DataLoader workers, persistent or not, follow);
    * before each training iteration, Python's, numpy's and torch's global generators (dropout, anything
      the model draws) are seeded by ``(seed, iteration)``.

    The sampler (``DefaultSampler``: ``seed + epoch``) and ``AnchorBatchSampler`` (``seed, epoch, rank,
    batch``) are already functions of the seed and epoch. ``seed`` is the runner's (``randomness.seed`` or
    ``--seed``; with ``diff_rank_seed`` it differs per rank). ``tools/train.py`` adds this hook to every
    training run.

    Args:
        seed (int, optional): Seed to use instead of the runner's. Defaults to None.
    """
    priority = 'NORMAL'

    def __init__(self, seed=None) -> None:
        self.seed = seed

    def _seed(self, runner) -> int:
        seed = self.seed if self.seed is not None else runner.seed
        return int(seed) if seed is not None else 0

    def before_train_epoch(self, runner) -> None:
        for stream, dataset in iter_datasets(runner.train_dataloader.dataset):
            if callable(getattr(dataset, 'set_sample_seed', None)):
                dataset.set_sample_seed(self._seed(runner), runner.epoch, stream)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        seed = self._seed(runner)
        state = np.random.SeedSequence([seed & _MASK32, (seed >> 32) & _MASK32, int(runner.iter)])
        low, high = (int(v) for v in state.generate_state(2))
        random.seed(low)
        np.random.seed(low)
        torch.manual_seed((high << 32) | low)
