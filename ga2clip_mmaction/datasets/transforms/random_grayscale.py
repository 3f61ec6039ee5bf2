"""Turn a whole clip to grayscale with a given probability."""
from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform
from mmaction.registry import TRANSFORMS

from ...structures import LUMA_RGB  # ITU-R 601-2 luma weights (PIL's and torchvision's RGB -> L), shared

_LUMA_RGB = np.array(LUMA_RGB, dtype=np.float32)


@TRANSFORMS.register_module()
class VideoRandomGrayscale(BaseTransform):
    """Convert all frames of ``imgs`` to grayscale (kept as 3 equal channels) with probability ``p``.

    One draw per clip, so a clip is either all colour or all gray. Frames are RGB (as ``DecordDecode``
    gives them) ``H x W x 3`` arrays; the dtype is kept (uint8 results are rounded).

    Required keys: ``imgs``. Modified keys: ``imgs``. Added keys: ``grayscale`` (bool).

    Args:
        p (float): Probability of the conversion. Defaults to 0.2.
    """

    def __init__(self, p: float = 0.2) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f'VideoRandomGrayscale: p must be in [0, 1], got {p}')
        self.p = p

    @staticmethod
    def to_gray(img: np.ndarray) -> np.ndarray:
        """Gray version of an RGB frame with 3 equal channels.

        Args:
            img (np.ndarray): ``H x W x 3`` RGB frame.

        Returns:
            np.ndarray: ``H x W x 3`` frame of the same dtype.
        """
        if img.ndim != 3 or img.shape[-1] != 3:
            raise ValueError(f'VideoRandomGrayscale: expected H x W x 3 RGB frames, got shape {img.shape}')
        gray = img.astype(np.float32) @ _LUMA_RGB
        if np.issubdtype(img.dtype, np.integer):
            gray = np.clip(np.rint(gray), np.iinfo(img.dtype).min, np.iinfo(img.dtype).max)
        return np.repeat(gray[..., None], 3, axis=-1).astype(img.dtype)

    def draw(self) -> bool:
        """The clip's decision: one ``np.random.rand()`` call (what :class:`RandomGrayscaleParams` draws too).

        Returns:
            bool: Whether to convert the clip.
        """
        return bool(np.random.rand() < self.p)

    def transform(self, results: Dict) -> Dict:
        """Convert the clip with probability ``p``.

        Args:
            results (dict): The pipeline results.

        Returns:
            dict: ``results`` with gray frames when drawn.
        """
        convert = self.draw()
        if convert:
            results['imgs'] = [self.to_gray(img) for img in results['imgs']]
        results['grayscale'] = convert
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(p={self.p})'
