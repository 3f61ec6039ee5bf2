"""A folder of class folders -> annotation files, class-name files, base/novel split, few-shot lists and a config.

The work of ``tools/data/from_folder.py``. ``ROOT/<class name>/.../<video>``: the class name is the class folder's
name with ``_`` read as a space; videos may sit at any depth below it. Every video is probed first
(:func:`~ga2clip_mmaction.data_prep.video_probe.probe_all`); bad ones are listed and left out. The files use the
protocol's formats (``relative/path label`` annotation lines, ``id,name`` class-name files), so every config and
metric reads them; the written config inherits a protocol config and sets every data path.

All random choices (novel classes, validation videos, few-shot lists) come from ``np.random.default_rng`` seeded
with ``seed``, on sorted inputs, so the same folder and options give the same files.
"""
import csv
import io
import json
import os
import os.path as osp
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from .video_probe import probe_all

#: File endings taken as videos.
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mkv', '.webm', '.mov', '.m4v', '.mpg', '.mpeg', '.flv', '.wmv', '.3gp',
                    '.ogv', '.ts')
#: The few-shot lists written with ``--shots`` (``fs_base_s{1,2,3}_train.txt``, as the protocols have three).
FEW_SHOT_LISTS = (1, 2, 3)
REPORT = 'report.json'


class FolderSplit(NamedTuple):
    """What :func:`build_split` decided.

    Attributes:
        base (list[str]): Base class names (training), sorted.
        novel (list[str]): Novel class names (test only), sorted.
        files (dict[str, str]): Output file (relative to the output folder) -> its text.
        bad (dict[str, str]): Unreadable video (relative to ROOT) -> reason.
        short (list[str]): One line per class with too few videos, saying what is missing.
        counts (dict[str, int]): Videos per list.
    """
    base: List[str]
    novel: List[str]
    files: Dict[str, str]
    bad: Dict[str, str]
    short: List[str]
    counts: Dict[str, int]


def find_class_videos(root: str) -> Dict[str, List[str]]:
    """Class folder -> its videos (paths relative to ``root``, sorted), for every folder directly below ``root``.

    Raises:
        FileNotFoundError: ``root`` is not a directory.
        ValueError: No class folder holds a video.
    """
    if not osp.isdir(root):
        raise FileNotFoundError(f'Not a directory: {root}')
    classes: Dict[str, List[str]] = {}
    for entry in sorted(os.listdir(root)):
        folder = osp.join(root, entry)
        if not osp.isdir(folder) or entry.startswith('.'):
            continue
        videos = []
        for sub, dirs, files in os.walk(folder):
            dirs.sort()
            videos += [osp.relpath(osp.join(sub, f), root) for f in sorted(files)
                       if f.lower().endswith(VIDEO_EXTENSIONS)]
        if videos:
            classes[entry] = videos
    if not classes:
        raise ValueError(f'{root}: no class folder with videos ({", ".join(VIDEO_EXTENSIONS)}); expected '
                         f'{root}/<class name>/<video>')
    return classes


def class_name(folder: str) -> str:
    """The class name of a class folder: ``_`` read as a space (``juggling_balls`` -> ``juggling balls``)."""
    return ' '.join(folder.replace('_', ' ').split())


def _labels_csv(names: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator='\n')
    writer.writerow(('id', 'name'))
    for i, name in enumerate(names):
        writer.writerow((i, name))
    return out.getvalue()


def _video_list(rows: Sequence[Tuple[str, int]]) -> str:
    return ''.join(f'{path} {label}\n' for path, label in rows)


def build_split(root: str, novel_fraction: float = 0.0, shots: Optional[int] = None, val_fraction: float = 0.2,
                seed: int = 0, workers: int = 1, timeout: float = 120.0, progress: bool = True) -> FolderSplit:
    """Probe the videos of ``root`` and decide the class lists and annotation files.

    Args:
        root (str): The folder of class folders.
        novel_fraction (float): Fraction of the classes held out as novel (test only). Defaults to 0.
        shots (int, optional): Training videos per base class in the few-shot lists; None trains on all.
        val_fraction (float): Fraction of each base class's videos kept for validation / testing (at least one
            when > 0). Defaults to 0.2.
        seed (int): Seed of every random choice. Defaults to 0.
        workers (int): Probing processes. Defaults to 1.
        timeout (float): Seconds allowed to decode one video. Defaults to 120.
        progress (bool): A progress bar while probing. Defaults to True.

    Returns:
        FolderSplit: The decisions and the files' texts.

    Raises:
        ValueError: An option out of range, or fewer than two usable classes.
    """
    if not 0 <= novel_fraction < 1:
        raise ValueError(f'--novel-fraction must be in [0, 1), got {novel_fraction}')
    if not 0 <= val_fraction < 1:
        raise ValueError(f'--val-fraction must be in [0, 1), got {val_fraction}')
    if shots is not None and shots < 1:
        raise ValueError(f'--shots must be >= 1, got {shots}')
    found = find_class_videos(root)
    every = [v for videos in found.values() for v in videos]
    bad = {osp.relpath(p, root): r for p, r in
           probe_all([osp.join(root, v) for v in every], workers=workers, timeout=timeout, progress=progress).items()}
    for video in every:
        if any(c.isspace() for c in video):
            bad.setdefault(video, 'the path holds whitespace, which an annotation line `path label` cannot '
                           'hold; rename it (class folders use `_` for spaces)')
    bad = {v: bad[v] for v in every if v in bad}  # in folder order
    short: List[str] = []
    usable: Dict[str, List[str]] = {}
    for folder, videos in found.items():
        good = [v for v in videos if v not in bad]
        if good:
            usable[class_name(folder)] = good
        else:
            short.append(f'{class_name(folder)!r} ({folder}/): no readable video, the class is left out')
    names = sorted(usable)
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f'{root}: class folders give the same class name: {repeated}')
    if len(names) < 2:
        raise ValueError(f'{root}: {len(names)} class(es) with readable videos; at least 2 are needed')
    rng = np.random.default_rng(seed)
    num_novel = int(round(novel_fraction * len(names)))
    if novel_fraction > 0 and num_novel == 0:
        num_novel = 1
    num_novel = min(num_novel, len(names) - 1)
    novel = sorted(names[i] for i in rng.permutation(len(names))[:num_novel])
    base = [n for n in names if n not in novel]

    train_pool: List[List[Tuple[str, int]]] = []
    base_val: List[Tuple[str, int]] = []
    for label, name in enumerate(base):
        videos = [usable[name][i] for i in rng.permutation(len(usable[name]))]
        n_val = max(1, int(round(val_fraction * len(videos)))) if val_fraction > 0 else 0
        need_train = shots or 1
        if len(videos) < n_val + need_train:
            missing = n_val + need_train - len(videos)
            what = f'{need_train} training' + (f' ({shots} shots)' if shots else '') + \
                (f' + {n_val} validation' if n_val else '')
            n_val = min(n_val, len(videos) - 1)  # keep one training video
            short.append(f'{name!r}: {len(videos)} readable video(s), needs {what}: {missing} missing '
                         f'(kept {len(videos) - n_val} for training, {n_val} for validation)')
        base_val += sorted((v, label) for v in videos[:n_val])
        train_pool.append(sorted((v, label) for v in videos[n_val:]))
    novel_val = [(v, label) for label, name in enumerate(novel) for v in usable[name]]

    files = {
        'labels/base_labels.csv': _labels_csv(base),
        'labels/all_labels.csv': _labels_csv(base + novel),
        'splits/base_train.txt': _video_list([r for rows in train_pool for r in rows]),
    }
    counts = dict(base_train=sum(len(rows) for rows in train_pool))
    if shots:
        for s in FEW_SHOT_LISTS:
            pick_rng = np.random.default_rng([seed, 100 + s])
            rows = []
            for pool in train_pool:
                rows += [pool[i] for i in sorted(pick_rng.choice(len(pool), size=min(shots, len(pool)),
                                                                 replace=False))]
            files[f'splits/fs_base_s{s}_train.txt'] = _video_list(rows)
            counts[f'fs_base_s{s}_train'] = len(rows)
    if base_val:
        files['splits/base_val.txt'] = _video_list(base_val)
        counts['base_val'] = len(base_val)
    if novel:
        files['labels/novel_labels.csv'] = _labels_csv(novel)
        files['splits/novel_val.txt'] = _video_list(novel_val)
        files['splits/base_novel_val.txt'] = _video_list(base_val + [(p, label + len(base))
                                                                     for p, label in novel_val])
        counts['novel_val'] = len(novel_val)
    if bad:
        files['bad_videos.txt'] = ''.join(f'{p}\t{r}\n' for p, r in bad.items())
    return FolderSplit(base, novel, files, bad, short, counts)


def config_text(split: FolderSplit, root: str, out: str, base_config: str) -> str:
    """The text of a config that inherits ``base_config`` and reads the files of ``split``.

    The anchor set, hard prompt, model, pipelines and schedule stay the base config's; the class lists, every
    annotation file, the data root, the evaluators and the class-name hook change.

    Args:
        split (FolderSplit): The decisions.
        root (str): The folder of class folders.
        out (str): The output folder.
        base_config (str): The protocol config to inherit.

    Returns:
        str: Python config text.
    """
    from mmengine.config import Config
    base_cfg = Config.fromfile(base_config)
    root, out = osp.abspath(root), osp.abspath(out)
    has_val = 'splits/base_val.txt' in split.files
    b2n = bool(split.novel)
    if split.counts.get('fs_base_s1_train'):
        train_list = "f'{split_root}/fs_base_s{fs_seed}_train.txt'"
    else:
        train_list = "f'{split_root}/base_train.txt'"
    lines = [
        f'# Written by tools/data/from_folder.py from {root}: {len(split.base)} base classes'
        + (f', {len(split.novel)} novel classes' if b2n else '') + '.',
        '# Model, anchor set, hard prompt, pipelines and schedule: the inherited config.',
        f'_base_ = [{osp.abspath(base_config)!r}]',
        '',
        "fs_seed = '{{$FS_SEED:1}}'  # few-shot list fs_base_s<FS_SEED> (1, 2 or 3) where --shots was given",
        f'data_root = {root!r}',
        f'split_root = {osp.join(out, "splits")!r}',
        f'base_labels = {osp.join(out, "labels", "base_labels.csv")!r}',
        f'all_labels = {osp.join(out, "labels", "all_labels.csv")!r}  # base names then novel names',
        f'num_base_classes = {len(split.base)}',
        '',
        'model = dict(cls_head=dict(classnames=base_labels))',
    ]
    train = base_cfg.get('train_dataloader') or {}
    test_list = 'base_novel_val.txt' if b2n else ('base_val.txt' if has_val else 'base_train.txt')
    if 'anchor_dataset' in train.get('dataset', {}):
        evals = ["f'{split_root}/" + name + "'" for name in ('base_val.txt', 'novel_val.txt')
                 if f'splits/{name}' in split.files]
        lines += ['train_dataloader = dict(dataset=dict(',
                  f'    dataset=dict(ann_file={train_list}, data_prefix=dict(video=data_root)),',
                  f'    eval_ann_files=[{", ".join(evals)}]))']
    elif train:
        lines += [f'train_dataloader = dict(dataset=dict(ann_file={train_list}, data_prefix=dict(video=data_root)))']
    if base_cfg.get('val_dataloader') and has_val:
        lines += ["val_dataloader = dict(dataset=dict(ann_file=f'{split_root}/base_val.txt', "
                  "data_prefix=dict(video=data_root)))"]
    lines += [f"test_dataloader = dict(dataset=dict(ann_file=f'{{split_root}}/{test_list}', "
              "data_prefix=dict(video=data_root)))"]
    if b2n:
        lines += ["test_evaluator = dict(_delete_=True, type='BaseNovelMetric', num_base_classes=num_base_classes)"]
    else:
        lines += ["test_evaluator = dict(_delete_=True, type='AccMetric')"]
    hooks = []
    for hook in base_cfg.get('custom_hooks') or []:
        hook = dict(hook)
        if hook.get('type') == 'ClassNamesHook':
            hook = {k: v for k, v in hook.items() if k not in ('val', 'test', 'train')}
            hook['test'] = '@ALL@' if b2n else '@BASE@'
        hooks.append(hook)
    hooks_text = repr(hooks).replace("'@ALL@'", 'all_labels').replace("'@BASE@'", 'base_labels')
    lines += [f'custom_hooks = {hooks_text}  # the class-name hook tests on all names',
              f'work_dir = {"./work_dirs/" + config_name(base_config, root)[:-3]!r}', '']
    return '\n'.join(lines)


def config_name(base_config: str, root: str) -> str:
    """``<base config name>_<folder name>.py``, e.g. ``ga2clip_b2n_k400_my_videos.py``."""
    folder = osp.basename(osp.normpath(osp.abspath(root))).replace(' ', '_') or 'videos'
    return f'{osp.splitext(osp.basename(base_config))[0]}_{folder}.py'


def write_outputs(files: Dict[str, str], out: str, overwrite: bool = False) -> bool:
    """Write the files under ``out``; refuse to replace a different earlier output unless ``overwrite``.

    The output folder's earlier :data:`REPORT` lists the files it wrote; the same content again is not an
    overwrite (nothing is rewritten).

    Args:
        files (dict[str, str]): Relative path -> text (the report included).
        out (str): Output folder.
        overwrite (bool): Replace a different earlier output (its files not written again are removed).

    Returns:
        bool: Whether anything changed.

    Raises:
        FileExistsError: A different earlier output and no ``overwrite`` (names the files that differ).
    """
    earlier = osp.join(out, REPORT)
    old_files: List[str] = []
    if osp.isfile(earlier):
        with open(earlier, encoding='utf-8') as f:
            old_files = list(json.load(f).get('files', []))
    elif osp.isdir(out) and os.listdir(out) and not overwrite:
        raise FileExistsError(f'{out} is not empty and holds no {REPORT} of an earlier from_folder run; '
                              f'choose another --out or pass --overwrite')
    differ = []
    for rel in sorted(set(old_files) | set(files)):
        path = osp.join(out, rel)
        now = files.get(rel)
        before = open(path, encoding='utf-8').read() if osp.isfile(path) else None
        if now != before:
            differ.append(rel)
    if differ and old_files and not overwrite:
        raise FileExistsError(f'{out} holds a different earlier output (differs: {", ".join(differ[:5])}'
                              f'{", ..." if len(differ) > 5 else ""}); pass --overwrite to replace it')
    for rel in differ:
        path = osp.join(out, rel)
        if rel in files:
            os.makedirs(osp.dirname(path), exist_ok=True)
            with open(path, 'w', encoding='utf-8') as f:
                f.write(files[rel])
        elif osp.isfile(path):
            os.remove(path)
    return bool(differ)


def report_text(split: FolderSplit, args: dict, files: Sequence[str]) -> str:
    """The :data:`REPORT` json: options, classes, counts, bad videos, short classes and the files written."""
    return json.dumps(dict(options=args, base=split.base, novel=split.novel, counts=split.counts,
                           bad_videos=split.bad, short_classes=split.short,
                           files=sorted(set(files) | {REPORT})), indent=1, sort_keys=True) + '\n'

