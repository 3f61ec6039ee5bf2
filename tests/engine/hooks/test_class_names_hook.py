"""ClassNamesHook: class list per stage, DDP-style unwrapping, files, errors."""
from types import SimpleNamespace

import pytest
from mmaction.registry import HOOKS
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
