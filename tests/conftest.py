"""Shared pytest fixtures."""
import os.path as osp
from typing import Callable

import numpy as np
import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: The canonical data shared next to the repository (absent for users).
SHARED_ROOT = osp.join(osp.dirname(REPO_ROOT), 'shared')


@pytest.fixture
def shared_path() -> Callable[..., str]:
    """``shared_path(*parts)``: a path under ``<repo root>/../shared``; skips the test when it is absent."""

    def _path(*parts: str) -> str:
        path = osp.join(SHARED_ROOT, *parts)
        if not osp.exists(path):
            pytest.skip(f'needs the shared data at {path} (not distributed with the project)')
        return path

    return _path


@pytest.fixture
def make_video(tmp_path) -> Callable[..., str]:
    """Factory writing a tiny 'mp4v' mp4 whose frame ``i`` is filled with the value ``i`` (decord reads it).

    Call ``make_video(name, num_frames=8, size=(40, 32))`` (size is width, height); returns the path.
    """
    import cv2

    def _make(name: str, num_frames: int = 8, size=(40, 32)) -> str:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), 8, size)
        for i in range(num_frames):
            writer.write(np.full((size[1], size[0], 3), (i * 7) % 256, dtype=np.uint8))
        writer.release()
        return str(path)

    return _make
