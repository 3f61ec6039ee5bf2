"""Helpers for Runner-level evaluation tests: tiny videos, a tiny GA2-CLIP config, a checkpoint."""
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch

BASE_CONFIG = """
default_scope = 'mmaction'
custom_imports = dict(imports=['ga2clip_mmaction'], allow_failed_imports=False)
default_hooks = dict(logger=dict(type='LoggerHook', interval=1))
clip = dict(arch='GA2-Tiny-Random', weights=None)
model = dict(
    type='GA2CLIPRecognizer',
    backbone=dict(type='PromptedCLIPVision', clip=clip, vision_ctx=2, vision_depth=2),
    cls_head=dict(type='PromptCouplingHead', clip=clip, classnames={classnames!r},
                  language_ctx=2, language_depth=2, coupling='none'),
    data_preprocessor=dict(type='AnchorActionDataPreprocessor',
                           mean=[122.771, 116.746, 104.094], std=[68.501, 66.632, 70.323],
                           format_shape='NCTHW'))
test_pipeline = [
    dict(type='DecordInit'),
    dict(type='SegmentSample', num_segments=2, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(32, 32), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_dataloader = dict(
    batch_size=4, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='VideoDataset', ann_file={ann_file!r}, data_prefix=dict(video={video_root!r}),
                 pipeline=test_pipeline, test_mode=True))
test_evaluator = dict(type='AccMetric')
test_cfg = dict(type='TestLoop')
"""


def write_videos(root: str, labels: Sequence[int]) -> Tuple[str, str]:
    """Write one 4-frame 'mp4v' video per label (colour set by label and index) and a list file.

    Returns:
        tuple[str, str]: The video folder and the annotation file (``name.mp4 label`` lines).
    """
    import cv2
    video_root = osp.join(root, 'videos')
    os.makedirs(video_root, exist_ok=True)
    lines = []
    for i, label in enumerate(labels):
        name = f'v{i}.mp4'
        writer = cv2.VideoWriter(osp.join(video_root, name), cv2.VideoWriter_fourcc(*'mp4v'), 8,
                                 (32, 32))
        for t in range(4):
            frame = np.zeros((32, 32, 3), np.uint8)
            frame[..., label % 3] = 60 + 40 * (i % 4) + 10 * t
            writer.write(frame)
        writer.release()
        lines.append(f'{name} {label}')
    ann_file = osp.join(root, 'ann.txt')
    with open(ann_file, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return video_root, ann_file


def write_config(path: str,
                 classnames: List[str],
                 labels: Optional[Sequence[int]] = None,
                 extra: str = '',
                 data: Optional[Tuple[str, str]] = None) -> str:
    """Write a tiny GA2-CLIP test config; returns ``path``.

    The test set is ``data`` (video folder, annotation file) or fresh videos of ``labels``
    written next to ``path``. ``extra`` is appended to the config text.
    """
    video_root, ann_file = data or write_videos(
        osp.join(osp.dirname(path), osp.basename(path) + '_data'), labels)
    with open(path, 'w') as f:
        f.write(BASE_CONFIG.format(classnames=list(classnames), ann_file=ann_file,
                                   video_root=video_root) + extra)
    return path


def write_checkpoint(config: str, path: str, seed: int = 0) -> str:
    """Build the config's model (prompts drawn with ``seed``) and save its state dict."""
    import ga2clip_mmaction  # noqa: F401
    from mmaction.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('mmaction'):
        model = MODELS.build(Config.fromfile(config).model)
    for p in model.parameters():
        if p.requires_grad:
            p.data.normal_(0, 0.5)
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    return path
