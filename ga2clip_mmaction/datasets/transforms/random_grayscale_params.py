"""Draw :class:`VideoRandomGrayscale` for the device; the frames are not touched."""
from typing import Dict

from mmaction.registry import TRANSFORMS

from .device_aug_record import record_once
from .random_grayscale import VideoRandomGrayscale


@TRANSFORMS.register_module()
class RandomGrayscaleParams(VideoRandomGrayscale):
    """:class:`VideoRandomGrayscale`, drawn (:meth:`VideoRandomGrayscale.draw`, the same call) but not applied.

    The decision goes to the device record (:mod:`.device_aug_record`) and to ``grayscale``, as
    :class:`VideoRandomGrayscale` sets it; ``DeviceAugmentDataPreprocessor`` converts the clip (same luma weights, rounded
    for uint8 clips).

    Added keys: ``grayscale``, ``device_aug``.

    Args:
        p (float): Probability of the conversion. Defaults to 0.2.
    """

    def transform(self, results: Dict) -> Dict:
        """Draw the decision and record it.

        Args:
            results (dict): The pipeline results.

        Returns:
            dict: ``results`` with the decision in ``device_aug``.

        Raises:
            ValueError: A decision is already recorded.
        """
        return record_once(results, type(self).__name__, grayscale=self.draw())
