"""Every protocol config parses, and builds its model (tiny random CLIP) and datasets.

The dataset check uses annotation files made from the canonical split files (``<repo>/../shared/data``) by
``tools/data/convert_splits.py``; it also checks that every label of every list is a valid index into the
class list the head uses at that stage (training, validation, test).
"""
import glob
import importlib
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmaction.registry import DATASETS, MODELS
from mmaction.utils import register_all_modules

import ga2clip_mmaction  # noqa: F401
from ga2clip_mmaction.utils.io import resolve_class_names

register_all_modules(init_default_scope=True)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SHARED_DATA = osp.join(osp.dirname(ROOT), 'shared', 'data')
#: Variants of a protocol config that change where the clips come from or where they are augmented (tested in
#: tests/configs/test_augment_on_device.py and tests/tools/data/test_extract_frames.py).
VARIANTS = ('_device_aug.py', '_rawframes.py')
#: Anchors-on variants of a released config (tested below and in tests/configs/test_anchor_training_step.py).
ANCHORS_ON = ('_negative_anchors.py', )
CONFIGS = sorted(p for pattern in ('ga2clip_*.py', 'vilt_clip_*.py')
                 for p in glob.glob(osp.join(ROOT, 'configs', pattern))
                 if 'demo' not in p and not p.endswith(VARIANTS + ANCHORS_ON))
NAMES = [osp.basename(p)[:-3] for p in CONFIGS]
TINY_CLIP = dict(arch='GA2-Tiny-Random', weights=None)
TINY_CTX = 2


def _load_tool(name):
    return importlib.import_module(f'tools.data.{name}')


def _config(name):
    return Config.fromfile(osp.join(ROOT, 'configs', f'{name}.py'))


def test_protocol_configs_exist():
    expected = {'ga2clip_b2n_k400', 'ga2clip_b2n_hmdb51', 'ga2clip_b2n_ucf101', 'ga2clip_b2n_ssv2',
                'ga2clip_hard_prompt_k400_base', 'ga2clip_hard_prompt_k100', 'ga2clip_zs_k400',
                'ga2clip_k400_fully_supervised'}
    expected |= {f'ga2clip_fs_{d}_k{k}' for d in ('hmdb51', 'ucf101', 'ssv2') for k in (2, 4, 8, 16)}
    expected |= {f'ga2clip_zs_eval_{d}_split{s}' for d in ('hmdb51', 'ucf101', 'k600') for s in (1, 2, 3)}
    expected |= {f'vilt_clip_b2n_{d}' for d in ('k400', 'hmdb51', 'ucf101', 'ssv2')}
    assert set(NAMES) == expected


@pytest.mark.parametrize('name', NAMES)
def test_config_parses_with_the_released_recipe(name):
    cfg = _config(name)
    model = cfg.model
    recognizer = 'ViLTCLIPRecognizer' if name.startswith('vilt_clip') else 'GA2CLIPRecognizer'
    assert model.type == recognizer and model.data_preprocessor.type == 'AnchorActionDataPreprocessor'
    assert model.backbone.vision_ctx == 16 and model.backbone.vision_depth == 9
    assert model.cls_head.language_ctx == 16 and model.cls_head.language_depth == 9
    assert cfg.custom_imports.imports == ['ga2clip_mmaction'] and cfg.default_scope == 'mmaction'
    if 'zs_eval' in name:
        assert cfg.get('train_dataloader') is None and cfg.test_evaluator.type == 'AccMetric'
        return
    train = cfg.train_dataloader
    opt = cfg.optim_wrapper
    assert opt.type == 'AmpOptimWrapper' and opt.optimizer.type == 'AdamW'
    assert opt.optimizer.weight_decay == 1e-3
    pipeline = train.dataset.pipeline
    assert [t['type'] for t in pipeline][:3] == ['DecordInit', 'SegmentSample', 'DecordDecode']
    assert pipeline[1]['num_segments'] == 32
    ssv2 = 'ssv2' in name
    assert train.batch_size == (4 if ssv2 else 8)
    assert ('Flip' in [t['type'] for t in pipeline]) != ssv2
    if 'hard_prompt' in name:
        assert model.cls_head.coupling == 'none' and model.cls_head.anchor_loss is None
        assert train.batch_sampler == dict(type='SeededBatchSampler')  # no anchors, per-draw seeded augmentation
        return
    if name.startswith('vilt_clip'):  # the GA2-CLIP recipe's data and schedule, ViLT-CLIP's parts
        released = _config(name.replace('vilt_clip', 'ga2clip'))
        assert model.cls_head.coupling == 'none' and model.cls_head.hard_prompt is None
        assert model.cls_head.anchor_loss is None and train.batch_sampler == dict(type='SeededBatchSampler')
        assert model.prompt_mapping == dict(type='InterModalPromptMapping')
        assert model.cls_head.consistency_loss.template == 'a video of a person doing {}.'
        assert train.dataset == released.train_dataloader.dataset
        for key in ('param_scheduler', 'optim_wrapper', 'train_cfg', 'test_dataloader', 'val_dataloader',
                    'test_evaluator', 'custom_hooks'):
            assert cfg[key] == released[key], key
        return
    assert model.cls_head.coupling == 'concat_mlp' and model.cls_head.hard_prompt.endswith('.pt')
    # anchors off, said together: no anchor term, no anchor clips (the released term is inert)
    assert model.cls_head.anchor_loss is None and train.batch_sampler == dict(type='SeededBatchSampler')
    assert train.dataset.type == 'RobustVideoDataset'
    warmup, cosine = cfg.param_scheduler
    lr_mult = 0.1 if 'hmdb51' in name else 1.0
    if '_fs_' in name:
        assert (cfg.train_cfg.max_epochs, warmup['end']) == (30, 5)
        assert opt.optimizer.lr == pytest.approx(8e-3 * lr_mult)
    else:
        assert (cfg.train_cfg.max_epochs, warmup['end']) == (12, 2)
        assert opt.optimizer.lr == pytest.approx(4e-2 * lr_mult)
    assert cosine['type'] == 'CosineAnnealingLR' and cosine['begin'] == warmup['end']
    if '_b2n_' in name:
        assert cfg.test_evaluator.type == 'BaseNovelMetric'
        assert cfg.custom_hooks == [dict(type='ClassNamesHook', test=cfg.all_labels)]
        assert cfg.test_dataloader.dataset.ann_file.endswith('base_novel_val.txt')
        assert cfg.val_dataloader.dataset.ann_file.endswith('base_val.txt')


@pytest.mark.parametrize('name', NAMES)
def test_each_loop_is_whole_as_the_runner_wants(name):
    """MMEngine's Runner refuses a config whose val (or test) dataloader, loop and evaluator are not all set or all
    None, before anything is built (the K100 hard-prompt stage once had the schedule's test loop and no test set)."""
    cfg = _config(name)
    for stage in ('val', 'test'):
        parts = {key: cfg.get(f'{stage}_{key}') for key in ('dataloader', 'cfg', 'evaluator')}
        assert len({value is None for value in parts.values()}) == 1, (stage, parts)


def test_b2n_trains_on_seed_1_and_no_config_reads_the_environment(monkeypatch):
    monkeypatch.setenv('FS_SEED', '3')  # once a switch; now the config alone says what runs
    cfg = _config('ga2clip_b2n_ucf101')
    assert cfg.train_dataloader.dataset.ann_file.endswith('ucf_splits/fs_base_s1_train.txt')
    assert cfg.work_dir == './work_dirs/ga2clip_b2n_ucf101_s1'
    configs = glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    assert [p for p in configs if '{{$' in open(p).read()] == []


@pytest.fixture(scope='module')
def data_tree(tmp_path_factory):
    """Annotation and class-name files converted from the canonical files, plus tiny stand-ins."""
    if not osp.isdir(SHARED_DATA):
        pytest.skip(f'needs the shared data at {SHARED_DATA} (not distributed with the project)')
    root = tmp_path_factory.mktemp('workdir')
    _load_tool('convert_splits').run(SHARED_DATA, str(root / 'data'))
    hard = root / 'data' / 'hard_prompts'
    hard.mkdir()
    for name in ('k400_base', 'k100'):
        torch.save({'hard_prompt': torch.randn(TINY_CTX, 64)}, hard / f'{name}.pt')
    k600 = resolve_class_names(str(root / 'data' / 'labels' / 'kinetics_600_labels.txt'))
    pool = root / 'k600_pool.txt'
    pool.write_text(''.join(f'{c.replace(" ", "_")}/clip{i}.mp4 {j}\n' for j, c in enumerate(k600)
                            for i in range(2)))
    lines = _load_tool('make_class_subset').make_subset(
        str(pool), str(root / 'data/labels/kinetics_600_labels.txt'), str(root / 'data/labels/k600_base.txt'),
        shots=2)
    (root / 'data/splits/k100_splits').mkdir()
    (root / 'data/splits/k100_splits/train.txt').write_text(''.join(f'{line}\n' for line in lines))
    (root / 'data/kinetics400').mkdir()
    (root / 'data/kinetics400/kinetics400_train_list_videos.txt').write_text(
        'abseiling/a_000000_000010.mp4 0\nzumba/b_000000_000010.mp4 399\n')
    return root


def _tiny(cfg):
    cfg.model.backbone.update(clip=TINY_CLIP, vision_ctx=TINY_CTX, vision_depth=2, grad_checkpointing=False)
    cfg.model.cls_head.update(clip=TINY_CLIP, language_ctx=TINY_CTX, language_depth=2, grad_checkpointing=False)
    return cfg


def _labels(dataset_cfg):
    ds = DATASETS.build(dataset_cfg)
    if hasattr(ds, 'num_main'):
        assert ds.num_anchors > 0
        return [ds.get_data_info(i)['label'] for i in range(ds.num_main)], ds
    return [ds.get_data_info(i)['label'] for i in range(len(ds))], ds


@pytest.mark.parametrize('name', NAMES)
def test_config_builds_model_and_datasets(name, data_tree, monkeypatch):
    monkeypatch.chdir(data_tree)
    cfg = _tiny(_config(name))
    model = MODELS.build(cfg.model)
    train_names = resolve_class_names(cfg.model.cls_head.classnames)
    assert model.cls_head.num_classes == len(train_names)
    test_names = train_names
    for hook in cfg.get('custom_hooks', []):
        if hook['type'] == 'ClassNamesHook' and hook.get('test'):
            test_names = resolve_class_names(hook['test'])
    stages = [('train_dataloader', train_names), ('val_dataloader', train_names),
              ('test_dataloader', test_names)]
    for key, names in stages:
        loader = cfg.get(key)
        if loader is None:
            continue
        labels, ds = _labels(loader.dataset)
        assert labels and 0 <= min(labels) and max(labels) < len(names), (key, max(labels), len(names))
        if key == 'test_dataloader' and cfg.get('test_evaluator', {}).get('type') == 'BaseNovelMetric':
            nb = cfg.test_evaluator.num_base_classes
            assert train_names == test_names[:nb] and min(labels) == 0 and max(labels) == len(names) - 1
            assert len({label for label in labels if label < nb}) == nb


def test_anchors_on_is_one_variant_that_says_the_four_settings_together(data_tree, monkeypatch):
    """configs/ga2clip_b2n_k400_negative_anchors.py: the released K400 config with anchors on. Dataset, sampler,
    preprocessor and loss change together and nothing else does; the released anchor clips build, and the 136 that
    are K400 validation clips are dropped by the leakage guard."""
    released, cfg = _config('ga2clip_b2n_k400'), _config('ga2clip_b2n_k400_negative_anchors')
    train = cfg.train_dataloader
    assert train.batch_sampler == dict(type='AnchorBatchSampler', num_anchors=1)
    assert train.dataset.type == 'AnchorSetDataset' and train.dataset.leakage == 'drop'
    assert train.dataset.dataset == released.train_dataloader.dataset  # the training list, unchanged
    assert train.dataset.anchor_dataset.pipeline == released.train_dataloader.dataset.pipeline
    assert cfg.model.data_preprocessor.type == 'AnchorActionDataPreprocessor'
    assert cfg.model.cls_head.anchor_loss == dict(type='AnchorLoss', mode='negative',
                                                  anchor_names='data/labels/gaa_base_labels_n.txt')
    for key in set(cfg) | set(released):  # nothing else differs
        if key not in ('train_dataloader', 'model', 'work_dir'):
            assert cfg.get(key) == released.get(key), key
    assert {k: v for k, v in train.items() if k not in ('batch_sampler', 'dataset')} == \
        {k: v for k, v in released.train_dataloader.items() if k not in ('batch_sampler', 'dataset')}
    released.model.cls_head.anchor_loss = cfg.model.cls_head.anchor_loss
    assert cfg.model == released.model

    monkeypatch.chdir(data_tree)
    model = MODELS.build(_tiny(cfg).model)
    assert model.cls_head.anchor_loss.anchor_names == ['else']  # the released anchor name
    labels, anchors = _labels(train.dataset)
    assert len(labels) == anchors.num_main and max(labels) < model.cls_head.num_classes
    assert len(anchors.leaked_anchors) == 136 and anchors.num_anchors == 4595 - 136
