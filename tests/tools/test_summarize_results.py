"""tools/summarize_results.py: reading MMEngine work dirs, the table, the CSV and the PNG."""
import csv
import importlib
import json
import os
import os.path as osp
import statistics

import numpy as np
import pytest
import torch
from mmaction.structures import ActionDataSample
from mmengine.dataset import pseudo_collate
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import DataLoader

import ga2clip_mmaction  # noqa: F401
from ga2clip_mmaction.evaluation.summary import (parse_run_name, read_run_metrics,
                                                 summarize_runs)



def _load_tool():
    return importlib.import_module('tools.summarize_results')


class _ScoresAsInputs(BaseModel):
    """Predicts the scores it is fed: lets a real Runner write a real test log."""

    def __init__(self):
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros(1))

    def forward(self, inputs, data_samples=None, mode='tensor'):
        for score, sample in zip(inputs, data_samples):
            sample.set_pred_score(score)
        return data_samples


def _test_log(work_dir, timestamp, metrics):
    """A test log as ``Runner.test()`` writes it: ``<ts>/<ts>.json``, one object."""
    log_dir = osp.join(work_dir, timestamp)
    os.makedirs(log_dir, exist_ok=True)
    with open(osp.join(log_dir, f'{timestamp}.json'), 'w') as f:
        json.dump(dict(metrics, data_time=0.01, time=0.2), f)


def _b2n(base, novel):
    return {'b2n/base_top1': base, 'b2n/novel_top1': novel,
            'b2n/hm': 2 * base * novel / (base + novel), 'b2n/all_top1': base * 0.8}


def test_reads_the_log_of_a_real_runner_test(tmp_path):
    scores = np.eye(5)[[0, 1, 0, 3, 4]] + 0.01 * np.arange(5)  # base: 2/3 right, novel: 2/2
    data = [dict(inputs=torch.tensor(s, dtype=torch.float32),
                 data_samples=ActionDataSample().set_gt_label(label))
            for s, label in zip(scores, [0, 1, 2, 3, 4])]
    runner = Runner(model=_ScoresAsInputs(), work_dir=str(tmp_path / 'b2n_toy_s1'),
                    test_dataloader=DataLoader(data, batch_size=2, collate_fn=pseudo_collate),
                    test_cfg=dict(type='TestLoop'), default_scope='mmaction',
                    test_evaluator=dict(type='BaseNovelMetric', num_base_classes=3))
    runner.test()
    metrics = read_run_metrics(str(tmp_path / 'b2n_toy_s1'))
    assert metrics['b2n/base_top1'] == pytest.approx(2 / 3)
    assert metrics['b2n/novel_top1'] == pytest.approx(1.0)
    assert metrics['b2n/hm'] == pytest.approx(0.8)
    assert 'time' not in metrics and 'data_time' not in metrics


def test_newest_test_log_wins(tmp_path):
    _test_log(tmp_path, '20250101_000000', {'acc/top1': 0.1})
    _test_log(tmp_path, '20250102_000000', {'acc/top1': 0.2})
    assert read_run_metrics(str(tmp_path)) == {'acc/top1': 0.2}


def test_falls_back_to_last_validation_of_training(tmp_path):
    vis = tmp_path / '20250101_000000' / 'vis_data'
    vis.mkdir(parents=True)
    lines = [dict(lr=0.1, loss=0.7, epoch=1, iter=3, step=3),
             {'acc/top1': 0.4, 'time': 0.1, 'step': 1},
             dict(lr=0.1, loss=0.5, epoch=2, iter=6, step=6),
             {'acc/top1': 0.6, 'acc/top5': 0.9, 'time': 0.1, 'step': 2},
             dict(lr=0.1, loss=0.4, epoch=3, iter=9, step=9)]
    (vis / 'scalars.json').write_text('\n'.join(json.dumps(x) for x in lines) + '\n')
    assert read_run_metrics(str(tmp_path)) == {'acc/top1': 0.6, 'acc/top5': 0.9}


def test_work_dir_without_metrics_is_an_error(tmp_path):
    (tmp_path / 'run').mkdir()
    with pytest.raises(FileNotFoundError, match='No test or validation metrics in .*run'):
        read_run_metrics(str(tmp_path / 'run'))
    with pytest.raises(FileNotFoundError, match='Work dir not found: .*nope'):
        read_run_metrics(str(tmp_path / 'nope'))


@pytest.mark.parametrize('name, expected', [
    ('ga2clip_b2n_hmdb', dict(protocol='b2n', dataset='hmdb51', shots=None)),
    ('ga2clip_fs_ssv2_k16', dict(protocol='few_shot', dataset='ssv2', shots=16)),
    ('fs-ucf101-2shot', dict(protocol='few_shot', dataset='ucf101', shots=2)),
    ('ga2clip_zs_eval_k600', dict(protocol='zero_shot', dataset='k600', shots=None)),
    ('my_run', dict(protocol=None, dataset=None, shots=None)),
])
def test_parse_run_name(name, expected):
    assert parse_run_name(name) == expected


def test_three_seeds_table_csv_and_png(tmp_path, capsys):
    seeds = [(0.78, 0.58), (0.80, 0.60), (0.79, 0.62)]
    dirs = []
    for seed, (base, novel) in enumerate(seeds, start=1):
        dirs.append(str(tmp_path / f'b2n_hmdb_s{seed}'))
        _test_log(dirs[-1], '20250101_000000', _b2n(base, novel))
    dirs.append(str(tmp_path / 'fs_ucf_k8'))
    _test_log(dirs[-1], '20250101_000000', {'acc/top1': 0.931, 'acc/top5': 0.99})
    out = tmp_path / 'summary'

    rows = _load_tool().main([*dirs, '--out-dir', str(out)])

    assert [r['group'] for r in rows] == ['b2n_hmdb', 'fs_ucf_k8']
    per_run_hm = [2 * b * n / (b + n) * 100 for b, n in seeds]
    hm_of_means = 2 * 79.0 * 60.0 / (79.0 + 60.0)
    md = (out / 'results.md').read_text().splitlines()
    assert (f'| b2n_hmdb | hmdb51 | 3 | 79.0 ± 1.0 | 60.0 ± 2.0 | {hm_of_means:.1f} ± '
            f'{statistics.stdev(per_run_hm):.1f} | 63.2 ± 0.8 | 78.3 / 58.9 / 67.2 |') in md
    assert '| fs_ucf_k8 | few_shot | ucf101 | 8 | 1 | 93.1 | 99.0 | 93.8 |' in md
    assert '| b2n_hmdb | hmdb51 |' in capsys.readouterr().out

    with open(out / 'results.csv') as f:
        table = {(r['group'], r['metric']): r for r in csv.DictReader(f)}
    assert table[('b2n_hmdb', 'b2n/novel_top1')]['mean'] == '60.00'
    assert table[('b2n_hmdb', 'b2n/novel_top1')]['std'] == '2.00'
    assert table[('b2n_hmdb', 'b2n/novel_top1')]['published'] == '58.9'
    assert table[('fs_ucf_k8', 'acc/top1')]['std'] == ''
    assert table[('fs_ucf_k8', 'acc/top1')]['published'] == '93.8'

    png = out / 'results.png'
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    import matplotlib.image
    image = matplotlib.image.imread(str(png))
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    assert image.std() > 0  # something was drawn


def test_same_run_name_twice_is_an_error(tmp_path):
    for parent in ('a', 'b'):
        _test_log(str(tmp_path / parent / 'run_s1'), '20250101_000000', {'acc/top1': 0.5})
    with pytest.raises(ValueError, match="Two runs named 'run_s1'"):
        summarize_runs([str(tmp_path / 'a' / 'run_s1'), str(tmp_path / 'b' / 'run_s1')])


def test_metrics_json_files_and_dotted_work_dirs(tmp_path):
    (tmp_path / 'zs_ucf_split1.json').write_text(json.dumps({'acc/top1': 0.5}))
    _test_log(str(tmp_path / 'zs_ucf.v2_split2'), '20250101_000000', {'acc/top1': 0.7})
    rows = summarize_runs([str(tmp_path / 'zs_ucf_split1.json'), str(tmp_path / 'zs_ucf.v2_split2')])
    assert [(r['group'], r['stats']['acc/top1']['n']) for r in rows] == [('zs_ucf', 1),
                                                                         ('zs_ucf.v2', 1)]


def test_demo_runs_group_by_method_with_error_bars(tmp_path, capsys):
    """The demo's (run_demo) ``runs/<method>_s<list>_seed<seed>`` dirs (and its one ``zero-shot`` run)."""
    base = {'ivlp': 0.9, 'ga2clip': 0.85}
    dirs = [str(tmp_path / 'zero-shot')]
    _test_log(dirs[0], '20250101_000000', _b2n(0.8, 0.7))
    for method in ('ivlp', 'ga2clip'):
        for seed in (0, 1):
            for split in (1, 2, 3):
                dirs.append(str(tmp_path / f'{method}_s{split}_seed{seed}'))
                _test_log(dirs[-1], '20250101_000000', _b2n(base[method] + 0.01 * split, 0.5 + 0.02 * seed))
    out = tmp_path / 'summary'
    rows = _load_tool().main([*dirs, '--out-dir', str(out)])
    assert [(r['group'], len(r['runs'])) for r in rows] == [('zero-shot', 1), ('ivlp', 6), ('ga2clip', 6)]
    ivlp = rows[1]['stats']
    # values ordered by (list, seed)
    assert ivlp['b2n/base_top1']['values'] == pytest.approx([0.91, 0.91, 0.92, 0.92, 0.93, 0.93])
    assert ivlp['b2n/novel_top1']['std'] == pytest.approx(statistics.stdev([0.5, 0.52] * 3))
    md = (out / 'results.md').read_text()
    assert '| ga2clip | - | 6 | 87.0 ± 0.9 | 51.0 ± 1.1 |' in md
    assert '| zero-shot | - | 1 | 80.0 | 70.0 |' in md
    from ga2clip_demo.evaluation.chart import _bars
    labels, means, stds, _ = _bars(rows[1])
    assert labels == ['base', 'novel', 'HM'] and stds[0] == pytest.approx(100 * statistics.stdev(
        [0.91, 0.91, 0.92, 0.92, 0.93, 0.93]))
    assert (out / 'results.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
