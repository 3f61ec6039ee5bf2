"""ClassNamesHook: class list per stage, DDP-style unwrapping, files, errors."""
from types import SimpleNamespace

import pytest
from mmaction.registry import HOOKS
from mmengine.hooks import Hook
from torch import nn

import ga2clip_mmaction  # noqa: F401


class _Head(nn.Module):
    """Records every class list it is given."""

    def __init__(self, names):
        super().__init__()
        self.classnames = list(names)
        self.calls = []

    def set_class_names(self, names):
        self.classnames = list(names)
        self.calls.append(list(names))


class _Model(nn.Module):

    def __init__(self, names):
        super().__init__()
        self.cls_head = _Head(names)


def _runner(model):
    return SimpleNamespace(model=model)


def test_train_val_test_sequence_switches_and_restores():
    model = _Model(['run', 'jump'])
    runner = _runner(model)
    hook = HOOKS.build(dict(type='ClassNamesHook', val=['run', 'jump', 'swim'],
                            test=['a', 'b', 'c', 'd']))
    hook.before_run(runner)
    hook.before_train(runner)
    assert model.cls_head.classnames == ['run', 'jump']
    hook.before_val(runner)
    assert model.cls_head.classnames == ['run', 'jump', 'swim']
    hook.after_val(runner)
    assert model.cls_head.classnames == ['run', 'jump']
    hook.before_test(runner)
    assert model.cls_head.classnames == ['a', 'b', 'c', 'd']
    hook.after_test(runner)
    assert model.cls_head.classnames == ['run', 'jump']


def test_no_val_list_keeps_training_list_during_validation():
    model = _Model(['run', 'jump'])
    hook = HOOKS.build(dict(type='ClassNamesHook', test=['x']))
    hook.before_run(_runner(model))
    hook.before_val(_runner(model))
    hook.after_val(_runner(model))
    assert model.cls_head.calls == []


def test_unwraps_model_wrapper():
    model = _Model(['run'])
    wrapped = nn.DataParallel(model)  # registered in MMEngine's MODEL_WRAPPERS like DDP
    hook = HOOKS.build(dict(type='ClassNamesHook', test=['x', 'y']))
    hook.before_run(_runner(wrapped))
    hook.before_test(_runner(wrapped))
    assert model.cls_head.classnames == ['x', 'y']


def test_files_and_concatenated_files(tmp_path):
    base = tmp_path / 'base.csv'
    base.write_bytes(b'id,name\r\n0,run\r\n1,"jump, high"')
    novel = tmp_path / 'novel.txt'
    novel.write_text('swim\nclimb\n')
    hook = HOOKS.build(dict(type='ClassNamesHook', val=str(base), test=[str(base), str(novel)]))
    assert hook.val_names == ['run', 'jump, high']
    assert hook.test_names == ['run', 'jump, high', 'swim', 'climb']


def test_missing_file_fails_at_build_time(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.csv'):
        HOOKS.build(dict(type='ClassNamesHook', test=str(tmp_path / 'missing.csv')))


def test_explicit_train_list_for_head_without_class_names():
    model = _Model(['run'])
    del model.cls_head.classnames
    hook = HOOKS.build(dict(type='ClassNamesHook', test=['x'], train=['run', 'jump']))
    hook.before_run(_runner(model))
    hook.before_test(_runner(model))
    hook.after_test(_runner(model))
    assert model.cls_head.calls == [['x'], ['run', 'jump']]


def test_head_without_class_names_needs_train_list():
    model = _Model(['run'])
    del model.cls_head.classnames
    hook = HOOKS.build(dict(type='ClassNamesHook', test=['x']))
    with pytest.raises(AttributeError, match=r'pass ClassNamesHook\(train=...\)'):
        hook.before_run(_runner(model))


def test_model_without_settable_head_is_an_error():
    hook = HOOKS.build(dict(type='ClassNamesHook', test=['x']))
    with pytest.raises(TypeError, match='needs model.cls_head.set_class_names'):
        hook.before_run(_runner(nn.Linear(2, 2)))


def test_real_runner_validates_on_val_names_and_trains_on_train_names(tmp_path, make_video):
    """Train 2 epochs with validation on 3 names: validation scores 3 classes (a label-2
    sample is accepted), training goes back to the 2 training names."""
    from mmengine.runner import Runner
    for i in range(3):
        make_video(f'videos/v{i}.mp4', num_frames=4)
    (tmp_path / 'train.txt').write_text('v0.mp4 0\nv1.mp4 1\n')
    (tmp_path / 'val.txt').write_text('v0.mp4 0\nv1.mp4 1\nv2.mp4 2\n')
    clip = dict(arch='GA2-Tiny-Random', weights=None)
    pipeline = [dict(type='DecordInit'), dict(type='SegmentSample', num_segments=2, test_mode=True),
                dict(type='DecordDecode'), dict(type='Resize', scale=(32, 32), keep_ratio=False),
                dict(type='FormatShape', input_format='NCTHW'), dict(type='PackActionInputs')]

    def loader(ann):
        return dict(batch_size=2, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
                    dataset=dict(type='VideoDataset', ann_file=str(tmp_path / ann),
                                 data_prefix=dict(video=str(tmp_path / 'videos')), pipeline=pipeline))

    seen_widths = []

    class _Probe(Hook):
        def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            seen_widths.extend(len(o.pred_score) for o in outputs)

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            seen_widths.append(('train', runner.model.cls_head.num_classes))

    runner = Runner(
        model=dict(type='GA2CLIPRecognizer',
                   backbone=dict(type='PromptedCLIPVision', clip=clip, vision_ctx=2, vision_depth=1),
                   cls_head=dict(type='PromptCouplingHead', clip=clip, classnames=['run', 'jump'],
                                 language_ctx=2, language_depth=1, coupling='none'),
                   data_preprocessor=dict(type='ActionDataPreprocessor', format_shape='NCTHW')),
        work_dir=str(tmp_path / 'wd'), default_scope='mmaction',
        train_dataloader=loader('train.txt'), val_dataloader=loader('val.txt'),
        train_cfg=dict(by_epoch=True, max_epochs=2, val_interval=1), val_cfg=dict(),
        val_evaluator=dict(type='BaseNovelMetric', num_base_classes=2),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        custom_hooks=[dict(type='ClassNamesHook', val=['run', 'jump', 'swim']), _Probe()],
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=10)))
    runner.train()
    assert seen_widths == [('train', 2), 3, 3, 3, ('train', 2), 3, 3, 3]
    assert runner.model.cls_head.classnames == ['run', 'jump']
    assert runner.message_hub.get_scalar('val/b2n/hm') is not None
