"""Base-to-novel accuracy (base, novel, harmonic mean, all-class) from one evaluation pass."""
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmaction.evaluation import top_k_accuracy
from mmaction.registry import METRICS
from mmengine.evaluator import BaseMetric


def mean_class_accuracy(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mean over the ground-truth classes of the per-class top-1 accuracy (recall).

    Unlike ``mmaction.evaluation.mean_class_accuracy``, classes that are only predicted
    (absent from ``labels``) do not enter the mean as zeros, and ties are broken as
    ``mmaction.evaluation.top_k_accuracy`` breaks them (the last of the tied classes), so
    that mean-class and top-1 accuracy agree on every sample.

    Args:
        scores (np.ndarray): Scores ``[N, C]``.
        labels (np.ndarray): Labels ``[N]`` in ``[0, C)``.

    Returns:
        float: The mean class accuracy.
    """
    hits = np.argsort(scores, axis=1)[:, -1] == labels
    return float(np.mean([hits[labels == c].mean() for c in np.unique(labels)]))


def harmonic_mean(base: float, novel: float) -> float:
    """Harmonic mean ``2BN / (B + N)`` of base and novel accuracy (0 when both are 0).

    Args:
        base (float): Base accuracy.
        novel (float): Novel accuracy.

    Returns:
        float: The harmonic mean.
    """
    return 0.0 if base + novel == 0 else 2 * base * novel / (base + novel)


def _accuracies(scores: np.ndarray, labels: np.ndarray, topk: Tuple[int, ...],
                prefix: str) -> Dict[str, float]:
    """Top-k and mean-class accuracy of one subset, keys ``<prefix>_top<k>``, ``<prefix>_mean1``."""
    out = {f'{prefix}_top{k}': float(acc)
           for k, acc in zip(topk, top_k_accuracy(scores, labels, topk))}
    out[f'{prefix}_mean1'] = mean_class_accuracy(scores, labels)
    return out


def base_novel_accuracy(scores: np.ndarray,
                        labels: np.ndarray,
                        num_base_classes: int,
                        topk: Tuple[int, ...] = (1, 5)) -> Dict[str, float]:
    """Base-to-novel accuracies of scores over the class list ``base names + novel names``.

    Samples with label ``< num_base_classes`` are base samples and are ranked among the base
    classes only (``scores[:, :Nb]``); the others are novel samples ranked among the novel
    classes only (``scores[:, Nb:]``, labels shifted by ``Nb``). This equals evaluating a base
    run and a novel run separately, each with its own class list, because a class's score
    (cosine with its text embedding) does not depend on the other classes in the list, and a
    softmax over a subset ranks classes as the full softmax does. That holds for the scores of one
    view, or views averaged before the softmax (``view_average='feature'`` or ``'score'``), not for
    ``view_average='prob'`` (a mean over views of full-list softmaxes, which the subset does not
    rank the same way): ``tools/train.py``/``tools/test.py`` and ``ConfigCheckHook`` refuse that
    combination (``ga2clip_mmaction.engine.config_checks``).

    Args:
        scores (np.ndarray): Scores or probabilities ``[N, C]``, ``C >= num_base_classes``.
        labels (np.ndarray): Ground-truth labels ``[N]`` in ``[0, C)``.
        num_base_classes (int): Number of base classes ``Nb``.
        topk (tuple[int]): The k of the top-k accuracies. Defaults to ``(1, 5)``.

    Returns:
        dict[str, float]: ``base_top<k>``, ``base_mean1`` (when there are base samples),
        ``novel_top<k>``, ``novel_mean1`` (when there are novel samples), ``hm`` (harmonic mean
        of base and novel top-1, when there are both) and the generalised all-class accuracies
        ``all_top<k>``, ``all_mean1`` (every sample ranked among all ``C`` classes). Values are
        fractions in ``[0, 1]``.

    Raises:
        ValueError: Shapes disagree, there are no samples, or a label has no score column.
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    if scores.ndim != 2 or labels.shape != (scores.shape[0], ):
        raise ValueError(f'Expected scores [N, C] and labels [N], got {scores.shape} and '
                         f'{labels.shape}')
    if len(labels) == 0:
        raise ValueError('BaseNovelMetric got no samples')
    num_classes = scores.shape[1]
    if num_classes < num_base_classes:
        raise ValueError(f'pred_score has {num_classes} classes, fewer than '
                         f'num_base_classes={num_base_classes}')
    bad = (labels < 0) | (labels >= num_classes)
    if bad.any():
        raise ValueError(f'Label {labels[bad][0]} out of range for pred_score with '
                         f'{num_classes} classes (is the head\'s class list the full '
                         f'`base + novel` list at test time?)')
    is_base = labels < num_base_classes
    metrics: Dict[str, float] = {}
    if is_base.any():
        metrics.update(
            _accuracies(scores[is_base, :num_base_classes], labels[is_base], topk, 'base'))
    if (~is_base).any():
        metrics.update(
            _accuracies(scores[~is_base, num_base_classes:],
                        labels[~is_base] - num_base_classes, topk, 'novel'))
    if is_base.any() and (~is_base).any():
        metrics['hm'] = harmonic_mean(metrics[f'base_top{topk[0]}'],
                                      metrics[f'novel_top{topk[0]}'])
    metrics.update(_accuracies(scores, labels, topk, 'all'))
    return metrics


@METRICS.register_module()
class BaseNovelMetric(BaseMetric):
    """Base-to-novel accuracy in one pass over ``base_val + novel_val``.

    The model scores every sample against the full class list ``base names + novel names``
    (base first); ground-truth labels live in the same index space. Base samples are scored
    among the base classes only, novel samples among the novel classes only (the ViFi-CLIP
    protocol), and the harmonic mean of the two top-1 accuracies is reported, together with
    the generalised accuracy over all classes (not reported in the paper). See
    :func:`base_novel_accuracy` for the keys; with the default prefix they read
    ``b2n/base_top1``, ``b2n/novel_top1``, ``b2n/hm``, ``b2n/all_top1``, ...

    Per-sample results are gathered from every rank by :class:`mmengine.evaluator.BaseMetric`
    before :meth:`compute_metrics`, so the metric is correct under DDP.

    Args:
        num_base_classes (int): Number of base classes ``Nb``: labels ``< Nb`` are base.
        topk (int | tuple[int]): The k of the top-k accuracies; HM uses the first.
            Defaults to ``(1, 5)``.
        collect_device (str): Device used to gather results across ranks, ``'cpu'`` or
            ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names. Defaults to None (``'b2n'``).
    """
    default_prefix: Optional[str] = 'b2n'

    def __init__(self,
                 num_base_classes: int,
                 topk: Union[int, Tuple[int, ...]] = (1, 5),
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not isinstance(num_base_classes, int) or num_base_classes < 1:
            raise ValueError(f'num_base_classes must be a positive int, got {num_base_classes!r}')
        topk = (topk, ) if isinstance(topk, int) else tuple(topk)
        if not topk or any(not isinstance(k, int) or k < 1 for k in topk):
            raise ValueError(f'topk must be positive ints, got {topk!r}')
        self.num_base_classes = num_base_classes
        self.topk = topk

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Store the score vector and the label of every sample of a batch.

        Args:
            data_batch (Any): The batch from the dataloader (unused).
            data_samples (Sequence[dict]): Model outputs with ``pred_score`` ``[C]`` and a
                single-label ``gt_label``.
        """
        for sample in data_samples:
            label = sample['gt_label']
            label = label if isinstance(label, torch.Tensor) else torch.as_tensor(label)
            if label.numel() != 1:
                raise ValueError(f'BaseNovelMetric needs single-label samples, got gt_label '
                                 f'of shape {tuple(label.shape)}')
            score = sample['pred_score']
            score = score if isinstance(score, torch.Tensor) else torch.as_tensor(score)
            self.results.append(
                dict(pred=score.detach().float().cpu().numpy(), label=int(label.item())))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Compute the metrics over all gathered samples.

        Args:
            results (list[dict]): Per-sample ``pred`` and ``label`` from every rank.

        Returns:
            dict[str, float]: See :func:`base_novel_accuracy`.
        """
        if not results:
            raise ValueError('BaseNovelMetric got no samples')
        widths = {len(r['pred']) for r in results}
        if len(widths) != 1:
            raise ValueError(f'pred_score sizes differ between samples: {sorted(widths)}')
        scores = np.stack([r['pred'] for r in results])
        labels = np.array([r['label'] for r in results], dtype=np.int64)
        return base_novel_accuracy(scores, labels, self.num_base_classes, self.topk)
