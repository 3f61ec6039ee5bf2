"""The record that the ``*Params`` transforms fill and ``DeviceAugmentDataPreprocessor`` applies.

When augmentation runs on the device (``device_train_pipeline`` of ``configs/_base_/datasets/ga2clip_pipelines.py``),
the CPU pipeline decodes (and shrinks frames larger than needed) only; the ``*Params`` transforms draw the random
parameters with the same random calls, in the same order, as the CPU transforms they replace, and write them here,
under ``results[DEVICE_AUG_KEY]``. ``PackActionInputs(meta_keys=(..., DEVICE_AUG_KEY))`` puts the record in the data
sample's metainfo, and the data preprocessor applies it on the device, always in this order:

* ``frame`` (``(H, W)``): the size of the frames the CPU pipeline ships (checked);
* ``resize`` (``(h, w)``): resize the whole frames bilinearly first (:class:`ResizeParams`, MMAction2's ``Resize``);
* ``crop`` (``(x1, y1, x2, y2)``, pixels of the resized frames, or of ``frame`` without ``resize``; ``x2``/``y2``
  excluded) and ``size`` (``(h, w)``): crop, then resize bilinearly to ``size`` (``RandomResizedCrop`` +
  ``Resize(keep_ratio=False)``);
* ``flip`` (bool) and ``flip_direction`` (``'horizontal'`` / ``'vertical'``): ``Flip``;
* ``grayscale`` (bool): :class:`VideoRandomGrayscale`.

Missing entries are skipped. Values are plain Python ints, tuples, bools and strings.
"""
from typing import Dict

from ...structures import DEVICE_AUG_KEY  # the record's key in the results and the metainfo


def device_aug_record(results: Dict) -> Dict:
    """The record of ``results``, created empty on first use.

    Args:
        results (dict): The pipeline results.

    Returns:
        dict: ``results[DEVICE_AUG_KEY]`` (the same object, for in-place updates).
    """
    record = results.get(DEVICE_AUG_KEY)
    if record is None:
        record = results[DEVICE_AUG_KEY] = {}
    return record


def record_once(results: Dict, owner: str, **values) -> Dict:
    """Write ``values`` into the record of ``results`` and into ``results`` itself (the keys the CPU transform
    sets there).

    Args:
        results (dict): The pipeline results.
        owner (str): The transform's name, for the error.
        **values: The drawn parameters.

    Returns:
        dict: ``results``.

    Raises:
        ValueError: One of the keys is recorded already (the transform is in the pipeline twice).
    """
    record = device_aug_record(results)
    twice = sorted(set(values) & set(record))
    if twice:
        raise ValueError(f'{owner}: one {" / ".join(twice)} per pipeline (recorded already)')
    record.update(values)
    results.update(values)
    return results
