"""MMAction2's ``Resize``, left to the device unless it shrinks the frames."""
from typing import Dict

import mmcv
import numpy as np
from mmaction.datasets.transforms import Resize
from mmaction.registry import TRANSFORMS

from .device_aug_record import device_aug_record


@TRANSFORMS.register_module()
class ResizeParams(Resize):
    """MMAction2's ``Resize`` (same ``scale``/``keep_ratio`` arithmetic), run where it costs the CPU least.

    * The frames shrink (fewer pixels after): resized here, as ``Resize`` does, so the clip shipped to the device
      stays small (a 1920x1080 video ships 455x256 frames, not 16 times the bytes).
    * They keep their size: nothing to do (``Resize`` would copy them; OpenCV returns an exact copy).
    * They grow (e.g. 320x240 -> 341x256, HMDB51 and UCF101): recorded as ``resize`` in the device record
      (:mod:`.device_aug_record`) and done by ``DeviceAugmentDataPreprocessor`` first, before the crop.

    ``img_shape``, ``keep_ratio`` and ``scale_factor`` are set as ``Resize`` sets them in every case, so the
    transforms after it (``RandomResizedCropParams``) draw on the resized size. Only bilinear interpolation (what the
    device emulates) and RGB frames; no keypoints or boxes.

    Required keys: ``img_shape``, ``imgs``. Modified keys: ``imgs`` (when shrunk), ``img_shape``, ``scale_factor``.
    Added keys: ``keep_ratio``, ``device_aug`` (when grown).

    Args:
        scale (float | tuple[int, int]): ``Resize``'s ``scale`` (e.g. ``(-1, 256)``: short side 256).
        keep_ratio (bool): ``Resize``'s ``keep_ratio``. Defaults to True.
        shrink_on_cpu (bool): Resize shrinking frames here (True) or on the device too (False: the whole decoded
            frames are shipped). Defaults to True.
    """

    def __init__(self, scale, keep_ratio: bool = True, shrink_on_cpu: bool = True) -> None:
        super().__init__(scale=scale, keep_ratio=keep_ratio, interpolation='bilinear', lazy=False)
        self.shrink_on_cpu = shrink_on_cpu

    def transform(self, results: Dict) -> Dict:
        """Resize here, skip, or record the resize for the device.

        Args:
            results (dict): The pipeline results.

        Returns:
            dict: ``results``.

        Raises:
            ValueError: Another ``*Params`` transform ran before (the device resizes first).
        """
        if 'keypoint' in results or 'gt_bboxes' in results:
            raise ValueError(f'{type(self).__name__}: keypoints and boxes are not supported (use Resize)')
        img_h, img_w = (int(v) for v in results['img_shape'])
        if self.keep_ratio:
            new_w, new_h = mmcv.rescale_size((img_w, img_h), self.scale)
        else:
            new_w, new_h = self.scale
        new_w, new_h = int(new_w), int(new_h)
        if new_w * new_h < img_w * img_h and self.shrink_on_cpu:
            return super().transform(results)
        if (new_h, new_w) != (img_h, img_w):
            record = device_aug_record(results)
            if record:
                raise ValueError(f'{type(self).__name__} must come before the other *Params transforms '
                                 f'(recorded already: {sorted(record)})')
            record.update(frame=(img_h, img_w), resize=(new_h, new_w))
        factor = np.array([new_w / img_w, new_h / img_h], dtype=np.float32)
        results['scale_factor'] = results.get('scale_factor', np.array([1, 1], dtype=np.float32)) * factor
        results['img_shape'] = (new_h, new_w)
        results['keep_ratio'] = self.keep_ratio
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(scale={self.scale}, keep_ratio={self.keep_ratio}, '
                f'shrink_on_cpu={self.shrink_on_cpu})')
