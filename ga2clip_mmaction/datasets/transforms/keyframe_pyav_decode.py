"""Decode the sampled frames with PyAV's keyframe-aware reader: a drop-in for ``DecordDecode``."""
from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform
from mmaction.registry import TRANSFORMS


@TRANSFORMS.register_module()
class KeyframePyAVDecode(BaseTransform):
    """Decode ``frame_inds`` from the reader that :class:`KeyframePyAVInit` opened, then close it.

    Gives what ``DecordDecode`` (``mode='accurate'``) gives: a list of RGB ``H x W x 3`` uint8 frames in the
    order of ``frame_inds``, ``original_shape`` and ``img_shape``. Errors are raised here (a ``*Decode``
    transform), so ``RobustVideoDataset`` classifies them as a bad video.

    Required keys: ``video_reader``, ``frame_inds``. Added keys: ``imgs``, ``original_shape``, ``img_shape``.
    Modified keys: ``video_reader`` (set to ``None``).
    """

    def transform(self, results: Dict) -> Dict:
        """Decode the frames.

        Args:
            results (dict): The result dict.

        Returns:
            dict: ``results`` with ``imgs``, ``original_shape`` and ``img_shape``.
        """
        reader = results['video_reader']
        frame_inds = results['frame_inds']
        if frame_inds.ndim != 1:
            frame_inds = np.squeeze(frame_inds)
            results['frame_inds'] = frame_inds
        try:
            imgs = reader.get_batch(frame_inds.tolist())
        finally:
            reader.close()
            results['video_reader'] = None
        results['imgs'] = imgs
        results['original_shape'] = imgs[0].shape[:2]
        results['img_shape'] = imgs[0].shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}()'
