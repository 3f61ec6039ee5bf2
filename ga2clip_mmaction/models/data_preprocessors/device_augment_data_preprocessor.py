"""Data preprocessor that crops, resizes, flips and grays the clips on the device, then normalises them."""
from typing import List, Optional

import torch
from mmaction.registry import MODELS

from ...structures import DEVICE_AUG_KEY
from .anchor_data_preprocessor import AnchorActionDataPreprocessor
from .device_augment import apply_device_aug


@MODELS.register_module()
class DeviceAugmentDataPreprocessor(AnchorActionDataPreprocessor):
    """:class:`AnchorActionDataPreprocessor` that first applies each sample's device-augmentation record.

    With ``device_train_pipeline`` (``configs/_base_/datasets/ga2clip_pipelines.py``, e.g.
    ``configs/ga2clip_b2n_k400_device_aug.py``) the CPU
    pipeline ships decoded uint8 clips (short side at most 256, sizes differ between videos) and the ``*Params``
    transforms' record of the random parameters in each data sample's metainfo (``device_aug``). Here, on the device
    the batch was moved to, every clip with a record is resized (frames smaller than the recipe's), cropped, resized to
    the record's size (bilinear, as OpenCV's ``INTER_LINEAR``), flipped and turned gray as recorded, and rounded back
    to uint8 (:func:`~.device_augment.apply_device_aug`); anchor clips (``is_anchor=True``) are augmented like main
    clips.
    Then the batch goes through :class:`AnchorActionDataPreprocessor` (anchor split, stacking, ``mean``/``std``
    normalisation, blending), exactly as CPU-augmented uint8 clips do. Clips without a record (validation, test,
    pipelines that augment on the CPU) pass through untouched, so one preprocessor serves every loader.

    The random parameters are drawn on the CPU by the pipeline under the per-draw seeded generators, and this step is
    a deterministic function of them: exact resume holds as with CPU augmentation. Crop and resize run per clip (the
    crop sizes differ); each clip's frames are one ``interpolate`` call. Arguments are those of
    ``ActionDataPreprocessor``.
    """

    applies_device_aug = True

    def forward_onesample(self, data: dict, training: bool = False) -> dict:
        """Apply the records, then split anchors and normalise.

        Args:
            data (dict): ``inputs`` (list of tensors, on the device) and ``data_samples`` (list) from the dataloader.
            training (bool): Whether to apply training-time batch augmentation. Defaults to False.

        Returns:
            dict: ``inputs``, ``data_samples`` and, when the batch has anchors, ``anchor_inputs``.
        """
        samples = data.get('data_samples')
        if samples is not None:
            records = [sample.metainfo.get(DEVICE_AUG_KEY) for sample in samples]
            if any(record is not None for record in records):
                data = dict(data)
                data['inputs'] = self.augment(list(data['inputs']), records)
        return super().forward_onesample(data, training)

    def augment(self, inputs: List[torch.Tensor], records: List[Optional[dict]]) -> List[torch.Tensor]:
        """Apply each record to its clip (``None``: the clip is kept).

        Args:
            inputs (list[Tensor]): Packed clips (``format_shape`` layout), any sizes.
            records (list[dict | None]): One record per clip.

        Returns:
            list[Tensor]: The clips, augmented where they have a record.
        """
        if len(inputs) != len(records):
            raise ValueError(f'{type(self).__name__}: {len(inputs)} clips but {len(records)} data samples')
        layout = 'NCHW' if self.format_shape == 'NCHW' else 'NCTHW'
        return [clip if record is None else apply_device_aug(clip, record, layout)
                for clip, record in zip(inputs, records)]
