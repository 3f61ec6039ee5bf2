"""tools/eval_zero_shot.py: one command tests every split config and reports mean ± std."""
import importlib
import json
import os.path as osp

import pytest

from ga2clip_mmaction.evaluation.summary import read_run_metrics
from tiny_eval import write_checkpoint, write_config

DATASETS = {
    'hmdb51': (['brush hair', 'cartwheel', 'chew'], [[0, 1, 2, 0], [2, 2, 1, 0]]),
    'k600': (['abseiling', 'acting in play', 'adjusting glasses', 'alligator wrestling'],
             [[0, 1, 2, 3], [3, 2, 1, 0, 1]]),
}


def _tool():
    return importlib.import_module('tools.eval_zero_shot')


@pytest.fixture
def split_configs(tmp_path):
    (tmp_path / 'configs').mkdir()
    return [
        write_config(str(tmp_path / 'configs' / f'ga2clip_zs_eval_{dataset}_split{split}.py'),
                     names, labels)
        for dataset, (names, splits) in DATASETS.items()
        for split, labels in enumerate(splits, start=1)
    ]


def test_every_split_then_mean_std_per_dataset(tmp_path, split_configs):
    checkpoint = write_checkpoint(split_configs[0], str(tmp_path / 'k400.pth'))
    work_dir = tmp_path / 'zs'
    summary = _tool().main([str(tmp_path / 'configs'), '--checkpoint', checkpoint, '--work-dir',
                            str(work_dir)])

    assert list(summary) == ['hmdb51', 'k600']
    for dataset, (_, splits) in DATASETS.items():
        per_split = [read_run_metrics(str(work_dir / f'ga2clip_zs_eval_{dataset}_split{s}'))
                     for s in range(1, len(splits) + 1)]
        top1 = [m['acc/top1'] for m in per_split]
        stat = summary[dataset]['acc/top1']
        assert stat['values'] == pytest.approx(top1)
        assert stat['mean'] == pytest.approx(sum(top1) / len(top1))
        assert stat['std'] == pytest.approx(abs(top1[0] - top1[1]) / 2**0.5)
    saved = json.loads((work_dir / 'zero_shot_summary.json').read_text())
    assert saved['checkpoint'] == checkpoint and set(saved['runs']) == {
        f'ga2clip_zs_eval_{d}_split{s}' for d in DATASETS for s in (1, 2)}
    table = (work_dir / 'zero_shot_summary.md').read_text()
    assert table.splitlines()[2].startswith('| hmdb51 | 2 | ')


def test_missing_config_fails_before_any_run(tmp_path):
    with pytest.raises(FileNotFoundError, match='Config file not found: .*nope.py'):
        _tool().expand_configs([str(tmp_path / 'nope.py')])
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match=r'No \*zs_eval\*.py config in .*empty'):
        _tool().expand_configs([str(tmp_path / 'empty')])


def test_views_option_reaches_every_run(tmp_path, split_configs):
    from mmengine.config import Config
    checkpoint = write_checkpoint(split_configs[0], str(tmp_path / 'k400.pth'))
    _tool().main([split_configs[0], '--checkpoint', checkpoint, '--views', '2x1', '--work-dir',
                  str(tmp_path / 'zs')])
    name = osp.basename(split_configs[0])
    dumped = Config.fromfile(str(tmp_path / 'zs' / osp.splitext(name)[0] / name))
    assert dumped.test_dataloader.dataset.pipeline[1] == dict(type='SegmentClips', num_segments=2,
                                                              num_clips=2)
