"""Anchors on, end to end through the Runner: configs/ga2clip_b2n_k400_negative_anchors.py (the released K400
base-to-novel config with anchors on) trains an epoch on videos the test makes, tiny random CLIP. Every step's
anchor clip reaches the anchor term, the anchor clip that is also an evaluation clip is never drawn, and the
preprocessor normalises the anchor clips as it does the main ones."""
import os.path as osp

import torch
from mmengine.config import Config

import ga2clip_mmaction  # noqa: F401
from ga2clip_mmaction.datasets import AnchorSetDataset
from ga2clip_mmaction.engine.runner_setup import build_runner

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SMALL_PIPELINE = [
    dict(type='DecordInit'),
    dict(type='SegmentSample', num_segments=4),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(32, 32), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='VideoRandomGrayscale', p=0.2),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]


def _data_tree(root, make_video):
    """The config's own relative paths (data/...) under ``root``: 4 training videos of 3 classes, 3 anchor clips,
    one of which (a2) is also a validation clip."""
    splits = root / 'data/splits/base2novel_splits/k400_splits'
    splits.mkdir(parents=True)
    for i in range(4):
        make_video(f'data/kinetics400/train/v{i}.mp4', num_frames=6)
    for i in range(3):
        make_video(f'data/kinetics600_anchors/vol_00/a{i}_000000_000010.mp4', num_frames=5)
    (splits / 'fs_base_s1_train.txt').write_text(''.join(f'train/v{i}.mp4 {i % 3}\n' for i in range(4)))
    (splits / 'base_val.txt').write_text('val/a2_000000_000010.mp4 1\n')  # an anchor clip in an evaluation list
    (splits / 'novel_val.txt').write_text('val/n0_000000_000010.mp4 0\n')
    (root / 'data/anchors').mkdir()
    (root / 'data/anchors/k600_anchor_clips.txt').write_text(
        ''.join(f'vol_00/a{i}_000000_000010.mp4 0\n' for i in range(3)))
    (root / 'data/labels').mkdir()
    (root / 'data/labels/gaa_base_labels_n.txt').write_text('else\n')  # the released anchor name


def test_anchors_on_config_trains_through_the_runner(tmp_path, make_video, monkeypatch):
    _data_tree(tmp_path, make_video)
    monkeypatch.chdir(tmp_path)
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'ga2clip_b2n_k400_negative_anchors.py'))
    # smaller, not otherwise different: tiny random CLIP, 4 frames of 32 px, batch 2, one epoch on the CPU
    clip = dict(arch='GA2-Tiny-Random', weights=None)
    cfg.model.backbone.update(clip=clip, vision_ctx=2, vision_depth=2, grad_checkpointing=False)
    cfg.model.cls_head.update(clip=clip, language_ctx=2, language_depth=2, grad_checkpointing=False,
                              classnames=['abseiling', 'archery', 'arm wrestling'],
                              hard_prompt=torch.randn(2, 64, generator=torch.Generator().manual_seed(0)))
    loader = cfg.train_dataloader
    loader.update(batch_size=2, num_workers=0, persistent_workers=False)
    loader.dataset.dataset.pipeline = SMALL_PIPELINE
    loader.dataset.anchor_dataset.pipeline = SMALL_PIPELINE
    cfg.update(val_dataloader=None, val_cfg=None, val_evaluator=None, test_dataloader=None, test_cfg=None,
               test_evaluator=None, custom_hooks=[], work_dir=str(tmp_path / 'work'), param_scheduler=None,
               randomness=dict(seed=0))
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1)
    cfg.optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3))
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)

    fetched = []
    getitem = AnchorSetDataset.__getitem__

    def fetch(self, idx):
        fetched.append(osp.basename(self.get_data_info(idx)['filename']) if self.is_anchor_index(idx) else idx)
        return getitem(self, idx)

    monkeypatch.setattr(AnchorSetDataset, '__getitem__', fetch)
    runner = build_runner(cfg)
    model = runner.model
    seen = []
    loss_fn = model.loss

    def spy(inputs, data_samples, **kwargs):
        losses = loss_fn(inputs, data_samples, **kwargs)
        seen.append((tuple(inputs.shape), tuple(kwargs['anchor_inputs'].shape), len(data_samples),
                     {k: float(v.detach()) for k, v in losses.items()}))
        return losses

    monkeypatch.setattr(model, 'loss', spy)
    runner.train()

    dataset = runner.train_dataloader.dataset
    assert dataset.leaked_anchors == ['data/kinetics600_anchors/vol_00/a2_000000_000010.mp4']
    assert dataset.num_main == 4 and dataset.num_anchors == 2
    # two steps of 2 main clips + 1 anchor clip each; the anchor term acts (finite, not zero) on every step
    assert [s[:3] for s in seen] == [((2, 1, 3, 4, 32, 32), (1, 1, 3, 4, 32, 32), 2)] * 2
    for *_, losses in seen:
        assert {'loss_cls', 'loss_anchor'} <= set(losses)
        assert all(torch.isfinite(torch.tensor(v)) for v in losses.values()) and losses['loss_anchor'] > 0
    anchors = [f for f in fetched if isinstance(f, str)]
    assert len(anchors) == 2 and set(anchors) <= {'a0_000000_000010.mp4', 'a1_000000_000010.mp4'}
    assert sorted(f for f in fetched if not isinstance(f, str)) == [0, 1, 2, 3]

    # the preprocessor separates the anchor clips and normalises them as the main clips
    batch = next(iter(runner.train_dataloader))
    mean = torch.tensor([122.771, 116.746, 104.094]).view(1, 3, 1, 1, 1)
    std = torch.tensor([68.501, 66.632, 70.323]).view(1, 3, 1, 1, 1)
    raw_anchor = [x for x, s in zip(batch['inputs'], batch['data_samples']) if s.metainfo.get('is_anchor')]
    assert len(raw_anchor) == 1
    out = model.data_preprocessor(batch, training=True)
    assert out['inputs'].shape[0] == 2
    torch.testing.assert_close(out['anchor_inputs'][0], (raw_anchor[0].float() - mean) / std)
