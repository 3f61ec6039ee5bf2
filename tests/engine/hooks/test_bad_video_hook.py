"""BadVideoHook: counts read from the batches' metainfo, logged once per file, summed over ranks (2-rank gloo
group), the limit stops every rank with the list."""
from types import SimpleNamespace

import pytest

from tests.helpers.dist import run_ranks


def _runner(tmp_path, listed=10):
    from mmengine.logging import MessageHub
    return SimpleNamespace(epoch=0, work_dir=str(tmp_path), message_hub=MessageHub.get_instance('bad_video_test'),
                           train_dataloader=SimpleNamespace(dataset=list(range(listed))))


def _batch(*bad):
    from mmaction.structures import ActionDataSample
    good = ActionDataSample()
    sub = ActionDataSample()
    sub.set_metainfo({'bad_videos': list(bad)})
    return {'inputs': [], 'data_samples': [good, sub]}


def _rank_body(rank, world_size, tmp):
    from ga2clip_mmaction.engine.hooks import BadVideoHook
    hook = BadVideoHook(max_bad_fraction=1.0)
    runner = _runner(tmp)
    hook.before_train(runner)
    events = {0: [('a.mp4', 'empty file (0 bytes)'), ('b.mp4', 'file not found')], 1: [('a.mp4', 'empty file')]}
    for i, event in enumerate(events[rank]):
        hook.before_train_iter(runner, i, _batch(event))
    hook.after_train_epoch(runner)
    return hook.total, sorted(hook.bad)


def test_counts_are_summed_over_ranks(tmp_path):
    results = run_ranks(_rank_body, 2, str(tmp_path))
    assert results == [(3, ['a.mp4', 'b.mp4'])] * 2  # 2 + 1 substitutions, 2 distinct files, on both ranks


def test_limit_stops_with_the_list(tmp_path):
    from ga2clip_mmaction.datasets import BadVideoError
    from ga2clip_mmaction.engine.hooks import BadVideoHook
    hook = BadVideoHook(max_bad_fraction=0.1)
    runner = _runner(tmp_path, listed=10)
    hook.before_train(runner)
    hook.before_train_iter(runner, 0, _batch(('x.mp4', 'truncated'), ('y.mp4', 'random')))
    with pytest.raises(BadVideoError, match=r'2 of 10 training videos \(20.00 %\) are unreadable, more than '
                       r'max_bad_fraction=0.1.*\n  x.mp4: truncated\n  y.mp4: random'):
        hook.after_train_epoch(runner)
    assert (tmp_path / 'bad_videos.txt').read_text() == 'x.mp4\ttruncated\ny.mp4\trandom\n'
