"""Training through tools/train.py with every bad-video kind in the training and anchor lists
(2 DataLoader workers): the run finishes, each file is logged once, counts appear every epoch and at the
end; too many bad videos stop the run with the list; a bad test video stops tools/test.py with its name."""
import glob
import os.path as osp
import re

import pytest

from tests.reliability.world import BAD_KINDS, make_world

HOOKS = "\ndefault_hooks.update(bad_videos=dict(type='BadVideoHook', max_bad_fraction={frac}))\n"


def run_log(work_dir: str) -> str:
    (log, ) = glob.glob(osp.join(work_dir, '*', '*.log'))
    return open(log).read()


@pytest.fixture(scope='module')
def bad_run(tmp_path_factory):
    """2 epochs with 8 readable + 5 bad training videos, 3 readable + 2 bad anchors, 2 workers."""
    import tools.train as train
    tmp_path = tmp_path_factory.mktemp('bad_run')
    config = make_world(str(tmp_path / 'w'), bad=BAD_KINDS, bad_anchors=('truncated', 'empty'), num_workers=2,
                        epochs=2, min_frames=2, extra=HOOKS.format(frac=0.5))
    work_dir = str(tmp_path / 'work')
    return tmp_path, config, work_dir, train.main([config, '--work-dir', work_dir, '--cfg-options', 'experiment_name=bad_run'])  # own log


def test_bad_training_and_anchor_videos_are_substituted_counted_and_reported(bad_run):
    tmp_path, _, work_dir, runner = bad_run
    assert (runner.epoch, runner.iter) == (2, 14)  # nothing lost: 13 main samples per epoch, batch 2
    log = run_log(work_dir)
    for kind in BAD_KINDS:
        path = osp.join(tmp_path, 'w', f'bad_{kind}.mp4')
        assert log.count(f'unreadable video {path}: ') == 1  # logged once (both epochs meet it)
    assert log.count('unreadable video ' + osp.join(tmp_path, 'w', 'bad_anchor_')) == 2 or \
        'bad_anchor_' in open(osp.join(work_dir, 'bad_videos.txt')).read()
    epochs = re.findall(r'epoch (\d): bad videos: (\d+) substituted this epoch, (\d+) distinct of 18 listed', log)
    assert [e[0] for e in epochs] == ['1', '2']
    assert int(epochs[0][1]) >= 5 and int(epochs[1][1]) >= 5  # the 5 main bad videos, every epoch
    assert 'BadVideoHook: training done:' in log
    listed = open(osp.join(work_dir, 'bad_videos.txt')).read()
    assert all(f'bad_{kind}.mp4\t' in listed for kind in BAD_KINDS)


def test_a_run_over_the_bad_fraction_stops_with_the_list(tmp_path):
    import tools.train as train
    from ga2clip_mmaction.datasets import BadVideoError
    config = make_world(str(tmp_path / 'w'), num_train=2, bad=('empty', 'missing'), epochs=1)  # limit 1 %
    with pytest.raises(BadVideoError) as err:
        train.main([config, '--work-dir', str(tmp_path / 'work')])
    message = str(err.value)
    assert '2 of 7 training videos' in message and 'more than max_bad_fraction=0.01' in message
    assert osp.join(tmp_path, 'w', 'bad_empty.mp4') + ': empty file (0 bytes)' in message
    assert osp.join(tmp_path, 'w', 'bad_missing.mp4') + ': file not found' in message


def test_a_bad_test_video_stops_testing_with_its_name(bad_run):
    import tools.test as test
    from ga2clip_mmaction.datasets import BadVideoError
    from tests.reliability.world import write_bad_video
    tmp_path, config, work_dir, _ = bad_run
    root = str(tmp_path / 'w')
    write_bad_video(osp.join(root, 'test_1.mp4'), 'truncated', osp.join(root, 'train_0.mp4'))
    with pytest.raises(BadVideoError, match=re.escape(osp.join(root, 'test_1.mp4')) +
                       r': DecordInit: RuntimeError: Error reading \d+ bytes'):
        test.main([config, osp.join(work_dir, 'epoch_2.pth'), '--work-dir', work_dir])
