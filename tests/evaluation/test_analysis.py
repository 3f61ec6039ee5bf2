"""Analysis of dumped predictions: report_accuracy.py fuses score files with weights (base / novel / HM as
BaseNovelMetric computes them), confusion_matrix.py writes per-class tables and PNGs, base and novel apart."""
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.fileio import dump

from ga2clip_mmaction.evaluation.analysis import NO_MATPLOTLIB, fuse_predictions, load_predictions
from ga2clip_mmaction.evaluation.metrics.base_novel_metric import base_novel_accuracy

# 3 base classes then 2 novel classes; 8 videos
LABELS = [0, 0, 1, 2, 2, 3, 4, 4]
NAMES = ['jump', 'run', 'swim', 'dive', 'climb']


def _scores(seed):
    return np.random.default_rng(seed).normal(size=(len(LABELS), len(NAMES))).astype(np.float32)


def _dump(path, scores, labels=LABELS):
    """What tools/test.py --dump writes (MMEngine's DumpResults: a list of dicts of CPU tensors)."""
    dump([dict(num_classes=len(NAMES), img_shape=(32, 32), pred_score=torch.from_numpy(s),
               gt_label=torch.tensor([label]), pred_label=torch.tensor([int(s.argmax())]))
          for s, label in zip(scores, labels)], str(path))
    return str(path)


def test_report_accuracy_fuses_with_weights(tmp_path, capsys):
    import tools.analysis_tools.report_accuracy as tool
    # a ranks the true class first by 1.0; b ranks another class of the same part first by 1.5: the weights decide
    wrong = {0: 1, 1: 2, 2: 0, 3: 4, 4: 3}
    a = 0.1 * _scores(0) + np.eye(len(NAMES), dtype=np.float32)[LABELS]
    b = 0.1 * _scores(1) + 1.5 * np.eye(len(NAMES), dtype=np.float32)[[wrong[label] for label in LABELS]]
    a[:3], b[:3] = _scores(2)[:3], _scores(3)[:3]  # and three videos at random
    assert base_novel_accuracy(a + b, np.array(LABELS), 3)['novel_top1'] == 0.0
    files = [_dump(tmp_path / 'a.pkl', a), _dump(tmp_path / 'b.pkl', b)]
    report = tool.main(['--preds', *files, '--coefficients', '1', '0.5', '--num-base-classes', '3'])
    expected = base_novel_accuracy(a + 0.5 * b, np.array(LABELS), 3)
    assert expected['novel_top1'] == 1.0
    assert report == pytest.approx({'base': 100 * expected['base_top1'], 'novel': 100 * expected['novel_top1'],
                                    'hm': 100 * expected['hm'], 'all_top1': 100 * expected['all_top1']})
    out = capsys.readouterr().out
    assert 'fused (2 files, weights 1, 0.5, 8 videos): base ' in out and out.count('hm ') == 3
    soft = tool.main(['--preds', *files, '--apply-softmax'])  # no base classes: closed-set accuracy
    probs = [np.exp(s) / np.exp(s).sum(1, keepdims=True) for s in (a, b)]
    closed = base_novel_accuracy(probs[0] + probs[1], np.array(LABELS), 0)
    assert soft['top1'] == pytest.approx(100 * closed['all_top1'])
    assert soft['mean1'] == pytest.approx(100 * closed['all_mean1'])


def test_fusion_refuses_other_test_lists(tmp_path):
    a = _dump(tmp_path / 'a.pkl', _scores(0))
    other = _dump(tmp_path / 'other.pkl', _scores(1), labels=LABELS[::-1])
    with pytest.raises(ValueError, match=r'other.pkl: 8 samples x 5 classes, labels differ; .*a.pkl has 8 x 5'):
        fuse_predictions([a, other])
    with pytest.raises(ValueError, match='1 coefficients for 2 score files'):
        fuse_predictions([a, a], [1.0])


def test_dump_loading_runs_no_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ('echo hacked > ' + str(tmp_path / 'hacked'), ))

    (tmp_path / 'evil.pkl').write_bytes(pickle.dumps([{'pred_score': Evil(), 'gt_label': 0}]))
    with pytest.raises(ValueError, match='evil.pkl: not a prediction dump.*refusing to load posix.system'):
        load_predictions(str(tmp_path / 'evil.pkl'))
    assert not (tmp_path / 'hacked').exists()


def test_confusion_matrix_base_and_novel_apart(tmp_path, capsys):
    import tools.analysis_tools.confusion_matrix as tool
    scores = np.full((len(LABELS), len(NAMES)), -1.0, dtype=np.float32)
    # base: 0 -> 0, 0 -> 1 (wrong), 1 -> 1, 2 -> 2, 2 -> 0 (wrong); novel: 3 -> 3, 4 -> 3 (wrong), 4 -> 4.
    # Each video's global top class is a novel one for base videos: only the base block may count.
    for i, pred in enumerate([0, 1, 1, 2, 0, 3, 3, 4]):
        scores[i, pred] = 1.0
        scores[i, 4 if LABELS[i] < 3 else 0] = 5.0
    (tmp_path / 'classes.txt').write_text('\n'.join(NAMES) + '\n')
    dumped = _dump(tmp_path / 'r.pkl', scores)
    tables = tool.main([dumped, '--classes', str(tmp_path / 'classes.txt'), '--num-base-classes', '3',
                        '--out-dir', str(tmp_path / 'out')])
    rows = {r['name']: (r['part'], r['samples'], r['correct'], r['most_confused_with']) for p in tables.values()
            for r in p}
    assert rows == {'jump': ('base', 2, 1, 'run'), 'run': ('base', 1, 1, ''), 'swim': ('base', 2, 1, 'jump'),
                    'dive': ('novel', 1, 1, ''), 'climb': ('novel', 2, 1, 'dive')}
    metric = base_novel_accuracy(scores, np.array(LABELS), 3)
    out = capsys.readouterr().out
    assert f'base: 5 videos, top-1 {100 * metric["base_top1"]:.2f} %' in out
    assert f'mean class accuracy {100 * metric["base_mean1"]:.2f} %' in out
    assert 'climb: 50.0 % of 2, most often taken for dive (1)' in out
    table = (tmp_path / 'out' / 'per_class_novel.md').read_text().splitlines()
    assert table[2] == '| novel | 3 | dive | 1 | 1 | 100.0 |  | 0 |'
    for part in ('base', 'novel'):
        assert (tmp_path / 'out' / f'confusion_{part}.png').read_bytes()[:4] == b'\x89PNG'


def test_without_matplotlib_the_tables_are_written_and_the_tool_says_so(tmp_path, capsys, monkeypatch):
    import sys
    import tools.analysis_tools.confusion_matrix as tool
    monkeypatch.setitem(sys.modules, 'matplotlib', None)  # import matplotlib raises ImportError
    dumped = _dump(tmp_path / 'r.pkl', _scores(0))
    tool.main([dumped, '--out-dir', str(tmp_path / 'out')])
    assert NO_MATPLOTLIB in capsys.readouterr().out and 'pip install -e ".[plots]"' in NO_MATPLOTLIB
    assert os.listdir(tmp_path / 'out') == ['per_class_all.md']
