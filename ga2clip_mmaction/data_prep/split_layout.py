"""The canonical split tree: which dataset and class-name file each list belongs to, and MMAction2's video layout.

A list is known by its path under the source root (``splits/base2novel_splits/<dataset>_splits/...``,
``splits/<dataset>_splits/...``, ``anchors/...``, see :func:`describe`); :func:`layout_path` places a listed video
in MMAction2's data preparation layout (class folders with ``_`` for spaces; Kinetics' ``videos_{train,val}``).
Used by ``tools/data/convert_splits.py``.
"""
import os.path as osp
from typing import Dict, List, Optional, Tuple

from ga2clip_mmaction.datasets.split_files import VideoEntry

#: Base-to-novel datasets: folder prefix -> (dataset key, base label file, novel label file).
B2N_LABELS: Dict[str, Tuple[str, str, str]] = {
    'hmdb': ('hmdb51', 'hmdb_51_base_labels.csv', 'hmdb_51_novel_labels.csv'),
    'ucf': ('ucf101', 'ucf_101_base_labels.csv', 'ucf_101_novel_labels.csv'),
    'ssv2': ('sthv2', 'ssv2_174_base_labels.csv', 'ssv2_174_novel_labels.csv'),
    'k400': ('kinetics400', 'kinetics_400_base_labels.csv', 'kinetics_400_novel_labels.csv'),
}
#: Few-shot / zero-shot split folders -> (dataset key, label file of the full class set).
FULL_LABELS: Dict[str, Tuple[str, str]] = {
    'hmdb_splits': ('hmdb51', 'hmdb_51_labels.csv'),
    'ucf_splits': ('ucf101', 'ucf_101_labels.csv'),
    'ssv2_splits': ('sthv2', 'ssv2_labels.csv'),
    'k400_splits': ('kinetics400', 'kinetics_400_labels.csv'),
}
#: Default video roots (MMAction2 layout) of each dataset key.
DEFAULT_VIDEO_ROOTS: Dict[str, str] = {
    'hmdb51': 'data/hmdb51/videos',
    'ucf101': 'data/ucf101/videos',
    'sthv2': 'data/sthv2/videos',
    'kinetics400': 'data/kinetics400',
    'kinetics600': 'data/kinetics600',
    'kinetics600_anchors': 'data/kinetics600_anchors',
}


class ListSpec:
    """What a source list is: its dataset, class names (for checks and class folders), layout rule.

    Args:
        rel_path (str): Path of the list relative to the source root.
        dataset (str): Dataset key (see :data:`DEFAULT_VIDEO_ROOTS`).
        label_file (str, optional): Class-name file its labels index. None: labels are not class indices.
        class_folders (bool): Whether the MMAction2 layout puts videos in class folders.
    """

    def __init__(self, rel_path: str, dataset: str, label_file: Optional[str],
                 class_folders: bool) -> None:
        self.rel_path = rel_path
        self.dataset = dataset
        self.label_file = label_file
        self.class_folders = class_folders


def describe(rel_path: str) -> ListSpec:
    """Identify a source list from its path relative to the source root.

    Args:
        rel_path (str): E.g. ``splits/base2novel_splits/hmdb_splits/novel_val.txt``.

    Returns:
        ListSpec: Its description.

    Raises:
        ValueError: An unknown list.
    """
    parts = rel_path.replace('\\', '/').split('/')
    name = parts[-1]
    if parts[0] == 'anchors':
        return ListSpec(rel_path, 'kinetics600_anchors', None, False)
    if parts[:2] == ['splits', 'base2novel_splits'] and len(parts) == 4:
        folder = parts[2]
        key = folder.split('_')[0]
        if key in B2N_LABELS:
            dataset, base, novel = B2N_LABELS[key]
            label = novel if name.startswith('novel') else base
            variant = folder.endswith('ga2_variant')
            return ListSpec(rel_path, dataset, label, class_folders=dataset != 'sthv2' and not variant)
    if parts[0] == 'splits' and len(parts) == 3:
        if parts[1] in FULL_LABELS:
            dataset, label = FULL_LABELS[parts[1]]
            return ListSpec(rel_path, dataset, label, class_folders=dataset != 'sthv2')
        if parts[1] == 'k600_splits' and name.startswith('ZS_split'):
            split = name.split('_')[1]
            return ListSpec(rel_path, 'kinetics600', f'ZS_{split}_K600.csv', True)
    raise ValueError(f'Unknown list {rel_path}: expected the canonical split tree (see the data README)')


def class_folder(name: str) -> str:
    """MMAction2's folder name of a class (spaces -> underscores)."""
    return name.replace(' ', '_')


def layout_path(entry: VideoEntry, spec: ListSpec, class_names: Optional[List[str]],
                layout: str) -> str:
    """The annotation path of a listed video in the chosen layout.

    Args:
        entry (VideoEntry): The listed video.
        spec (ListSpec): Its list.
        class_names (list[str], optional): Names its labels index.
        layout (str): ``'mmaction'`` or ``'listed'``.

    Returns:
        str: The path relative to the dataset's data root.
    """
    if layout == 'listed' or not spec.class_folders or class_names is None:
        return entry.path
    folder = class_folder(class_names[entry.label])
    base = osp.basename(entry.path)
    if spec.dataset.startswith('kinetics'):
        split = entry.path.split('/')[0]
        return f'videos_{split}/{folder}/{base}'
    return f'{folder}/{base}'
