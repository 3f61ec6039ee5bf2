"""Training-set wrapper that carries a second dataset of anchor clips (irrelevant videos)."""
import copy
import logging
from typing import Any, Dict, List, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset, force_full_init
from mmengine.logging import print_log
from mmaction.registry import DATASETS

from ..structures import IS_ANCHOR_KEY
from .split_files import MATCH_MODES, ClipIndex

LEAKAGE_MODES = ('drop', 'strict', 'off')


def _build(dataset: Union[BaseDataset, dict], name: str) -> BaseDataset:
    """Build a dataset from its config, or check that it is one."""
    if isinstance(dataset, dict):
        return DATASETS.build(dataset)
    if not hasattr(dataset, '__getitem__') or not hasattr(dataset, '__len__'):
        raise TypeError(f'AnchorSetDataset: `{name}` must be a dataset or its config, '
                        f'got {type(dataset)}')
    return dataset


@DATASETS.register_module()
class AnchorSetDataset:
    """Pair the training set with a set of anchor clips (generic attribute anchors).

    Indices ``0 .. len(dataset)-1`` return samples of the main dataset unchanged; indices
    ``len(dataset) .. len(dataset)+num_anchors-1`` return anchor clips whose data sample carries the
    metainfo ``is_anchor=True``. ``len()`` is the length of the main dataset, so samplers and epochs see the
    main samples only; :class:`~ga2clip_mmaction.datasets.samplers.AnchorBatchSampler` adds the anchor
    indices to each batch and
    :class:`~ga2clip_mmaction.models.data_preprocessors.AnchorActionDataPreprocessor` separates them again.

    Leakage guard. Anchor clips are meant to be irrelevant to the evaluation; a clip that is also in an
    evaluation list (the released K600 anchor list holds 136 K400 validation clips) is removed
    (``leakage='drop'``) or fails the build (``'strict'``). Clips are matched by id, never by folder, since
    every layout stores the same file elsewhere:

    * clip id: the file name without folder and extension (``vol_13/abc_000010_000020.mp4`` and
      ``val/abc_000010_000020.mp4`` are the same clip ``abc_000010_000020``; HMDB/UCF/SSv2 names are
      unique file names);
    * Kinetics clips ``<youtube_id>_<start>_<end>`` come from the YouTube video ``<youtube_id>``; the GA2-CLIP
      K400 lists name clips ``<youtube_id>.mp4`` only.

    With ``leakage_match='clip'`` (default) two Kinetics names match when their clip ids are equal, or, when
    one of them has no time span, when their YouTube ids are equal. With ``'video'`` any two clips cut from
    the same YouTube video match (stricter: it also drops other segments of an evaluation video).

    Args:
        dataset (BaseDataset | dict): The main (training) dataset or its config.
        anchor_dataset (BaseDataset | dict): The anchor dataset or its config, usually a ``VideoDataset`` with
            the training pipeline. Must be an MMEngine ``BaseDataset`` when clips are dropped or subsampled.
        max_anchor_videos (int): Keep a seeded random subset of this many anchor clips (after the leakage
            guard); ``0`` keeps all (to train without anchors, set the batch sampler's ``num_anchors=0``).
            Defaults to 0.
        subset_seed (int): Seed of that subset (fixed, so every rank and every run uses the same subset).
            Defaults to 0.
        eval_ann_files (Sequence[str]): Evaluation list files (any format read by
            :func:`~ga2clip_mmaction.datasets.split_files.read_video_list`). Defaults to ().
        leakage (str): ``'drop'`` | ``'strict'`` | ``'off'``. Defaults to ``'drop'``.
        leakage_match (str): ``'clip'`` | ``'video'``, see above. Defaults to ``'clip'``.
        lazy_init (bool): Defer loading the annotations to :meth:`full_init`. Defaults to False.
    """

    def __init__(self,
                 dataset: Union[BaseDataset, dict],
                 anchor_dataset: Union[BaseDataset, dict],
                 max_anchor_videos: int = 0,
                 subset_seed: int = 0,
                 eval_ann_files: Sequence[str] = (),
                 leakage: str = 'drop',
                 leakage_match: str = 'clip',
                 lazy_init: bool = False) -> None:
        if leakage not in LEAKAGE_MODES:
            raise ValueError(f'AnchorSetDataset: leakage must be one of {LEAKAGE_MODES}, got {leakage!r}')
        if leakage_match not in MATCH_MODES:
            raise ValueError(f'AnchorSetDataset: leakage_match must be one of {MATCH_MODES}, '
                             f'got {leakage_match!r}')
        if max_anchor_videos < 0:
            raise ValueError(f'AnchorSetDataset: max_anchor_videos must be >= 0, got {max_anchor_videos}')
        if isinstance(eval_ann_files, str):
            eval_ann_files = [eval_ann_files]
        self.dataset = _build(dataset, 'dataset')
        self.anchor_dataset = _build(anchor_dataset, 'anchor_dataset')
        self.max_anchor_videos = max_anchor_videos
        self.subset_seed = subset_seed
        self.eval_ann_files = list(eval_ann_files)
        self.leakage = leakage
        self.leakage_match = leakage_match
        #: Filenames of the anchor clips removed by the leakage guard (filled by :meth:`full_init`).
        self.leaked_anchors: List[str] = []
        self._metainfo = self.dataset.metainfo if hasattr(self.dataset, 'metainfo') else {}
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        """The meta information of the main dataset (a copy)."""
        return copy.deepcopy(self._metainfo)

    def full_init(self) -> None:
        """Load both datasets, apply the leakage guard and the anchor subset (once)."""
        if self._fully_initialized:
            return
        for ds in (self.dataset, self.anchor_dataset):
            if hasattr(ds, 'full_init'):
                ds.full_init()
        keep = list(range(len(self.anchor_dataset)))
        if self.eval_ann_files and self.leakage != 'off':
            keep = self._leakage_guard(keep)
        elif self.leakage != 'off':
            print_log('AnchorSetDataset: no eval_ann_files given, anchor clips are not checked against the '
                      'evaluation lists', logger='current', level=logging.WARNING)
        if self.max_anchor_videos and self.max_anchor_videos < len(keep):
            rng = np.random.default_rng(self.subset_seed)
            keep = sorted(rng.choice(keep, size=self.max_anchor_videos, replace=False).tolist())
        if len(keep) < len(self.anchor_dataset):
            self._subset_anchors(keep)
        if len(self.anchor_dataset) == 0:
            source = getattr(self.anchor_dataset, 'ann_file', None) or type(self.anchor_dataset).__name__
            why = (f'the leakage guard dropped all {len(self.leaked_anchors)} (every clip is in '
                   f'{", ".join(self.eval_ann_files)})' if self.leaked_anchors else 'the anchor list is empty')
            raise ValueError(f'AnchorSetDataset: no anchor clips left from {source}: {why}. Give anchor clips '
                             'that are not in the evaluation lists, or train without anchors '
                             '(train_dataloader.batch_sampler.num_anchors=0)')
        self._fully_initialized = True

    def _anchor_filename(self, idx: int) -> str:
        """File name of the ``idx``-th anchor clip (from its annotation, without decoding)."""
        info: Dict[str, Any] = self.anchor_dataset.get_data_info(idx)
        return str(info.get('filename', info.get('frame_dir', '')))

    def _leakage_guard(self, keep: List[int]) -> List[int]:
        """Remove (or refuse) anchor clips that appear in the evaluation lists."""
        index = ClipIndex.from_files(self.eval_ann_files)
        leaked = [i for i in keep if index.contains(self._anchor_filename(i), self.leakage_match)]
        self.leaked_anchors = [self._anchor_filename(i) for i in leaked]
        files = ', '.join(self.eval_ann_files)
        if leaked and self.leakage == 'strict':
            examples = ', '.join(self.leaked_anchors[:5])
            raise ValueError(f'AnchorSetDataset: {len(leaked)} of {len(keep)} anchor clips appear in the '
                             f'evaluation lists ({files}), e.g. {examples}. Remove them from the anchor '
                             "list or use leakage='drop'.")
        print_log(f'AnchorSetDataset: leakage guard ({self.leakage_match} match) dropped {len(leaked)} of '
                  f'{len(keep)} anchor clips found in {files}', logger='current')
        leaked_set = set(leaked)
        return [i for i in keep if i not in leaked_set]

    def _subset_anchors(self, keep: List[int]) -> None:
        """Restrict the anchor dataset to the indices ``keep``."""
        if not hasattr(self.anchor_dataset, 'get_subset_'):
            raise TypeError('AnchorSetDataset: dropping or subsampling anchors needs an MMEngine '
                            f'BaseDataset as anchor_dataset, got {type(self.anchor_dataset)}')
        self.anchor_dataset.get_subset_(keep)

    @property
    @force_full_init
    def num_main(self) -> int:
        """Number of main samples (``len(self)``)."""
        return len(self.dataset)

    @property
    @force_full_init
    def num_anchors(self) -> int:
        """Number of anchor clips (after the leakage guard and the subset)."""
        return len(self.anchor_dataset)

    @force_full_init
    def __len__(self) -> int:
        return len(self.dataset)

    def is_anchor_index(self, idx: int) -> bool:
        """Whether ``idx`` addresses an anchor clip."""
        return idx >= self.num_main

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        """Annotation of the ``idx``-th sample (main or anchor index space).

        Args:
            idx (int): Index in ``[0, num_main + num_anchors)``.

        Returns:
            dict: The annotation of the main sample or anchor clip.
        """
        main, anchor = self._locate(idx)
        if anchor is None:
            return self.dataset.get_data_info(main)
        return self.anchor_dataset.get_data_info(anchor)

    def _locate(self, idx: int):
        """Map a wrapper index to ``(main_index, None)`` or ``(None, anchor_index)``."""
        total = self.num_main + self.num_anchors
        if not 0 <= idx < total:
            raise IndexError(f'AnchorSetDataset: index {idx} out of range [0, {total})')
        if idx < self.num_main:
            return idx, None
        return None, idx - self.num_main

    @force_full_init
    def __getitem__(self, idx: int) -> Any:
        main, anchor = self._locate(idx)
        if anchor is None:
            return self.dataset[main]
        data = self.anchor_dataset[anchor]
        data['data_samples'].set_metainfo({IS_ANCHOR_KEY: True})
        return data

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(main={type(self.dataset).__name__}, '
                f'anchors={type(self.anchor_dataset).__name__}, '
                f'max_anchor_videos={self.max_anchor_videos}, leakage={self.leakage!r})')
