"""Analysis of dumped predictions (``tools/test.py --dump``): score fusion, per-class accuracy, confusion matrices.

Base and novel classes are analysed apart, as :class:`~ga2clip_mmaction.evaluation.metrics.BaseNovelMetric`
scores them: a base sample is ranked among the base classes only, a novel sample among the novel classes only.
Used by ``tools/analysis_tools/{report_accuracy,confusion_matrix}.py``.
"""
import io
import os.path as osp
import pickle
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from .metrics.base_novel_metric import base_novel_accuracy

#: Message when the confusion-matrix plot is asked for without matplotlib.
NO_MATPLOTLIB = ('matplotlib is not installed, so no PNG was written (the tables were): install the optional '
                 'extra with pip install -e ".[plots]" (or pip install matplotlib)')


def _load_tensor_bytes(data: bytes) -> Any:
    """``torch.storage._load_from_bytes`` with ``weights_only=True`` (the original unpickles anything)."""
    return torch.load(io.BytesIO(data), weights_only=True)


class _DumpUnpickler(pickle.Unpickler):
    """Unpickles what ``tools/test.py --dump`` writes (lists of dicts of tensors and numbers), nothing else."""
    ALLOWED = {('collections', 'OrderedDict'), ('torch._utils', '_rebuild_tensor_v2'), ('_codecs', 'encode'),
               ('torch', 'Size')}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ('torch.storage', '_load_from_bytes'):
            return _load_tensor_bytes
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f'refusing to load {module}.{name}: a prediction dump holds only tensors, '
                                     'numbers and dicts')


def load_predictions(path: str) -> Tuple[np.ndarray, np.ndarray]:
    """Scores and labels of a ``tools/test.py --dump`` file (loaded without running code from it).

    Args:
        path (str): The ``.pkl`` dump (a list of dicts with ``pred_score`` and ``gt_label``).

    Returns:
        tuple[np.ndarray, np.ndarray]: ``scores [N, C]`` (float64) and ``labels [N]`` (int64).

    Raises:
        ValueError: Not a dump of predictions (names the file).
    """
    try:
        with open(path, 'rb') as f:
            samples = _DumpUnpickler(f).load()
    except (pickle.UnpicklingError, EOFError, ValueError) as err:
        raise ValueError(f'{path}: not a prediction dump of tools/test.py --dump ({err})') from None
    if not isinstance(samples, list) or not samples or not all(
            isinstance(s, dict) and 'pred_score' in s and 'gt_label' in s for s in samples):
        raise ValueError(f'{path}: expected a non-empty list of dicts with pred_score and gt_label '
                         '(tools/test.py --dump)')
    scores = np.stack([np.asarray(s['pred_score'], dtype=np.float64).reshape(-1) for s in samples])
    labels = np.array([int(np.asarray(s['gt_label']).reshape(-1)[0]) for s in samples], dtype=np.int64)
    return scores, labels


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def fuse_predictions(paths: Sequence[str], coefficients: Optional[Sequence[float]] = None,
                     apply_softmax: bool = False) -> Tuple[np.ndarray, np.ndarray]:
    """The weighted sum of several dumps' scores (views, seeds or models tested on the same list).

    Args:
        paths (Sequence[str]): Dump files, all of the same test list in the same order.
        coefficients (Sequence[float], optional): One weight per file. Defaults to all 1.
        apply_softmax (bool): Softmax each file's scores before weighting. Defaults to False.

    Returns:
        tuple[np.ndarray, np.ndarray]: The fused scores and the labels.

    Raises:
        ValueError: A coefficient count that is not the file count, or files of other test lists (other labels
            or class counts; names the file).
    """
    coefficients = [1.0] * len(paths) if coefficients is None else list(coefficients)
    if len(coefficients) != len(paths):
        raise ValueError(f'{len(coefficients)} coefficients for {len(paths)} score files')
    fused, labels = None, None
    for path, weight in zip(paths, coefficients):
        scores, these = load_predictions(path)
        if apply_softmax:
            scores = softmax(scores)
        if labels is None:
            fused, labels = weight * scores, these
            continue
        if these.shape != labels.shape or (these != labels).any() or scores.shape != fused.shape:
            raise ValueError(f'{path}: {len(these)} samples x {scores.shape[1]} classes, labels '
                             f'{"equal" if these.shape == labels.shape and (these == labels).all() else "differ"}; '
                             f'{paths[0]} has {len(labels)} x {fused.shape[1]}: fuse only dumps of the same test '
                             'list in the same order')
        fused = fused + weight * scores
    return fused, labels


def accuracy_report(scores: np.ndarray, labels: np.ndarray, num_base_classes: Optional[int]) -> Dict[str, float]:
    """Percentages: ``base``, ``novel``, ``hm``, ``all_top1`` with base classes (BaseNovelMetric's ranking),
    else ``top1``, ``top5``, ``mean1`` over all classes."""
    if num_base_classes:
        m = base_novel_accuracy(scores, labels, num_base_classes)
        out = {k: 100 * m[v] for k, v in (('base', 'base_top1'), ('novel', 'novel_top1'), ('hm', 'hm'),
                                           ('all_top1', 'all_top1')) if v in m}
        return out
    m = base_novel_accuracy(scores, labels, 0)
    return {'top1': 100 * m['all_top1'], 'top5': 100 * m['all_top5'], 'mean1': 100 * m['all_mean1']}


def confusion_matrices(scores: np.ndarray, labels: np.ndarray,
                       num_base_classes: Optional[int]) -> List[Tuple[str, int, np.ndarray]]:
    """``(part, first class index, counts [k, k])`` per part: ``base`` (base samples among the base classes) and
    ``novel`` (novel samples among the novel classes), or ``all``; rows are true classes, columns predictions."""
    num_classes = scores.shape[1]
    parts = ([('base', 0, num_base_classes), ('novel', num_base_classes, num_classes)] if num_base_classes else
             [('all', 0, num_classes)])
    out = []
    for name, lo, hi in parts:
        keep = (labels >= lo) & (labels < hi)
        if not keep.any():
            continue
        # ties go to the last of the tied classes, as mmaction's top_k_accuracy breaks them
        pred = np.argsort(scores[keep, lo:hi], axis=1)[:, -1]
        matrix = np.zeros((hi - lo, hi - lo), dtype=np.int64)
        np.add.at(matrix, (labels[keep] - lo, pred), 1)
        out.append((name, lo, matrix))
    return out


def per_class_rows(parts: List[Tuple[str, int, np.ndarray]], names: Sequence[str]) -> List[Dict[str, Any]]:
    """One row per class with samples: ``part``, ``index``, ``name``, ``samples``, ``correct``, ``accuracy`` (%),
    ``most_confused_with`` and its count."""
    rows = []
    for part, lo, matrix in parts:
        for i, row in enumerate(matrix):
            total = int(row.sum())
            if not total:
                continue
            others = row.copy()
            others[i] = -1
            j = int(others.argmax())
            rows.append(dict(part=part, index=lo + i, name=names[lo + i], samples=total, correct=int(row[i]),
                             accuracy=100.0 * row[i] / total,
                             most_confused_with=names[lo + j] if others[j] > 0 else '',
                             confused_count=int(max(others[j], 0))))
    return rows


def write_table(rows: List[Dict[str, Any]], path: str) -> None:
    """The per-class table as Markdown (``.md``) or CSV (any other suffix)."""
    header = ['part', 'index', 'name', 'samples', 'correct', 'accuracy', 'most_confused_with', 'confused_count']
    with open(path, 'w', encoding='utf-8', newline='') as f:
        if path.endswith('.md'):
            f.write('| ' + ' | '.join(header) + ' |\n|' + '---|' * len(header) + '\n')
            for r in rows:
                f.write('| ' + ' | '.join(f'{r[h]:.1f}' if h == 'accuracy' else str(r[h]) for h in header) + ' |\n')
        else:
            import csv
            writer = csv.writer(f, lineterminator='\n')
            writer.writerow(header)
            for r in rows:
                writer.writerow([f'{r[h]:.2f}' if h == 'accuracy' else r[h] for h in header])


def plot_confusion(matrix: np.ndarray, names: Sequence[str], path: str, title: str) -> None:
    """Save a row-normalised confusion matrix as a PNG (needs matplotlib, the ``plots`` extra).

    Raises:
        ImportError: matplotlib is not installed (:data:`NO_MATPLOTLIB`).
    """
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(NO_MATPLOTLIB) from None
    rates = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    size = max(4.0, 0.25 * len(names) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    image = ax.imshow(rates, cmap='Blues', vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label='fraction of the true class')
    ticks = np.arange(len(names))
    fontsize = 8 if len(names) <= 40 else 4
    ax.set_xticks(ticks, labels=names, rotation=90, fontsize=fontsize)
    ax.set_yticks(ticks, labels=names, fontsize=fontsize)
    ax.set_xlabel('predicted')
    ax.set_ylabel('true')
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def class_names_and_bases(config: Optional[str], class_file: Optional[str],
                          num_base_classes: Optional[int]) -> Tuple[Optional[List[str]], Optional[int]]:
    """Test class names and base-class count from a config (``ClassNamesHook`` test names or
    ``cls_head.classnames``; ``test_evaluator.num_base_classes``), overridden by the explicit options."""
    from ..utils.io import resolve_class_names
    names = None
    if config is not None:
        from mmengine.config import Config
        cfg = Config.fromfile(config)
        source = (cfg.get('model') or {}).get('cls_head', {}).get('classnames')
        for hook in cfg.get('custom_hooks') or []:
            if hook.get('type') == 'ClassNamesHook' and hook.get('test') is not None:
                source = hook['test']
        if source is not None:
            names = resolve_class_names(source)
        evaluator = cfg.get('test_evaluator') or {}
        if num_base_classes is None and isinstance(evaluator, dict):
            num_base_classes = evaluator.get('num_base_classes')
    if class_file is not None:
        names = resolve_class_names(class_file)
    return names, num_base_classes


def check_names(names: Optional[List[str]], num_classes: int, where: str) -> List[str]:
    """The class names for ``num_classes`` score columns (``class <i>`` when none are given)."""
    if names is None:
        return [f'class {i}' for i in range(num_classes)]
    if len(names) != num_classes:
        raise ValueError(f'{where}: {len(names)} class names for scores over {num_classes} classes')
    return names


def output_paths(out_dir: str, part: str) -> Tuple[str, str]:
    """``(png, md)`` paths of a part's confusion matrix and table."""
    return osp.join(out_dir, f'confusion_{part}.png'), osp.join(out_dir, f'per_class_{part}.md')
