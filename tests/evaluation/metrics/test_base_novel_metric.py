"""BaseNovelMetric: hand-made predictions with known base / novel / HM / all-class accuracy."""
import numpy as np
import pytest
import torch
from mmaction.registry import METRICS
from mmaction.structures import ActionDataSample

import ga2clip_mmaction  # noqa: F401
from ga2clip_mmaction.evaluation import base_novel_accuracy

# 3 base classes (0, 1, 2) then 2 novel classes (3, 4).
SCORES = np.array([
    [0.50, 0.10, 0.10, 0.20, 0.10],  # label 0: base right, all right
    [0.10, 0.20, 0.05, 0.60, 0.05],  # label 1: base right (novel class 3 ignored), all wrong
    [0.40, 0.10, 0.30, 0.10, 0.10],  # label 2: base wrong, all wrong (top-2 right)
    [0.10, 0.10, 0.50, 0.20, 0.10],  # label 2: base right, all right
    [0.60, 0.10, 0.10, 0.15, 0.05],  # label 3: novel right (base class 0 ignored), all wrong
    [0.35, 0.10, 0.10, 0.40, 0.05],  # label 4: novel wrong, all wrong, all top-2 wrong
])
LABELS = np.array([0, 1, 2, 2, 3, 4])
EXPECTED = {
    'base_top1': 3 / 4, 'base_top2': 1.0, 'base_mean1': (1 + 1 + 0.5) / 3,
    'novel_top1': 1 / 2, 'novel_top2': 1.0, 'novel_mean1': 0.5,
    'hm': 2 * 0.75 * 0.5 / (0.75 + 0.5),
    'all_top1': 2 / 6, 'all_top2': 5 / 6, 'all_mean1': (1 + 0 + 0.5 + 0 + 0) / 5,
}


def _samples(scores, labels):
    out = []
    for score, label in zip(scores, labels):
        sample = ActionDataSample().set_gt_label(int(label))
        sample.set_pred_score(torch.as_tensor(score, dtype=torch.float32))
        out.append(sample.to_dict())
    return out


def test_hand_made_predictions():
    got = base_novel_accuracy(SCORES, LABELS, num_base_classes=3, topk=(1, 2))
    assert got == pytest.approx(EXPECTED)
    assert set(got) == set(EXPECTED)


def test_registered_metric_prefixes_and_splits_batches():
    metric = METRICS.build(dict(type='BaseNovelMetric', num_base_classes=3, topk=(1, 2)))
    samples = _samples(SCORES, LABELS)
    metric.process(None, samples[:4])
    metric.process(None, samples[4:])
    got = metric.evaluate(size=len(samples))
    assert got == pytest.approx({f'b2n/{k}': v for k, v in EXPECTED.items()})


def test_custom_prefix():
    metric = METRICS.build(dict(type='BaseNovelMetric', num_base_classes=3, prefix='hmdb'))
    metric.process(None, _samples(SCORES, LABELS))
    assert metric.evaluate(6)['hmdb/hm'] == pytest.approx(0.6)


def test_one_pass_equals_two_separate_protocols():
    """Scores over `base + novel` names, split by the metric, equal two runs with separate lists."""
    acc_metric = METRICS.get('AccMetric')
    rng = np.random.default_rng(0)
    num_base, num_novel, per_class = 7, 6, 3
    labels = np.repeat(np.arange(num_base + num_novel), per_class)
    logits = torch.as_tensor(rng.normal(size=(len(labels), num_base + num_novel)) * 3)
    is_base = torch.as_tensor(labels < num_base)

    one_pass = METRICS.build(dict(type='BaseNovelMetric', num_base_classes=num_base))
    one_pass.process(None, _samples(logits.softmax(-1).numpy(), labels))
    got = one_pass.evaluate(len(labels))

    base_run, novel_run = acc_metric(), acc_metric()  # each run's head knows only its classes
    base_run.process(None, _samples(logits[is_base, :num_base].softmax(-1).numpy(),
                                    labels[is_base.numpy()]))
    novel_run.process(None, _samples(logits[~is_base, num_base:].softmax(-1).numpy(),
                                     labels[~is_base.numpy()] - num_base))
    base = base_run.evaluate(int(is_base.sum()))
    novel = novel_run.evaluate(int((~is_base).sum()))
    for key in ('top1', 'top5', 'mean1'):
        assert got[f'b2n/base_{key}'] == pytest.approx(base[f'acc/{key}'])
        assert got[f'b2n/novel_{key}'] == pytest.approx(novel[f'acc/{key}'])
    b, n = base['acc/top1'], novel['acc/top1']
    assert got['b2n/hm'] == pytest.approx(2 * b * n / (b + n))
    assert 0 < b < 1 and 0 < n < 1  # the comparison is not between trivial values


def test_base_only_run_has_no_novel_or_hm():
    got = base_novel_accuracy(SCORES[:4, :3], LABELS[:4], num_base_classes=3, topk=(1, ))
    assert got == pytest.approx({'base_top1': 0.75, 'base_mean1': 2.5 / 3,
                                 'all_top1': 0.75, 'all_mean1': 2.5 / 3})


def test_mean_class_ignores_classes_only_predicted():
    # Two samples of class 0, both predicted as class 1 once: recall of class 0 is 0.5;
    # class 1 never occurs in the ground truth and must not count as a 0 in the mean.
    got = base_novel_accuracy(np.array([[0.9, 0.1], [0.1, 0.9]]), np.array([0, 0]), 2, (1, ))
    assert got['base_mean1'] == pytest.approx(0.5)


def test_label_outside_the_class_list_is_an_error():
    with pytest.raises(ValueError, match=r'Label 3 out of range for pred_score with 3 classes'):
        base_novel_accuracy(SCORES[:, :3], LABELS, num_base_classes=3)


def test_too_few_score_columns_is_an_error():
    with pytest.raises(ValueError, match='fewer than num_base_classes=6'):
        base_novel_accuracy(SCORES, LABELS, num_base_classes=6)


@pytest.mark.parametrize('kwargs, match', [
    (dict(num_base_classes=0), 'num_base_classes must be a positive int'),
    (dict(num_base_classes=3, topk=(0, )), 'topk must be positive ints'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        METRICS.build(dict(type='BaseNovelMetric', **kwargs))


def test_multi_label_sample_is_an_error():
    metric = METRICS.build(dict(type='BaseNovelMetric', num_base_classes=3))
    with pytest.raises(ValueError, match='single-label'):
        metric.process(None, [dict(pred_score=torch.zeros(5), gt_label=torch.tensor([1, 2]))])


def test_ties_count_alike_for_top1_and_mean_class():
    # The label-2 sample scores 0 on every base class: top-1 and mean-class must agree on it.
    got = base_novel_accuracy(np.eye(5)[[0, 1, 3]], np.array([0, 1, 2]), 3, (1, ))
    assert got['base_mean1'] == pytest.approx(got['base_top1'])


def _ddp_evaluate(rank, world_size):
    """One rank: process the samples the DefaultSampler would give it, then evaluate (all ranks gather)."""
    metric = METRICS.build(dict(type='BaseNovelMetric', num_base_classes=3, topk=(1, 2)))
    samples = _samples(SCORES, LABELS)
    metric.process(None, samples[rank::world_size])  # DefaultSampler(shuffle=False) split
    return metric.evaluate(size=len(samples))


def test_distributed_evaluation_gathers_every_rank():
    from tests.helpers.dist import run_ranks
    got, got_rank1 = run_ranks(_ddp_evaluate, 2)
    assert got_rank1 == got  # MMEngine broadcasts rank 0's result
    assert got == pytest.approx({f'b2n/{k}': v for k, v in EXPECTED.items()})
