"""Bad configs and annotation files fail before training starts, naming the file:line or key and what
was expected (one test per kind, through tools/train.py or tools/test.py as a user runs them)."""
import glob
import itertools
import os.path as osp
import re

import pytest
import torch

from tests.reliability.world import make_world


@pytest.fixture
def world(tmp_path):
    root = str(tmp_path / 'w')
    return root, make_world(root, num_train=2, epochs=1)


_RUNS = itertools.count()


def train(config, *options, work_dir=None):
    import tools.train
    # --plain-config: no yapf formatting of the config text (the checks stop the run before it trains).
    # A new experiment name per run: MMEngine keys its loggers by it (config name + the second the run started),
    # so two runs of one config in the same second would log into the first run's file.
    argv = [config, '--work-dir', work_dir or osp.join(osp.dirname(config), 'work'), '--plain-config',
            '--cfg-options', f'experiment_name=run{next(_RUNS)}', *options]
    return tools.train.main(argv)


def fails(match, config, *options, error=ValueError):
    with pytest.raises(error, match=match) as err:
        train(config, *options)
    assert not glob.glob(osp.join(osp.dirname(config), 'work', 'epoch_*.pth'))  # nothing trained
    return str(err.value)


def build(config, part, *options):
    """Apply ``--cfg-options`` and the config checks (ConfigCheckHook's), then build ``model`` or the train dataset as the
    Runner does (without the Runner's environment collection: the error comes from the component)."""
    from mmaction.registry import DATASETS, MODELS
    from mmengine.config import Config, DictAction
    from mmengine.registry import DefaultScope
    from ga2clip_mmaction.engine.config_checks import check_config
    cfg = Config.fromfile(config)
    if options:
        action = DictAction(option_strings=['--cfg-options'], dest='o')
        ns = type('NS', (), {})()
        action(None, ns, list(options))
        cfg.merge_from_dict(ns.o)
    check_config(cfg, training=True)
    with DefaultScope.overwrite_default_scope('mmaction'):
        if part == 'model':
            return MODELS.build(cfg.model)
        return DATASETS.build(cfg.train_dataloader.dataset)


def test_label_beyond_the_class_name_file(world):
    root, config = world
    with open(osp.join(root, 'train.txt'), 'a') as f:
        f.write('train_0.mp4 3\n')
    fails(re.escape(f'{root}/train.txt:3: label 3 but model.cls_head.classnames has 3 classes '
                    '(labels are 0-based indices into that list), in train_dataloader'), config)


def test_class_name_file_with_a_duplicate(world):
    root, config = world
    open(osp.join(root, 'classes.txt'), 'w').write('red square\ngreen circle\nred square\n')
    fails(re.escape(f"{root}/classes.txt:3: class name 'red square' repeats line 1"), config)


def test_class_name_file_with_a_blank_line(world):
    root, config = world
    open(osp.join(root, 'classes.txt'), 'w').write('red square\n\ngreen circle\nblue triangle\n')
    fails(re.escape(f'{root}/classes.txt:2: blank line between class names'), config)


def test_base_novel_overlap_in_a_b2n_config(world):
    root, config = world
    open(osp.join(root, 'novel.txt'), 'w').write('yellow star\ngreen circle\n')
    open(config, 'a').write(f"custom_hooks = [dict(type='ClassNamesHook', test=['{root}/classes.txt', "
                            f"'{root}/novel.txt'])]\n")
    fails(re.escape(f"custom_hooks.ClassNamesHook.test: base/novel overlap: 'green circle' is at "
                    f'{root}/classes.txt:2 and {root}/novel.txt:2'), config)


def test_hard_prompt_of_the_wrong_shape(world):
    root, config = world
    torch.save({'hard_prompt': torch.zeros(4, 64)}, osp.join(root, 'hard_prompt.pt'))
    with pytest.raises(ValueError, match=re.escape(f'{root}/hard_prompt.pt: hard prompt must be a tensor of shape '
                                                   '(2, 64) (language_ctx x text width), got (4, 64)')):
        build(config, 'model')


def test_anchor_set_empty_after_the_leakage_guard(world):
    root, config = world
    open(osp.join(root, 'anchors.txt'), 'w').write('test_0.mp4 0\ntest_1.mp4 1\n')
    with pytest.raises(ValueError, match=re.escape(
            f'AnchorSetDataset: no anchor clips left from {root}/anchors.txt: the leakage guard dropped all 2 '
            f'(every clip is in {root}/test.txt)')):
        build(config, 'dataset', 'train_dataloader.dataset.leakage=drop')


def test_anchors_off_is_stated_by_the_config_not_inferred(world):
    """num_anchors=0 alone is refused (no silent rewrite of model.cls_head.anchor_loss); both keys train without the
    anchor term, and the log says what was decided."""
    root, config = world
    fails(re.escape('model.cls_head.anchor_loss is set but no anchor clips reach the model '
                    '(train_dataloader.batch_sampler.num_anchors=0). For anchors off also set '
                    'model.cls_head.anchor_loss=None'), config, 'train_dataloader.batch_sampler.num_anchors=0')
    runner = train(config, 'train_dataloader.batch_sampler.num_anchors=0', 'model.cls_head.anchor_loss=None',
                   work_dir=osp.join(root, 'off'))
    assert runner.iter == 1 and runner.model.cls_head.anchor_loss is None
    (log, ) = glob.glob(osp.join(runner.log_dir, '*.log'))
    text = open(log).read()
    assert 'loss_cls' in text and 'loss_anchor' not in text


def test_an_inert_anchor_term_fails_before_training_unless_allowed(world):
    """No hook turns anchors off behind the config: the inert released term is refused when the model is built,
    with what to write instead; allowed, it is computed on the anchor clips as released."""
    root, config = world
    inert = ['model.cls_head.anchor_loss.mode=official', "model.cls_head.anchor_loss.anchor_names=['else']"]
    fails(re.escape('anchor clips would be decoded and forwarded for nothing. Turn anchors off '
                    '(cls_head.anchor_loss=None, no anchor clips: the same training)'), config, *inert)
    runner = train(config, *inert, 'model.cls_head.anchor_loss.allow_inert=True', work_dir=osp.join(root, 'inert'))
    assert runner.iter == 1 and runner.train_dataloader.batch_sampler.num_anchors == 1


def test_anchor_term_without_anchor_clips(world):
    _, config = world
    fails(re.escape('model.cls_head.anchor_loss is set but no anchor clips reach the model '
                    '(train_dataloader.batch_sampler is None, not AnchorBatchSampler)'), config,
          'train_dataloader.batch_sampler=None')


def test_anchor_clips_for_no_anchor_term(world):
    _, config = world
    fails(re.escape('train_dataloader.batch_sampler.num_anchors=1 decodes 1 anchor clip(s) per batch but '
                    'model.cls_head.anchor_loss is None (no anchor term uses them)'), config, 'model.cls_head.anchor_loss=None')


def test_classnames_none(world):
    _, config = world  # the head's own check, at model build (before ConfigCheckHook's before_run)
    fails(re.escape('cls_head.classnames is None: expected a class-name file'), config,
          'model.cls_head.classnames=None', error=TypeError)


def test_prob_view_average_with_base_novel_metric_is_refused_at_test_time(world, tmp_path):
    import tools.test
    root, config = world
    open(config, 'a').write("test_evaluator = dict(type='BaseNovelMetric', num_base_classes=2)\n")
    ckpt = str(tmp_path / 'c.pth')
    torch.save({'state_dict': {}}, ckpt)
    with pytest.raises(ValueError, match=re.escape(
            "model.view_average='prob' with BaseNovelMetric (test_evaluator): the softmax over all base + "
            'novel classes is averaged over views before the metric slices it')):
        tools.test.main([config, ckpt, '--work-dir', str(tmp_path / 'wd'), '--plain-config', '--cfg-options',
                         'model.view_average=prob'])


@pytest.mark.parametrize('option, match', [
    ('model.cls_head.coupling=nope', "cls_head.coupling: unknown coupling 'nope'; choose from"),
    ('model.cls_head.anchor_loss.mode=nope',
     "anchor_loss.mode must be one of ('official', 'kl', 'negative'), got 'nope'"),
    ("model.neck.type='nope'", 'nope is not in the mmaction::model registry'),
    ('model.temporal_pooling=mean', 'model.temporal_pooling is no longer a recognizer argument: use model.neck'),
    ("model.anchor_loss.mode='kl'", 'model.anchor_loss is no longer a recognizer argument: use '
                                    'model.cls_head.anchor_loss'),
])
def test_unknown_names(world, option, match):
    _, config = world
    with pytest.raises((KeyError, ValueError, TypeError), match=re.escape(match)):
        build(config, 'model', option)


def test_temporal_pooling_is_the_neck_as_documented(world):
    """docs/design.md: ``neck=dict(type='TemporalTransformerPooling', embed_dim=..., num_layers=...)``."""
    from mmaction.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    _, config = world
    open(config, 'a').write("model.update(neck=dict(type='TemporalTransformerPooling', embed_dim=64, num_layers=1))\n")
    with DefaultScope.overwrite_default_scope('mmaction'):
        model = MODELS.build(Config.fromfile(config).model)
    assert type(model.neck).__name__ == 'TemporalTransformerPooling'
    assert len(model.neck.state_dict()) > 0


def test_the_hook_checks_runs_started_without_our_tools(world, tmp_path):
    """MMAction2's own train.py builds the Runner from the config: ConfigCheckHook stops it in before_run."""
    from mmengine.config import Config
    from mmengine.runner import Runner
    from ga2clip_mmaction.engine.config_checks import ConfigError
    _, config = world
    cfg = Config.fromfile(config, format_python_code=False)
    cfg.work_dir = str(tmp_path / 'stock')
    cfg.custom_hooks = [dict(type='ConfigCheckHook')]
    cfg.train_dataloader.batch_sampler.num_anchors = 0
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ConfigError, match=re.escape('train_dataloader.batch_sampler.num_anchors=0). For anchors off '
                                                    'also set model.cls_head.anchor_loss=None')):
        runner.train()
    assert runner.iter == 0


def test_check_config_runs_once_per_run(world, monkeypatch):
    """tools/train.py adds no check of its own: ConfigCheckHook (declared in the config) is the one place."""
    from ga2clip_mmaction.engine.hooks import config_check_hook
    from ga2clip_mmaction.engine import config_checks
    calls = []
    check = config_checks.check_config
    monkeypatch.setattr(config_check_hook, 'check_config', lambda cfg, training=True: calls.append(training)
                        or check(cfg, training=training))
    monkeypatch.setattr(config_checks, 'check_config', lambda *a, **k: calls.append('tool') or check(*a, **k))
    root, config = world
    train(config, work_dir=osp.join(root, 'once'))
    assert calls == [True]
