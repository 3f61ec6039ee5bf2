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


#: Config of a tiny MMAction2 recognizer for Runner tests (ResNet3d with 4 base channels, 32 px).
TOY_CONFIG = osp.join(REPO_ROOT, 'tests', 'data', 'configs', 'toy_i3d.py')


@pytest.fixture(scope='session')
def toy_recognizer_config(tmp_path_factory) -> str:
    """Path of a runnable copy of ``tests/data/configs/toy_i3d.py`` on synthetic videos.

    Writes 6 'mp4v' videos of 4 frames at 32x32 px, two per class: class ``c`` lights colour
    channel ``c``, brighter frame by frame. Train, val and test use the same 6 videos, so a
    Runner trains 2 epochs (3 iterations each) and tests in seconds.
    """
    import cv2

    root = tmp_path_factory.mktemp('toy_videos')
    lines = []
    for i in range(6):
        label = i % 3
        writer = cv2.VideoWriter(str(root / f'v{i}.mp4'), cv2.VideoWriter_fourcc(*'mp4v'), 8,
                                 (32, 32))
        for t in range(4):
            frame = np.zeros((32, 32, 3), dtype=np.uint8)
            frame[..., 2 - label] = 60 + 40 * t + 10 * (i // 3)  # BGR -> channel `label` in RGB
            writer.write(frame)
        writer.release()
        lines.append(f'v{i}.mp4 {label}')
    (root / 'ann.txt').write_text('\n'.join(lines) + '\n')
    data = f"dict(ann_file='{root / 'ann.txt'}', data_prefix=dict(video='{root}'))"
    config = root / 'toy_i3d_local.py'
    config.write_text(f"_base_ = ['{TOY_CONFIG}']\n"
                      f'train_dataloader = dict(dataset={data})\n'
                      f'val_dataloader = dict(dataset={data})\n'
                      f'test_dataloader = dict(dataset={data})\n')
    return str(config)


@pytest.fixture
def build_model_cfg_free():
    """``build_model_cfg_free(seed=0)``: a tiny GA2-CLIP recognizer (random CLIP, random hard prompt)."""
    import torch

    def _build(seed: int = 0):
        import ga2clip_mmaction  # noqa: F401
        from mmaction.registry import MODELS
        from mmengine.registry import DefaultScope
        torch.manual_seed(seed)
        clip = dict(arch='GA2-Tiny-Random', weights=None)
        cfg = dict(type='GA2CLIPRecognizer',
                   backbone=dict(type='PromptedCLIPVision', clip=clip, vision_ctx=2, vision_depth=2),
                   cls_head=dict(type='PromptCouplingHead', clip=clip, classnames=['a', 'b'], language_ctx=3,
                                 language_depth=2, hard_prompt=torch.randn(3, 64)))
        with DefaultScope.overwrite_default_scope('mmaction'):
            return MODELS.build(cfg)

    return _build


@pytest.fixture(scope='session')
def tiny_demo_world(tmp_path_factory) -> str:
    """A workspace holding a one-shot copy of the demo's synthetic world (``data/synthetic``, 32 px, 4 frames:
    12 train clips, 24 base+novel test clips) and a random hard prompt for GA2-Tiny (``[4, 64]``).

    Configs built on ``configs/ga2clip_b2n_demo.py`` run in it (their paths are relative to the workspace).
    """
    import torch

    from ga2clip_demo import make_synthetic_videos
    workspace = tmp_path_factory.mktemp('demo_world')
    data = workspace / 'data' / 'synthetic'
    make_synthetic_videos.main(['--out', str(data), '--frames', '4', '--size', '32', '--shots', '1',
                                '--base-pool', '1', '--val-per-class', '1', '--stage1-per-class', '1',
                                '--anchors-per-class', '1'])
    (data / 'hard_prompts').mkdir()
    torch.save({'hard_prompt': torch.randn(4, 64, generator=torch.Generator().manual_seed(0)) * 0.02},
               data / 'hard_prompts' / 'stage1_ctx.pt')
    return str(workspace)


#: The longest test modules (a trained demo, multi-rank launches, the GPU check's dry run), collected first: with
#: ``pytest -n 2 --dist loadfile`` (``make test``) they start at once instead of ending the run alone on one worker.
SLOW_FIRST = ('tests/tools/test_run_demo.py', 'tests/tools/test_dist_launch.py',
              'tests/engine/hooks/test_preemption_hook.py', 'tests/tools/test_gpu_check.py',
              'tests/reliability/test_crash_resume.py', 'tests/engine/hooks/test_small_checkpoint_hook.py')


def pytest_collection_modifyitems(config, items) -> None:
    """Put the :data:`SLOW_FIRST` modules first, in that order; the rest keep theirs (a stable sort)."""
    rank = {module: i for i, module in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split('::')[0], len(SLOW_FIRST)))
