"""Zero-shot aggregator: per-dataset mean +- std over splits."""
import pytest

from ga2clip_mmaction.evaluation.zero_shot import (aggregate_zero_shot,
                                                   format_zero_shot_markdown)

RESULTS = {
    f'ga2clip_zs_eval_{dataset}_split{split}': {'acc/top1': top1, 'acc/top5': top1 + 0.2}
    for dataset, accs in (('hmdb51', (0.50, 0.52, 0.54)), ('ucf101', (0.70, 0.74, 0.72)),
                          ('k600', (0.60, 0.61, 0.62)))
    for split, top1 in zip((1, 2, 3), accs)
}


def test_mean_std_per_dataset():
    got = aggregate_zero_shot(RESULTS)
    assert list(got) == ['hmdb51', 'ucf101', 'k600']
    assert got['hmdb51']['acc/top1']['mean'] == pytest.approx(0.52)
    assert got['hmdb51']['acc/top1']['std'] == pytest.approx(0.02)
    assert got['ucf101']['acc/top1']['values'] == [0.70, 0.74, 0.72]
    assert got['ucf101']['acc/top1']['std'] == pytest.approx(0.02)
    assert got['k600']['acc/top5']['mean'] == pytest.approx(0.81)
    assert got['k600']['acc/top5']['n'] == 3


def test_markdown_table():
    table = format_zero_shot_markdown(aggregate_zero_shot(RESULTS))
    lines = table.splitlines()
    assert lines[0] == '| dataset | splits | acc/top1 | acc/top5 |'
    assert lines[2] == '| hmdb51 | 3 | 52.0 ± 2.0 | 72.0 ± 2.0 |'
    assert lines[4] == '| k600 | 3 | 61.0 ± 1.0 | 81.0 ± 1.0 |'


def test_two_groups_with_one_dataset_name_is_an_error():
    with pytest.raises(ValueError, match="dataset 'hmdb51'"):
        aggregate_zero_shot({'a_zs_eval_hmdb51_split1': {'acc/top1': 0.1},
                             'b_zs_eval_hmdb51_split1': {'acc/top1': 0.2}})
