"""ga2clip_demo.steps: each run's train and test are tools/train.py and tools/test.py subprocesses (yapf off),
a finished run is reused without one, and the seconds of each step are recorded."""
import json
import os
import os.path as osp
import sys

import pytest

from tests.helpers.demo_layout import STAMP
from ga2clip_demo import steps as demo_steps


def _fake_tools(calls):
    """``run_subprocess`` stand-in: records the command; train writes a checkpoint, test a metrics log."""

    def run(cmd, cwd, log):
        calls.append((cmd, cwd, log))
        wd = cmd[cmd.index('--work-dir') + 1]
        if cmd[1].endswith('train.py'):
            open(osp.join(wd, 'epoch_6.pth'), 'wb').close()
            with open(osp.join(wd, 'last_checkpoint'), 'w') as f:
                f.write(osp.join(wd, 'epoch_6.pth'))
        else:
            os.makedirs(osp.join(wd, STAMP), exist_ok=True)
            with open(osp.join(wd, STAMP, f'{STAMP}.json'), 'w') as f:
                f.write(json.dumps({'b2n/hm': 0.5, 'b2n/base_top1': 0.5, 'b2n/novel_top1': 0.5}) + '\n')

    return run


def test_train_then_test_as_tool_subprocesses_then_reuse(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(demo_steps, 'run_subprocess', _fake_tools(calls))
    monkeypatch.chdir(tmp_path)
    for config in ('cfg.py', 'stage1.py'):  # configs without CLIP weights or hard prompt (provenance reads them)
        (tmp_path / config).write_text('model = dict()\n')
    wd, ws = str(tmp_path / 'run'), str(tmp_path)
    metrics = demo_steps.train_and_test('cfg.py', wd, ws, ['randomness.seed=1'], ['a=1'], False, 'run')
    assert metrics == {'b2n/hm': 0.5, 'b2n/base_top1': 0.5, 'b2n/novel_top1': 0.5}
    (train, cwd, log), (test, _, test_log) = calls
    assert train[:2] == [sys.executable, osp.join(demo_steps.REPO, 'tools', 'train.py')]
    assert train[2:] == ['cfg.py', '--work-dir', wd, '--plain-config', '--cfg-options', 'randomness.seed=1']
    assert test[1].endswith(osp.join('tools', 'test.py'))
    assert test[2:] == ['cfg.py', osp.join(wd, 'epoch_6.pth'), '--work-dir', wd, '--plain-config',
                        '--cfg-options', 'a=1']
    assert cwd == ws and log == osp.join(wd, 'train.log') and test_log == osp.join(wd, 'test.log')
    timing = demo_steps.read_timing(wd)
    assert set(timing) == {'train', 'test'} and all(t['wall_s'] >= 0 for t in timing.values())
    with open(osp.join(wd, 'provenance.json')) as f:  # written at the start, finished at the end
        prov = json.load(f)
    assert prov['finished'] >= prov['started'] and prov['clip_weights_sha256'] is None
    # done: reused, no subprocess; stage 1 (no test) takes no empty --cfg-options
    assert demo_steps.train_and_test('cfg.py', wd, ws, [], [], False, 'run') == metrics and len(calls) == 2
    demo_steps.train_and_test('stage1.py', str(tmp_path / 's1'), ws, [], [], False, 's1', test=False)
    assert calls[2][0][2:] == ['stage1.py', '--work-dir', str(tmp_path / 's1'), '--plain-config']


def test_run_tool_counts_the_child_cpu_seconds(tmp_path, monkeypatch):
    monkeypatch.setattr(demo_steps, 'REPO', str(tmp_path))
    (tmp_path / 'tools').mkdir()
    (tmp_path / 'tools' / 'burn.py').write_text('import time\nt = time.process_time()\n'
                                                'while time.process_time() - t < 0.3:\n    pass\nprint("done")\n')
    timing = demo_steps.run_tool('burn.py', [], str(tmp_path), str(tmp_path / 'burn.log'))
    assert timing['cpu_s'] >= 0.3 and timing['wall_s'] >= 0.3
    assert open(tmp_path / 'burn.log').read() == 'done\n'
    with pytest.raises(RuntimeError, match='failed'):
        demo_steps.run_tool('missing.py', [], str(tmp_path), str(tmp_path / 'missing.log'))
