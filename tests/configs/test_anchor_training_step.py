"""One training step of the base-to-novel config (tiny random CLIP): anchor clips reach the recognizer's loss."""
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.runner import Runner
from mmaction.registry import MODELS
from mmaction.utils import register_all_modules

import ga2clip_mmaction  # noqa: F401

register_all_modules(init_default_scope=True)

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


def test_b2n_train_step_passes_anchors_to_loss(tmp_path, make_video, monkeypatch):
    for i in range(3):
        make_video(f'main/v{i}.mp4', num_frames=6)
        make_video(f'anchors/a{i}.mp4', num_frames=5)
    (tmp_path / 'train.txt').write_text('v0.mp4 0\nv1.mp4 1\nv2.mp4 2\n')
    (tmp_path / 'anchors.txt').write_text('a0.mp4 0\na1.mp4 0\na2.mp4 0\n')
    (tmp_path / 'eval.txt').write_text('a2.mp4 0\n')  # one anchor clip is an evaluation clip
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'ga2clip_b2n_hmdb51.py'))
    clip = dict(arch='GA2-Tiny-Random', weights=None)
    cfg.model.backbone.update(clip=clip, vision_ctx=2, vision_depth=2, grad_checkpointing=False)
    cfg.model.cls_head.update(clip=clip, language_ctx=2, language_depth=2, grad_checkpointing=False,
                              classnames=['pour', 'pullup', 'punch'], hard_prompt=None)
    # anchors on, said together: the anchor term, the anchor set around the training list, the anchor sampler
    cfg.model.cls_head.anchor_loss = dict(type='AnchorLoss', mode='kl', anchor_names=['red thing', 'round thing'])
    loader_cfg = cfg.train_dataloader
    loader_cfg.update(batch_size=2, num_workers=0, persistent_workers=False,
                      batch_sampler=dict(type='AnchorBatchSampler', num_anchors=1))
    main = dict(loader_cfg.dataset, ann_file=str(tmp_path / 'train.txt'), pipeline=SMALL_PIPELINE,
                data_prefix=dict(video=str(tmp_path / 'main')))
    loader_cfg.dataset = dict(type='AnchorSetDataset', dataset=main, eval_ann_files=[str(tmp_path / 'eval.txt')],
                              anchor_dataset=dict(main, ann_file=str(tmp_path / 'anchors.txt'),
                                                  data_prefix=dict(video=str(tmp_path / 'anchors'))))
    loader = Runner.build_dataloader(loader_cfg.to_dict(), seed=0)
    assert loader.dataset.leaked_anchors == [str(tmp_path / 'anchors' / 'a2.mp4')]

    model = MODELS.build(cfg.model)
    seen = []
    loss_fn = model.loss

    def spy(inputs, data_samples, **kwargs):
        seen.append((tuple(inputs.shape), tuple(kwargs['anchor_inputs'].shape), len(data_samples)))
        return loss_fn(inputs, data_samples, **kwargs)

    monkeypatch.setattr(model, 'loss', spy)
    optim = OptimWrapper(torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3))
    batches = list(loader)
    assert len(batches) == 2
    losses = model.train_step(batches[0], optim)
    assert torch.isfinite(losses['loss_cls']) and torch.isfinite(losses['loss_anchor'])
    assert seen == [((2, 1, 3, 4, 32, 32), (1, 1, 3, 4, 32, 32), 2)]
    mean = torch.tensor([122.771, 116.746, 104.094]).view(1, 3, 1, 1, 1)
    std = torch.tensor([68.501, 66.632, 70.323]).view(1, 3, 1, 1, 1)
    raw_anchor = [x for x, s in zip(batches[1]['inputs'], batches[1]['data_samples'])
                  if s.metainfo.get('is_anchor')][0]
    out = model.data_preprocessor(batches[1], training=True)
    torch.testing.assert_close(out['anchor_inputs'][0], (raw_anchor.float() - mean) / std)
