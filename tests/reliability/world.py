"""A tiny GA2-CLIP training world for reliability tests: videos, bad videos, a config (CPU, seconds).

Random tiny CLIP (``GA2-Tiny-Random``), 32 px, 4-frame clips; random frame choice, flips, grayscale and
coupling dropout, so every source of randomness of a real run is present.
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

CLASSES = ['red square', 'green circle', 'blue triangle']
ANCHOR_NAMES = ['red object', 'round object', 'small object']
#: Bad-video kinds the tests try; see :func:`write_bad_video`.
BAD_KINDS = ('missing', 'empty', 'truncated', 'random_bytes', 'too_few_frames')

CONFIG = '''
default_scope = 'mmaction'
custom_imports = dict(imports=['ga2clip_mmaction'], allow_failed_imports=False)
root = {root!r}
clip = dict(arch='GA2-Tiny-Random', weights=None)
model = dict(
    type='GA2CLIPRecognizer',
    backbone=dict(type='PromptedCLIPVision', clip=clip, vision_ctx=2, vision_depth=2),
    cls_head=dict(type='PromptCouplingHead', clip=clip, classnames=root + '/classes.txt', language_ctx=2,
                  language_depth=2, coupling='concat_mlp', coupling_dropout=0.5,
                  hard_prompt=root + '/hard_prompt.pt', loss_cls=dict(type='CrossEntropyLoss'),
                  anchor_loss=dict(type='AnchorLoss', mode='kl', loss_weight=1.0,
                                   anchor_names=root + '/anchor_names.txt', template='a video of a {{}}.')),
    data_preprocessor=dict(type='AnchorActionDataPreprocessor', mean=[122.771, 116.746, 104.094],
                           std=[68.501, 66.632, 70.323], format_shape='NCTHW'))
train_pipeline = [
    dict(type='DecordInit'), dict(type='SegmentSample', num_segments=2), dict(type='DecordDecode'),
    dict(type='Resize', scale=(32, 32), keep_ratio=False), dict(type='Flip', flip_ratio=0.5),
    dict(type='VideoRandomGrayscale', p=0.3), dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')]
test_pipeline = [
    dict(type='DecordInit'), dict(type='SegmentSample', num_segments=2, test_mode=True),
    dict(type='DecordDecode'), dict(type='Resize', scale=(32, 32), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'), dict(type='PackActionInputs')]
train_dataloader = dict(
    batch_size=2, num_workers={num_workers}, persistent_workers={persistent}, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AnchorBatchSampler', num_anchors=1),
    dataset=dict(
        type='AnchorSetDataset',
        dataset=dict(type='RobustVideoDataset', ann_file=root + '/{train_list}', data_prefix=dict(video=root),
                     pipeline=train_pipeline, min_frames={min_frames}),
        anchor_dataset=dict(type='RobustVideoDataset', ann_file=root + '/{anchor_list}',
                            data_prefix=dict(video=root), pipeline=train_pipeline),
        eval_ann_files=[root + '/test.txt'], leakage='strict'))
test_dataloader = dict(
    batch_size=4, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='RobustVideoDataset', ann_file=root + '/test.txt', data_prefix=dict(video=root),
                 pipeline=test_pipeline, test_mode=True))
test_evaluator = dict(type='AccMetric')
test_cfg = dict(type='TestLoop')
val_dataloader = None
val_evaluator = None
val_cfg = None
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs={epochs}, val_interval=100)
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=5e-2, weight_decay=1e-3), clip_grad=dict(max_norm=1.0))
param_scheduler = [dict(type='CosineAnnealingLR', T_max={epochs}, eta_min=0, by_epoch=True,
                        convert_to_iter_based=True)]
default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'), timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=1), param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=5, backend_args=dict(backend='atomic_local')),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # what configs/_base_/default_runtime.py declares (this world does not inherit it)
    config_check=dict(type='ConfigCheckHook'), randomness=dict(type='ResumableRandomnessHook'),
    bad_videos=dict(type='BadVideoHook'))
# CPU ranks (tests/engine/hooks/test_preemption_hook.py starts 2): gloo, chosen explicitly, run by our runner
runner_type = 'mmaction.GA2CLIPRunner'
env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
               dist_cfg=dict(backend='gloo'))
log_processor = dict(type='LogProcessor', window_size=1, by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=True)
'''


def write_video(path: str, num_frames: int = 4, seed: int = 0, label: int = 0) -> str:
    """A tiny 'mp4v' video whose colour depends on ``label`` and whose noise on ``seed``."""
    import cv2
    os.makedirs(osp.dirname(path), exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 8, (32, 32))
    rng = np.random.default_rng(seed)
    for t in range(num_frames):
        frame = rng.integers(0, 60, (32, 32, 3), dtype=np.uint8)
        frame[8:24, 8:24, label % 3] = 120 + 30 * t
        writer.write(frame)
    writer.release()
    return path


def write_bad_video(path: str, kind: str, good: str) -> str:
    """Write a bad video of ``kind`` (see :data:`BAD_KINDS`) at ``path``; ``good`` is a readable video."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    data = open(good, 'rb').read()
    if kind == 'missing':
        if osp.exists(path):
            os.remove(path)
    elif kind == 'empty':
        open(path, 'wb').close()
    elif kind == 'truncated':
        with open(path, 'wb') as f:
            f.write(data[:len(data) // 2])
    elif kind == 'random_bytes':
        with open(path, 'wb') as f:
            f.write(np.random.default_rng(0).bytes(100_000))
    elif kind == 'too_few_frames':
        write_video(path, num_frames=1)
    else:
        raise ValueError(kind)
    return path


def make_world(root: str, num_train: int = 8, bad: Sequence[str] = (), bad_anchors: Sequence[str] = (),
               num_workers: int = 0, persistent: bool = False, epochs: int = 3, min_frames: int = 1,
               extra: str = '') -> str:
    """Write the world under ``root`` and return its config path.

    Args:
        root (str): Folder.
        num_train (int): Readable training videos. Defaults to 8.
        bad (Sequence[str]): Bad kinds appended to the training list (``bad_<kind>.mp4``). Defaults to ().
        bad_anchors (Sequence[str]): Bad kinds appended to the anchor list. Defaults to ().
        num_workers (int): DataLoader workers for training. Defaults to 0.
        persistent (bool): Persistent workers. Defaults to False.
        epochs (int): Training epochs. Defaults to 3.
        min_frames (int): ``min_frames`` of the training set. Defaults to 1.
        extra (str): Config text appended. Defaults to ''.

    Returns:
        str: The config file.
    """
    os.makedirs(root, exist_ok=True)
    with open(osp.join(root, 'classes.txt'), 'w') as f:
        f.write('\n'.join(CLASSES) + '\n')
    with open(osp.join(root, 'anchor_names.txt'), 'w') as f:
        f.write('\n'.join(ANCHOR_NAMES) + '\n')
    torch.save({'hard_prompt': torch.randn(2, 64, generator=torch.Generator().manual_seed(3))},
               osp.join(root, 'hard_prompt.pt'))
    lines = []
    for i in range(num_train):
        write_video(osp.join(root, f'train_{i}.mp4'), seed=i, label=i % 3)
        lines.append(f'train_{i}.mp4 {i % 3}')
    good = osp.join(root, 'train_0.mp4')
    for kind in bad:
        write_bad_video(osp.join(root, f'bad_{kind}.mp4'), kind, good)
        lines.append(f'bad_{kind}.mp4 0')
    _write(root, 'train.txt', lines)
    anchors = []
    for i in range(3):
        write_video(osp.join(root, f'anchor_{i}.mp4'), seed=100 + i, label=i)
        anchors.append(f'anchor_{i}.mp4')
    for kind in bad_anchors:
        write_bad_video(osp.join(root, f'bad_anchor_{kind}.mp4'), kind, good)
        anchors.append(f'bad_anchor_{kind}.mp4')
    _write(root, 'anchors.txt', [f'{a} 0' for a in anchors])
    tests = []
    for i in range(3):
        write_video(osp.join(root, f'test_{i}.mp4'), seed=200 + i, label=i)
        tests.append(f'test_{i}.mp4 {i}')
    _write(root, 'test.txt', tests)
    config = osp.join(root, 'world.py')
    with open(config, 'w') as f:
        f.write(CONFIG.format(root=root, num_workers=num_workers, persistent=persistent, epochs=epochs,
                              min_frames=min_frames, train_list='train.txt', anchor_list='anchors.txt') + extra)
    return config


def _write(root: str, name: str, lines: List[str]) -> None:
    with open(osp.join(root, name), 'w') as f:
        f.write('\n'.join(lines) + '\n')


def prompt_params(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """The trained tensors of a state dict (prompts and coupling)."""
    keys = ('ctx', 'prompt', 'coupling')
    return {k: v for k, v in state_dict.items() if any(s in k for s in keys) and 'hard_prompt' not in k}


def max_abs_diff(a: Dict[str, torch.Tensor], b: Dict[str, torch.Tensor]) -> float:
    """Largest absolute difference over the common keys (asserts equal key sets)."""
    assert set(a) == set(b) and a, (sorted(a)[:5], sorted(b)[:5])
    return max(float((a[k].float() - b[k].float()).abs().max()) for k in a)


def latest(work_dir: str) -> Optional[str]:
    """The checkpoint ``last_checkpoint`` names."""
    path = osp.join(work_dir, 'last_checkpoint')
    return open(path).read().strip() if osp.exists(path) else None
