"""Mean +- std over runs, run-name grouping, formatting."""
import pytest

from ga2clip_mmaction.evaluation.aggregate import (aggregate_runs, format_mean_std, mean_std,
                                                   split_run_indices, split_run_name)


def test_mean_and_sample_std():
    mean, std = mean_std([0.5, 0.6, 0.7])
    assert mean == pytest.approx(0.6)
    assert std == pytest.approx(0.1)  # sqrt(((-.1)^2 + 0 + .1^2) / 2)


def test_single_run_has_no_std():
    assert mean_std([0.4]) == (0.4, None)


def test_no_values_is_an_error():
    with pytest.raises(ValueError, match='at least one value'):
        mean_std([])


@pytest.mark.parametrize('name, expected', [
    ('ga2clip_zs_eval_hmdb51_split2', ('ga2clip_zs_eval_hmdb51', 2)),
    ('b2n_ucf-seed3', ('b2n_ucf', 3)),
    ('b2n_ssv2_s1', ('b2n_ssv2', 1)),
    ('b2n_ssv2', ('b2n_ssv2', None)),
    ('fs_hmdb_k16', ('fs_hmdb_k16', None)),
    ('ivlp_s2_seed1', ('ivlp', 2)),
    ('ga2clip_released_s3_seed0', ('ga2clip_released', 3)),
    ('kl_anchors16_s1_seed0_split4', ('kl_anchors16', 1)),
])
def test_split_run_name(name, expected):
    assert split_run_name(name) == expected


def test_split_run_indices_strips_every_suffix():
    assert split_run_indices('ivlp_s2_seed1') == ('ivlp', (2, 1))
    assert split_run_indices('zero-shot') == ('zero-shot', ())
    assert split_run_indices('s1_seed0') == ('s1', (0, ))


def test_demo_runs_group_by_method_in_list_then_seed_order():
    results = {f'{m}_s{s}_seed{k}': {'b2n/hm': 0.1 * s + 0.01 * k + (0.5 if m == 'ga2clip' else 0)}
               for m in ('ga2clip', 'ga2clip_released') for k in (1, 0) for s in (2, 1)}
    got = aggregate_runs(results)
    assert list(got) == ['ga2clip', 'ga2clip_released']
    assert got['ga2clip_released']['b2n/hm']['values'] == pytest.approx([0.1, 0.11, 0.2, 0.21])
    assert got['ga2clip']['b2n/hm']['n'] == 4


def test_aggregate_groups_and_orders_by_run_index():
    results = {
        'zs_ucf_split2': {'acc/top1': 0.7},
        'zs_ucf_split1': {'acc/top1': 0.5, 'acc/top5': 0.9},
        'zs_hmdb_split1': {'acc/top1': 0.3, 'note': 'text is ignored'},
    }
    got = aggregate_runs(results)
    assert list(got) == ['zs_ucf', 'zs_hmdb']
    assert got['zs_ucf']['acc/top1']['values'] == [0.5, 0.7]
    assert got['zs_ucf']['acc/top1']['mean'] == pytest.approx(0.6)
    assert got['zs_ucf']['acc/top5'] == dict(mean=0.9, std=None, n=1, values=[0.9])
    assert set(got['zs_hmdb']) == {'acc/top1'}


def test_format_mean_std():
    assert format_mean_std(dict(mean=0.6331, std=0.0123)) == '63.3 ± 1.2'
    assert format_mean_std(dict(mean=0.5, std=None)) == '50.0'
    assert format_mean_std(None) == '-'
