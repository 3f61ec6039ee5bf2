"""Data preprocessor that normalises anchor clips like the main clips and hands them over separately."""
from typing import List, Tuple, Union

import torch
from mmaction.models.data_preprocessors import ActionDataPreprocessor
from mmaction.registry import MODELS

from ...structures import DEVICE_AUG_KEY, IS_ANCHOR_KEY


@MODELS.register_module()
class AnchorActionDataPreprocessor(ActionDataPreprocessor):
    """MMAction2's ``ActionDataPreprocessor`` plus anchor clips.

    Samples whose data sample carries the metainfo ``is_anchor=True`` (added by
    :class:`~ga2clip_mmaction.datasets.AnchorSetDataset`) are taken out of the batch, stacked and
    normalised exactly like the main clips (same mean/std, ``to_rgb`` and dtype; batch blending, if
    configured, acts on the main clips only) and returned as ``anchor_inputs``::

        dict(inputs=[B, ...], data_samples=[B samples], anchor_inputs=[A, ...])

    ``anchor_inputs`` is absent when a batch holds no anchors (validation, test, or training without the
    anchor set), so the recognizer's ``loss(inputs, data_samples, anchor_inputs=None)`` and ``predict`` get
    exactly MMAction2's arguments then. Arguments are those of ``ActionDataPreprocessor``.

    Samples whose metainfo holds a device-augmentation record (the ``*Params`` transforms of ``device_train_pipeline``) are
    refused: their frames are not cropped yet, and :class:`DeviceAugmentDataPreprocessor` is the one to use.
    """

    #: Whether this preprocessor applies device-augmentation records (:class:`DeviceAugmentDataPreprocessor` does).
    applies_device_aug = False

    def forward_onesample(self, data: dict, training: bool = False) -> dict:
        """Split anchors from main samples, then normalise both.

        Args:
            data (dict): ``inputs`` (list of tensors) and ``data_samples`` (list) from the dataloader.
            training (bool): Whether to apply training-time batch augmentation. Defaults to False.

        Returns:
            dict: ``inputs``, ``data_samples`` and, when the batch has anchors, ``anchor_inputs``.

        Raises:
            ValueError: The batch holds only anchor clips, or clips with a device-augmentation record.
        """
        inputs, data_samples = data['inputs'], data['data_samples']
        if data_samples is None:
            return super().forward_onesample(data, training)
        if not self.applies_device_aug and any(DEVICE_AUG_KEY in sample.metainfo for sample in data_samples):
            raise ValueError(f'{type(self).__name__}: the clips carry a device-augmentation record '
                             f'({DEVICE_AUG_KEY!r}, from the *Params transforms) and are not augmented yet: use '
                             "data_preprocessor=dict(type='DeviceAugmentDataPreprocessor', ...) (as "
                             'configs/ga2clip_b2n_k400_device_aug.py sets both)')
        flags = [bool(sample.metainfo.get(IS_ANCHOR_KEY, False)) for sample in data_samples]
        if not any(flags):
            return super().forward_onesample(data, training)
        if all(flags):
            raise ValueError('AnchorActionDataPreprocessor: the batch holds only anchor clips')
        main_inputs, main_samples, anchor_inputs = self._split(inputs, data_samples, flags)
        main, main_samples = self.preprocess(main_inputs, main_samples, training)
        anchors, _ = self.preprocess(anchor_inputs, None, training=False)
        out = dict(data)
        out.update(inputs=main, data_samples=main_samples, anchor_inputs=anchors)
        return out

    @staticmethod
    def _split(inputs: Union[List[torch.Tensor], torch.Tensor], data_samples: list,
               flags: List[bool]) -> Tuple[List[torch.Tensor], list, List[torch.Tensor]]:
        """Partition inputs and samples by the anchor flags (order kept)."""
        main_inputs = [x for x, a in zip(inputs, flags) if not a]
        main_samples = [s for s, a in zip(data_samples, flags) if not a]
        anchor_inputs = [x for x, a in zip(inputs, flags) if a]
        return main_inputs, main_samples, anchor_inputs
