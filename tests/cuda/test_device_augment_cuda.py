"""DeviceAugmentDataPreprocessor on CUDA gives the CPU pipeline's clips (uint8 clips moved by ``cast_data``).

The tolerance of ``tests/models/data_preprocessors/test_device_augment_data_preprocessor.py`` (at most 2 uint8 levels,
more than 1 on at most 0.3 % of the pixels, mean below 0.3 levels) against the CPU transforms, with the resizes and
the grayscale computed by CUDA kernels.
"""
import pytest
import torch

from tests.models.data_preprocessors.test_device_augment_data_preprocessor import (_batches, _check_tolerance,
                                                                                   _levels, _preprocessor, _run)

pytestmark = pytest.mark.cuda


def test_cuda_device_augmentation_gives_the_cpu_clips(real_cuda):
    cpu, dev = _batches(list(range(8)), anchors=(2, 5))
    ref = _run(_preprocessor('AnchorActionDataPreprocessor'), cpu)
    out = _run(_preprocessor('DeviceAugmentDataPreprocessor').cuda(), dev)
    assert out['inputs'].is_cuda and out['anchor_inputs'].is_cuda
    _check_tolerance(torch.cat([_levels(out['inputs'].cpu(), ref['inputs']).flatten(),
                                _levels(out['anchor_inputs'].cpu(), ref['anchor_inputs']).flatten()]))
