"""Draw ``RandomResizedCrop`` + ``Resize`` for the device; the frames are not touched."""
from typing import Dict, Tuple, Union

import numpy as np
from mmaction.datasets.transforms import RandomResizedCrop
from mmaction.registry import TRANSFORMS

from .device_aug_record import device_aug_record


@TRANSFORMS.register_module()
class RandomResizedCropParams(RandomResizedCrop):
    """MMAction2's ``RandomResizedCrop`` followed by ``Resize(scale, keep_ratio=False)``, drawn but not applied.

    The crop box comes from ``RandomResizedCrop.get_crop_bbox`` on ``img_shape`` (the same numpy and Python
    ``random`` calls, so a seeded pipeline draws the box the CPU transform draws) and goes to the device record
    (:mod:`.device_aug_record`) with the output size (and the frame size, unless :class:`ResizeParams` recorded a
    resize before: the box is then on the resized frame); ``DeviceAugmentDataPreprocessor`` crops and resizes.
    ``img_shape`` becomes the output size and ``crop_bbox`` is set, as the CPU pair would leave them; ``imgs`` keep
    their size, so nothing may resize or crop them after this transform.

    Required keys: ``img_shape``. Modified keys: ``img_shape``. Added keys: ``crop_bbox``, ``device_aug``.

    Args:
        area_range (tuple[float]): Area range of the crop, as a fraction of the frame. Defaults to (0.08, 1.0).
        aspect_ratio_range (tuple[float]): Width/height range of the crop. Defaults to (3 / 4, 4 / 3).
        scale (int | tuple[int, int]): Output ``(w, h)`` (``Resize``'s ``scale`` with ``keep_ratio=False``); an int
            is a square. Defaults to 224.
    """

    def __init__(self, area_range: Tuple[float, float] = (0.08, 1.0),
                 aspect_ratio_range: Tuple[float, float] = (3 / 4, 4 / 3),
                 scale: Union[int, Tuple[int, int]] = 224) -> None:
        super().__init__(area_range=area_range, aspect_ratio_range=aspect_ratio_range, lazy=False)
        if isinstance(scale, int):
            scale = (scale, scale)
        if len(scale) != 2 or not all(isinstance(s, int) and s > 0 for s in scale):
            raise ValueError(f'{type(self).__name__}: scale must be a positive int or (w, h), got {scale}')
        self.scale = tuple(scale)

    def transform(self, results: Dict) -> Dict:
        """Draw the crop box and record it.

        Args:
            results (dict): The pipeline results.

        Returns:
            dict: ``results`` with the crop in ``device_aug``.

        Raises:
            ValueError: A crop, flip or grayscale decision is already recorded (the device crops first).
        """
        record = device_aug_record(results)
        if set(record) - {'frame', 'resize'}:
            raise ValueError(f'{type(self).__name__} must come before the other *Params transforms but '
                             f'ResizeParams, and only once (recorded already: {sorted(record)})')
        img_h, img_w = (int(v) for v in results['img_shape'])
        x1, y1, x2, y2 = (int(v) for v in self.get_crop_bbox((img_h, img_w), self.area_range,
                                                             self.aspect_ratio_range))
        out_w, out_h = self.scale
        record.setdefault('frame', (img_h, img_w))
        record.update(crop=(x1, y1, x2, y2), size=(out_h, out_w))
        results['crop_bbox'] = np.array([x1, y1, x2, y2])
        results['img_shape'] = (out_h, out_w)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(area_range={self.area_range}, '
                f'aspect_ratio_range={self.aspect_ratio_range}, scale={self.scale})')
