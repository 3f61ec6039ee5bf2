"""BadVideoHook in an iteration-based loop (30 % bad videos stop it long before its end, checked every N
iterations) and across --resume (the counts are saved in the checkpoint)."""
import os.path as osp

import pytest

from ga2clip_mmaction.datasets.robust_video_dataset import BadVideoError
from ga2clip_mmaction.utils.checkpoint import safe_torch_load
from tests.reliability.world import make_world

#: No yapf formatting of the config text in any run (a third of a run's time on this world).
PLAIN = '--plain-config'

ITER_LOOP = ("\ntrain_cfg = dict(type='IterBasedTrainLoop', max_iters=200, val_interval=1000)\n"
             "param_scheduler = []\n"
             "default_hooks.update(checkpoint=dict(type='CheckpointHook', interval=1000, by_epoch=False),\n"
             "                     bad_videos=dict(type='BadVideoHook', check_interval=2))\n"
             "log_processor = dict(type='LogProcessor', window_size=1, by_epoch=False)\n")


def test_thirty_percent_bad_videos_stop_an_iteration_loop_early(tmp_path):
    import tools.train as train
    config = make_world(str(tmp_path / 'w'), num_train=7, bad=('missing', 'empty', 'truncated'), extra=ITER_LOOP)
    with pytest.raises(BadVideoError, match=r'(?s)of 13 training videos .* are unreadable, more than '
                                            r'max_bad_fraction=0.01 \(checked at iteration (\d+)\)') as err:
        train.main([config, '--work-dir', str(tmp_path / 'work'), PLAIN])
    stopped_at = int(str(err.value).split('checked at iteration ')[1].split(')')[0])
    assert stopped_at <= 10 and stopped_at % 2 == 0  # 10 main + 3 anchor videos; 5 iterations see every
    # main sample once; max_iters is 200 (before this check the limit was only checked at epoch ends)


def test_the_counts_survive_a_resume(tmp_path):
    import tools.train as train
    extra = "\ndefault_hooks.update(bad_videos=dict(type='BadVideoHook', max_bad_fraction=1.0))\n"
    config = make_world(str(tmp_path / 'w'), num_train=4, bad=('empty', ), epochs=2, extra=extra)

    def counts(runner):
        hook = next(h for h in runner.hooks if type(h).__name__ == 'BadVideoHook')
        return dict(hook.bad), hook.total

    whole = counts(train.main([config, '--work-dir', str(tmp_path / 'A'), PLAIN]))
    assert whole[1] >= 2 and len(whole[0]) == 1  # the bad video is substituted at least once per epoch
    first = counts(train.main([config, '--work-dir', str(tmp_path / 'B'), PLAIN, '--cfg-options',
                               'train_cfg.max_epochs=1']))
    assert 0 < first[1] < whole[1]
    meta = safe_torch_load(osp.join(tmp_path / 'B', 'epoch_1.pth'), map_location='cpu')['meta']
    assert (meta['bad_videos']['bad'], meta['bad_videos']['total']) == first
    resumed = train.main([config, '--work-dir', str(tmp_path / 'B'), PLAIN, '--resume'])
    assert counts(resumed) == whole
