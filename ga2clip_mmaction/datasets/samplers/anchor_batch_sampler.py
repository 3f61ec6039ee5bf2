"""Batch sampler that appends anchor clips to every batch of main samples."""
from typing import List

import numpy as np
from torch.utils.data import Sampler
from mmaction.registry import DATA_SAMPLERS

from .seeded_batch_sampler import SeededBatchSampler

_MASK32 = 0xFFFFFFFF


@DATA_SAMPLERS.register_module()
class AnchorBatchSampler(SeededBatchSampler):
    """Batch the main indices of a sampler and add ``num_anchors`` anchor indices to each batch.

    Used with :class:`~ga2clip_mmaction.datasets.AnchorSetDataset` as
    ``train_dataloader.batch_sampler=dict(type='AnchorBatchSampler', num_anchors=1)``; MMEngine's runner
    builds it with the configured ``sampler`` (e.g. ``DefaultSampler``) and ``batch_size``. Each batch is
    ``batch_size`` main indices from the wrapped sampler (its shuffling, rank sharding and epoch) followed by
    ``num_anchors`` anchor indices (``>= len(dataset)``). The anchors are drawn without replacement (with
    replacement only when there are fewer anchor clips than ``num_anchors``) from a generator seeded by
    ``(sampler seed, epoch, rank, batch position)``: ranks draw different anchors, every epoch draws anew,
    and a run with the same seed draws the same anchors. ``DistSamplerSeedHook`` sets the epoch of the wrapped
    sampler, which is where the epoch is read from. Like :class:`SeededBatchSampler`, every index (anchor clips
    included) carries the coordinates of its draw, for per-sample seeded augmentation.

    Args:
        sampler (Sampler): The sampler of main indices; its ``dataset`` must be an ``AnchorSetDataset``.
        batch_size (int): Main samples per batch.
        num_anchors (int): Anchor clips per batch. Defaults to 1 (as released).
        drop_last (bool): Drop the last incomplete batch of main samples. Defaults to False.
        start_batch (int): Batches of each pass left out at its start (see :class:`SeededBatchSampler`).
            Defaults to 0.
    """

    def __init__(self, sampler: Sampler, batch_size: int, num_anchors: int = 1,
                 drop_last: bool = False, start_batch: int = 0) -> None:
        if not isinstance(num_anchors, int) or num_anchors < 0:
            raise ValueError(f'AnchorBatchSampler: num_anchors must be an int >= 0, got {num_anchors!r}')
        dataset = getattr(sampler, 'dataset', None)
        if not (hasattr(dataset, 'num_main') and hasattr(dataset, 'num_anchors')):
            raise TypeError('AnchorBatchSampler: the sampler\'s dataset must be an AnchorSetDataset, got '
                            f'{type(dataset).__name__}; wrap train_dataloader.dataset in '
                            "dict(type='AnchorSetDataset', dataset=..., anchor_dataset=...)")
        super().__init__(sampler, batch_size, drop_last, start_batch)
        self.num_anchors = num_anchors
        self.dataset = dataset

    def anchor_indices(self, batch_idx: int) -> List[int]:
        """The anchor indices (in the dataset's index space) of batch ``batch_idx`` of this epoch and rank.

        Args:
            batch_idx (int): Position of the batch in the epoch.

        Returns:
            list[int]: ``num_anchors`` indices in ``[len(dataset), len(dataset) + num_anchors_total)``.
        """
        if self.num_anchors == 0:
            return []
        total = self.dataset.num_anchors
        entropy = [self.seed & _MASK32, (self.seed >> 32) & _MASK32, self.epoch, self.rank, batch_idx]
        rng = np.random.default_rng(np.random.SeedSequence(entropy))
        picks = rng.choice(total, size=self.num_anchors, replace=self.num_anchors > total)
        offset = self.dataset.num_main
        return [offset + int(i) for i in picks]

    def extra_indices(self, batch_idx: int) -> List[int]:
        """The anchor indices of batch ``batch_idx`` (see :meth:`anchor_indices`)."""
        return self.anchor_indices(batch_idx)
