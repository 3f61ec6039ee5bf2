"""GPU-only tests (``pytest -m cuda``; ``.dev_scripts/gpu_check.sh`` part a). Every module here sets
``pytestmark = pytest.mark.cuda``; every test here is skipped where torch sees no CUDA device.

``GA2CLIP_CUDA_TESTS_ON_CPU=1`` runs the bf16 ones on the CPU instead (MMEngine's CUDA assertion of
``AmpOptimWrapper`` patched away), to debug the tests' own logic on a machine without a GPU; it proves nothing
about a GPU, and tests that need CUDA itself (NCCL, CUDA kernels, fp16 scaling) still skip.
"""
import os

import pytest
import torch

ON_CPU = os.environ.get('GA2CLIP_CUDA_TESTS_ON_CPU') == '1'


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(os.path.abspath(__file__))
    for item in items:
        if str(item.fspath).startswith(here):
            if not torch.cuda.is_available() and not ON_CPU:
                item.add_marker(pytest.mark.skip(reason='needs a CUDA GPU (.dev_scripts/gpu_check.sh runs these)'))


@pytest.fixture
def device(monkeypatch) -> str:
    """``'cuda'``, or ``'cpu'`` in the debugging mode (module docstring)."""
    if torch.cuda.is_available():
        return 'cuda'
    from mmengine.optim.optimizer import amp_optimizer_wrapper
    monkeypatch.setattr(amp_optimizer_wrapper, 'is_cuda_available', lambda: True)
    return 'cpu'


@pytest.fixture
def real_cuda() -> None:
    """Skips a test in the CPU debugging mode (it needs CUDA itself)."""
    if not torch.cuda.is_available():
        pytest.skip('needs CUDA itself (NCCL, CUDA kernels or fp16 loss scaling)')
