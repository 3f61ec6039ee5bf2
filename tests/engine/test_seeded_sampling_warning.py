"""The warning that a training's augmentation is not seeded per draw (``--resume`` would augment differently):
every training dataset type that is not seeded gets it, with the way out in the message."""
import logging

import pytest
from mmengine.config import Config

from ga2clip_mmaction.engine import config_checks


def warnings_for(dataset_type, batch_sampler, monkeypatch):
    logged = []
    monkeypatch.setattr(config_checks, 'print_log',
                        lambda msg, logger=None, level=logging.INFO: logged.append((level, msg)))
    loader = dict(dataset=dict(type=dataset_type, ann_file='a.txt', pipeline=[]))
    if batch_sampler:
        loader['batch_sampler'] = dict(type=batch_sampler)
    config_checks._check_seeded_sampling(Config(dict(train_dataloader=loader)))
    return [msg for level, msg in logged if level == logging.WARNING]


@pytest.mark.parametrize('dataset_type', ['RobustVideoDataset', 'RobustRawframeDataset'])
def test_a_seeding_dataset_without_a_seeded_batch_sampler_is_warned(dataset_type, monkeypatch):
    (msg,) = warnings_for(dataset_type, None, monkeypatch)
    assert f'each draw of the {dataset_type} is not seeded' in msg and "type='SeededBatchSampler'" in msg
    assert warnings_for(dataset_type, 'SeededBatchSampler', monkeypatch) == []
    assert warnings_for(dataset_type, 'AnchorBatchSampler', monkeypatch) == []


@pytest.mark.parametrize('dataset_type, robust', [('VideoDataset', 'RobustVideoDataset'),
                                                  ('RawframeDataset', 'RobustRawframeDataset')])
def test_mmaction_datasets_are_warned_whatever_the_sampler(dataset_type, robust, monkeypatch):
    for sampler in (None, 'SeededBatchSampler'):
        (msg,) = warnings_for(dataset_type, sampler, monkeypatch)
        assert msg.startswith(f'train_dataloader.dataset is {dataset_type}: the augmentation') and robust in msg
