"""Provenance of the demo's runs (ga2clip_demo.provenance through ga2clip_demo.steps): a finished run is reused only
under the same provenance, times excepted, and refused with the difference named otherwise."""
import json
import os

import pytest

from ga2clip_demo import provenance as prov
from ga2clip_demo import steps
from ga2clip_demo.grid import CONFIGS, HARD_PROMPT, train_set_options

METRICS = {'b2n/base_top1': 0.9, 'b2n/novel_top1': 0.6, 'b2n/hm': 0.72}


@pytest.fixture
def finished_run(tmp_path, monkeypatch):
    """A finished GA2-CLIP (as released) run: checkpoint, test metrics and the provenance it would have now."""
    monkeypatch.setenv('OMP_NUM_THREADS', '1')
    ws, wd = tmp_path / 'ws', tmp_path / 'run'
    (ws / HARD_PROMPT).parent.mkdir(parents=True)
    (ws / HARD_PROMPT).write_bytes(b'stage-1 context')
    (wd / '20261207_000000').mkdir(parents=True)
    (wd / 'epoch_6.pth').write_bytes(b'')
    (wd / 'last_checkpoint').write_text(str(wd / 'epoch_6.pth'))
    (wd / '20261207_000000' / '20261207_000000.json').write_text(json.dumps(METRICS))
    config = CONFIGS['ga2clip_as_released']
    opts = train_set_options(config, 1)
    recorded = dict(prov.current_provenance(config, str(ws), opts), finished='2026-12-07T00:01:00Z')
    prov.write_provenance(str(wd), recorded)

    def train_and_test():
        return steps.train_and_test(config, str(wd), str(ws), opts + ['randomness.seed=0'], opts, False, 'run')

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f'nothing may run: {args}')

    monkeypatch.setattr(steps, 'run_tool', no_subprocess)
    return ws, wd, recorded, train_and_test


def test_reused_under_the_same_provenance(finished_run):
    ws, wd, recorded, train_and_test = finished_run
    assert recorded['hard_prompt_sha256'] == prov.sha256_file(str(ws / HARD_PROMPT))
    assert recorded['clip_weights_sha256'] and recorded['versions']['torch'] and recorded['torch_threads'] == 1
    assert len(recorded['commit']) == 40 and recorded['cpu_model']
    assert train_and_test() == METRICS
    # another start time is not a difference
    prov.write_provenance(str(wd), dict(recorded, started='1999-01-01T00:00:00Z'))
    assert train_and_test() == METRICS


def test_refused_when_the_hard_prompt_changed(finished_run):
    ws, wd, recorded, train_and_test = finished_run
    (ws / HARD_PROMPT).write_bytes(b'another stage-1 context')
    with pytest.raises(prov.ProvenanceMismatch, match=r'refusing to reuse this run.*hard_prompt_sha256: recorded '
                       f"'{recorded['hard_prompt_sha256']}', now '"):
        train_and_test()


def test_refused_when_libraries_or_threads_differ(finished_run, monkeypatch):
    ws, wd, recorded, train_and_test = finished_run
    prov.write_provenance(str(wd), dict(recorded, versions=dict(recorded['versions'], mmengine='0.0.1')))
    with pytest.raises(prov.ProvenanceMismatch, match=r"versions\.mmengine: recorded '0\.0\.1'"):
        train_and_test()
    prov.write_provenance(str(wd), recorded)
    monkeypatch.setenv('OMP_NUM_THREADS', '2')
    with pytest.raises(prov.ProvenanceMismatch, match='torch_threads: recorded 1, now 2'):
        train_and_test()


def test_a_run_without_provenance_is_not_reused(finished_run):
    ws, wd, recorded, train_and_test = finished_run
    os.remove(wd / prov.PROVENANCE_FILE)
    with pytest.raises(prov.ProvenanceMismatch, match='without finished provenance'):
        train_and_test()


def test_an_unfinished_run_continues_only_under_the_same_provenance(finished_run):
    ws, wd, recorded, train_and_test = finished_run
    os.remove(wd / '20261207_000000' / '20261207_000000.json')  # trained, not tested
    prov.write_provenance(str(wd), dict(recorded, commit='0' * 40, finished=None))
    with pytest.raises(prov.ProvenanceMismatch, match="unfinished run started under other provenance: commit: "
                       "recorded '0000"):
        train_and_test()
