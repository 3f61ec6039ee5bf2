"""Draw MMAction2's ``Flip`` for the device; the frames are not touched."""
from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform
from mmaction.registry import TRANSFORMS

from .device_aug_record import record_once


@TRANSFORMS.register_module()
class FlipParams(BaseTransform):
    """MMAction2's ``Flip`` (RGB frames, no labels, keypoints or boxes), drawn but not applied.

    One ``np.random.rand() < flip_ratio`` draw, as ``Flip`` makes it; the decision goes to the device record
    (:mod:`.device_aug_record`) and ``DeviceAugmentDataPreprocessor`` flips after cropping and resizing.
    ``flip`` and ``flip_direction`` are set as ``Flip`` sets them.

    Added keys: ``flip``, ``flip_direction``, ``device_aug``.

    Args:
        flip_ratio (float): Probability of a flip. Defaults to 0.5.
        direction (str): ``'horizontal'`` or ``'vertical'``. Defaults to ``'horizontal'``.
    """

    def __init__(self, flip_ratio: float = 0.5, direction: str = 'horizontal') -> None:
        if direction not in ('horizontal', 'vertical'):
            raise ValueError(f'{type(self).__name__}: direction must be horizontal or vertical, got {direction!r}')
        if not 0.0 <= flip_ratio <= 1.0:
            raise ValueError(f'{type(self).__name__}: flip_ratio must be in [0, 1], got {flip_ratio}')
        self.flip_ratio = flip_ratio
        self.direction = direction

    def transform(self, results: Dict) -> Dict:
        """Draw the flip and record it.

        Args:
            results (dict): The pipeline results.

        Returns:
            dict: ``results`` with the flip in ``device_aug``.

        Raises:
            ValueError: A flip is already recorded.
        """
        flip = bool(np.random.rand() < self.flip_ratio)
        return record_once(results, type(self).__name__, flip=flip, flip_direction=self.direction)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(flip_ratio={self.flip_ratio}, direction={self.direction!r})'
