"""Checks of a run's config that fail before the first iteration, before any video is decoded.

:class:`~ga2clip_mmaction.engine.hooks.ConfigCheckHook` (declared in ``configs/_base_/default_runtime.py`` as
``default_hooks.config_check``) runs :func:`check_config` once, in ``before_run``, however the run was started
(our tools, MMAction2's own ``tools/train.py``/``test.py``, a Runner built in Python). Each error names the
config key, or the file and line, and what was expected.
"""
import logging
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.logging import print_log


from ..datasets.split_files import read_video_list
from ..models.weight_check import check_weight_file, expectation_for
from ..utils.io import read_class_names_with_lines

#: Dataset types whose annotation lines are ``path label`` (checked against the class list).
LABELLED_LIST_TYPES = ('VideoDataset', 'RobustVideoDataset')
class ConfigError(ValueError):
    """A config (or a file it names) that cannot give a meaningful run."""


def _get(cfg, key: str, default=None):
    node = cfg
    for part in key.split('.'):
        if node is None or not hasattr(node, 'get'):
            return default
        node = node.get(part, None)
    return default if node is None else node


def _hook_cfgs(cfg, type_name: str) -> List[dict]:
    return [h for h in (cfg.get('custom_hooks') or []) if isinstance(h, dict) and h.get('type') == type_name]


def _num_anchors(cfg) -> Tuple[Optional[str], int]:
    """``(batch sampler type, anchor clips per batch)`` of the training dataloader."""
    sampler = _get(cfg, 'train_dataloader.batch_sampler')
    if not sampler or sampler.get('type') != 'AnchorBatchSampler':
        return (sampler.get('type') if sampler else None), 0
    return 'AnchorBatchSampler', int(sampler.get('num_anchors', 1))


def _check_anchors(cfg) -> None:
    kind, num = _num_anchors(cfg)
    anchor_loss = _get(cfg, 'model.anchor_loss')
    if anchor_loss is not None and num == 0:
        where = ('train_dataloader.batch_sampler.num_anchors=0' if kind == 'AnchorBatchSampler' else
                 f'train_dataloader.batch_sampler is {kind or "None"}, not AnchorBatchSampler')
        raise ConfigError(f'model.anchor_loss is set but no anchor clips reach the model ({where}). For anchors '
                          'off also set model.anchor_loss=None; for '
                          "anchors on wrap train_dataloader.dataset in AnchorSetDataset and use "
                          "batch_sampler=dict(type='AnchorBatchSampler', num_anchors=1)")
    if anchor_loss is None and num > 0:
        raise ConfigError(f'train_dataloader.batch_sampler.num_anchors={num} decodes {num} anchor clip(s) per batch '
                          'but model.anchor_loss is None (no anchor term uses them): set num_anchors=0, or '
                          'configure model.anchor_loss')


#: Train batch samplers whose indices carry their draw (per-draw seeded augmentation, exact resume).
SEEDED_BATCH_SAMPLERS = ('SeededBatchSampler', 'AnchorBatchSampler')


#: Training datasets that seed each draw's augmentation from the coordinates a seeded batch sampler attaches.
SEEDED_DATASETS = ('RobustVideoDataset', 'RobustRawframeDataset')
#: MMAction2's datasets, whose augmentation always draws from the global generators.
UNSEEDED_DATASETS = ('VideoDataset', 'RawframeDataset')


def _check_seeded_sampling(cfg) -> None:
    """Warn when the training augmentation is not seeded per draw (it then draws from the global generators, and
    a resumed run augments differently): a seeding dataset without a seeded batch sampler, or MMAction2's own
    ``VideoDataset``/``RawframeDataset``."""
    dataset = _main_dataset(cfg.get('train_dataloader'))
    kind = dataset.get('type') if dataset else None
    kind = getattr(kind, '__name__', kind)
    sampler, _ = _num_anchors(cfg)
    if kind in SEEDED_DATASETS and sampler not in SEEDED_BATCH_SAMPLERS:
        print_log(f'train_dataloader.batch_sampler is {sampler or "None"}: the augmentation of each draw of the '
                  f'{kind} is not seeded by its position, so --resume will not augment as the interrupted run '
                  "did; use batch_sampler=dict(type='SeededBatchSampler')", logger='current', level=logging.WARNING)
    elif kind in UNSEEDED_DATASETS:
        robust = 'RobustRawframeDataset' if kind == 'RawframeDataset' else 'RobustVideoDataset'
        print_log(f'train_dataloader.dataset is {kind}: the augmentation of each draw is not seeded by its '
                  'position, so --resume will not augment as the interrupted run did; use '
                  f"dataset type='{robust}' with batch_sampler=dict(type='SeededBatchSampler')",
                  logger='current', level=logging.WARNING)


def _class_list(source, key: str) -> Tuple[List[str], List[Tuple[str, int]]]:
    """Names of a class-list source and where each comes from: ``(names, [(file, line), ...])``."""
    if source is None:
        raise ConfigError(f'{key} is None: expected a class-name file (`id,name` csv or one name per line) or a '
                          'list of names')
    parts = [source] if isinstance(source, str) else list(source)
    if parts and all(isinstance(p, str) and osp.splitext(p)[1] in ('.csv', '.txt') for p in parts):
        names, where = [], []
        for part in parts:  # each file is parsed (and checked for repeats) by utils.io, the one parser
            for name, line in read_class_names_with_lines(part):
                names.append(name)
                where.append((part, line))
        return names, where
    names = [str(p) for p in parts]
    return names, [(key, i) for i in range(len(names))]


def _check_unique(names: Sequence[str], where: Sequence[Tuple[str, int]], key: str) -> None:
    """No name in two places of one list: the base and novel files of a ``ClassNamesHook`` list (a name repeated
    inside one file is already refused by the parser), or a list of names given in the config."""
    first: Dict[str, Tuple[str, int]] = {}
    for name, loc in zip(names, where):
        if name in first:
            (f0, l0), (f1, l1) = first[name], loc
            what = ('base/novel overlap' if f0 != f1 else 'duplicate class name')
            raise ConfigError(f'{key}: {what}: {name!r} is at {f0}:{l0} and {f1}:{l1}; every class must be '
                              'listed once (base and novel classes must be disjoint)')
        first[name] = loc


def _main_dataset(loader_cfg) -> Optional[dict]:
    dataset = loader_cfg.get('dataset') if loader_cfg else None
    while dataset is not None and dataset.get('type') == 'AnchorSetDataset':
        dataset = dataset.get('dataset')
    return dataset


def _check_labels(cfg, loader: str, num_classes: int, names_key: str) -> None:
    dataset = _main_dataset(cfg.get(loader))
    if not dataset or dataset.get('type') not in LABELLED_LIST_TYPES or dataset.get('multi_class'):
        return
    ann_file = dataset.get('ann_file')
    if not isinstance(ann_file, str) or not osp.isfile(ann_file):
        return  # the dataset reports a missing file itself
    for entry in read_video_list(ann_file):
        if entry.label >= num_classes:
            raise ConfigError(f'{ann_file}:{entry.lineno}: label {entry.label} but {names_key} has {num_classes} '
                              f'classes (labels are 0-based indices into that list), in {loader}')


def _check_view_average(cfg) -> None:
    if _get(cfg, 'model.view_average') != 'prob':
        return
    for key in ('val_evaluator', 'test_evaluator'):
        evaluator = cfg.get(key)
        metrics = evaluator if isinstance(evaluator, (list, tuple)) else \
            (evaluator.get('metrics') if evaluator and 'metrics' in evaluator else [evaluator])
        if any(isinstance(m, dict) and m.get('type') == 'BaseNovelMetric' for m in metrics or []):
            raise ConfigError(
                f"model.view_average='prob' with BaseNovelMetric ({key}): the softmax over all base + novel "
                'classes is averaged over views before the metric slices it, so base/novel accuracy differs from '
                "two separate runs. Use view_average='feature' (released) or 'score', which are exact")


def _weight_files(node, key: str) -> List[Tuple[str, str, str]]:
    """``(config key, path, kind)`` of every weight file a model config names: ``clip.weights`` of any part
    (backbone, head, ...) and ``hard_prompt`` files."""
    found: List[Tuple[str, str, str]] = []
    if isinstance(node, dict):
        for name, value in node.items():
            sub = f'{key}.{name}'
            if name == 'clip' and isinstance(value, dict) and isinstance(value.get('weights'), str):
                found.append((f'{sub}.weights', value['weights'], 'clip'))
            elif name == 'hard_prompt' and isinstance(value, str):
                found.append((sub, value, 'hard_prompt'))
            else:
                found += _weight_files(value, sub)
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            found += _weight_files(value, f'{key}[{i}]')
    return found


def _check_weights(cfg) -> None:
    """Each weight file the model config names is what it must be (``tools/check_weights.py``'s check): readable,
    not truncated, a complete CLIP of one dtype, the known file where its name says which (sha256 included)."""
    checked = set()
    for key, path, kind in _weight_files(cfg.get('model'), 'model'):
        if (path, kind) in checked:
            continue
        checked.add((path, kind))
        report = check_weight_file(path, expectation_for(path, kind))
        if not report.ok:
            raise ConfigError(f'{key}: the weight file is not what this run needs '
                              f'(python tools/check_weights.py {path}):\n{report.format()}')


def check_config(cfg, training: bool = True) -> None:
    """Fail fast on config errors that would otherwise surface mid-run or give wrong numbers.

    Checks: the head's class list (present, readable, no duplicate or blank line), the ``ClassNamesHook``
    lists (base and novel disjoint), every label of the train/val/test annotation files against the class
    list used with it, anchor clips vs anchor term (training), ``view_average='prob'`` with
    ``BaseNovelMetric``, and every weight file the model names (``clip.weights``, ``hard_prompt``:
    :func:`~ga2clip_mmaction.models.weight_check.check_weight_file`).

    Args:
        cfg (Config): The run's config.
        training (bool): Check the training side too. Defaults to True.

    Raises:
        ConfigError: The first problem found; the message names the key or file:line.
        ValueError: A malformed class-name or annotation file (names the file and line).
    """
    model = cfg.get('model') or {}
    head = model.get('cls_head') or {}
    if 'classnames' in head:
        train_names, where = _class_list(head.get('classnames'), 'model.cls_head.classnames')
        _check_unique(train_names, where, 'model.cls_head.classnames')
        names_for = {'train_dataloader': (len(train_names), 'model.cls_head.classnames'),
                     'val_dataloader': (len(train_names), 'model.cls_head.classnames'),
                     'test_dataloader': (len(train_names), 'model.cls_head.classnames')}
        for hook in _hook_cfgs(cfg, 'ClassNamesHook'):
            for split in ('val', 'test'):
                if hook.get(split) is not None:
                    key = f'custom_hooks.ClassNamesHook.{split}'
                    names, where = _class_list(hook[split], key)
                    _check_unique(names, where, key)
                    names_for[f'{split}_dataloader'] = (len(names), key)
        for loader, (count, key) in names_for.items():
            if loader == 'train_dataloader' and not training:
                continue
            _check_labels(cfg, loader, count, key)
    if training and 'model' in cfg:
        _check_anchors(cfg)
    if training:
        _check_seeded_sampling(cfg)
    _check_view_average(cfg)
    _check_weights(cfg)
