"""The demo's output files (evaluation/demo_output.py): the compute line, the sections present, the json keys of
the committed grid (docs/results/demo_full_grid.json) and the chart."""
import json
import os.path as osp

import pytest

from ga2clip_demo.evaluation.demo_output import compute_summary, write_demo_report

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TIMING = {'train': {'wall_s': 10.0, 'cpu_s': 20.0}, 'test': {'wall_s': 1.0, 'cpu_s': 2.0}}


def _runs():
    runs = [dict(method='zero-shot', label='zero-shot CLIP', world=0, list=None, seed=None, work_dir='zs',
                 metrics={'b2n/base_top1': 0.6, 'b2n/novel_top1': 0.5, 'b2n/hm': 0.545}, timing={'test': TIMING['test']})]
    for method, label, shift in (('ivlp', 'IVLP', 0.0), ('ga2clip', 'GA2', 0.05)):
        for lst in (1, 2, 3):
            base, novel = 0.8 + shift, 0.4 + shift * lst
            runs.append(dict(method=method, label=label, world=0, list=lst, seed=0, work_dir=f'{method}{lst}',
                             metrics={'b2n/base_top1': base, 'b2n/novel_top1': novel,
                                      'b2n/hm': 2 * base * novel / (base + novel)}, timing=TIMING))
    return runs


def test_compute_counts_the_trained_runs_only():
    out = compute_summary(_runs(), dict(session_wall_s=5.0, session_cpu_s=4.0, torch_threads=2))
    assert out == dict(session_wall_s=5.0, session_cpu_s=4.0, torch_threads=2, trained_runs=6,
                       run_wall_s=66.0, run_cpu_s=132.0)


def test_report_files_sections_and_keys(tmp_path):
    labels = {'zero-shot': 'zero-shot CLIP', 'ivlp': 'IVLP', 'ga2clip': 'GA2', 'vilt': 'ViLT'}
    grid = dict(worlds=[dict(seed=0)], world_seeds=[0], lists=[1, 2, 3], seeds=[0])
    out = write_demo_report(str(tmp_path), 'results', 'title', _runs(),
                            [('zero-shot', 'zero-shot CLIP'), ('ivlp', 'IVLP'), ('ga2clip', 'GA2')], [('ivlp', 'IVLP')],
                            [('ga2clip', 'ivlp', 'hm', 'GA2 - IVLP'), ('vilt', 'ivlp', 'hm', 'ViLT - IVLP')], labels,
                            grid, [], dict(session_wall_s=5.0, session_cpu_s=4.0, torch_threads=2),
                            {'vilt': ['w0/vilt_s3_seed0']})
    with open(tmp_path / 'results.json') as f:
        saved = json.load(f)
    with open(osp.join(REPO, 'docs', 'results', 'demo_full_grid.json')) as f:
        committed = json.load(f)
    assert set(committed) <= set(saved) and list(saved) == list(out)
    assert [c['label'] for c in saved['comparisons']] == ['GA2 - IVLP']  # ViLT has no runs: not in the family
    assert saved['methods']['GA2']['diff']['IVLP']['nested']['n_units'] == 3
    text = (tmp_path / 'results.md').read_text()
    assert 'Trainable parameters' not in text  # no budget given
    assert 'Compute: 6 trained runs, 66 s wall and 132 s CPU in their train + test steps (torch threads 2)' in text
    assert 'Not run (the time ran out; left out of every table, no cell estimated): ViLT: 1 of 3 runs missing ' \
           '(w0/vilt_s3_seed0)' in text
    assert 'over the lists (df = units - 1' in text and '| 0 | 60.0 | 50.0 | 54.5 |' in text
    assert (tmp_path / 'results.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert saved['seconds'] == pytest.approx(5.0)
