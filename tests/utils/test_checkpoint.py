"""Checkpoint loading: torch's ``weights_only`` default plus exactly the globals MMEngine checkpoints need (torch's
``safe_globals`` context, entered by our runner's loads and by safe_torch_load); MMEngine keeps its own loader,
anything else is refused by torch (and never executed), and torch's own opt-out works."""
import argparse
import glob
import logging
import os
import pickle
import subprocess
import sys
import os.path as osp
import zipfile

import numpy as np
import pytest
import torch
from mmengine.config import Config, ConfigDict
from mmengine.logging import HistoryBuffer
from mmengine.optim.scheduler import OneCycleParamScheduler
from mmengine.runner import Runner, load_checkpoint
from mmengine.runner import checkpoint as mm_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader

import ga2clip_mmaction  # noqa: F401
from ga2clip_mmaction.utils.checkpoint import (NUMERIC_DTYPES, SAFE_GLOBALS, UntrustedCheckpointError,
                                               allow_mmengine_globals, safe_torch_load)

TORCH_OPT_OUT = 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'

#: Allowlist entries that no checkpoint written here names: numpy 1's module path of the
#: numpy functions (tested with a rewritten checkpoint below) and the dtype classes, which
#: the unpickler checks by type (tested with scalars of every numeric dtype below).
NUMPY1_NAMES = {'numpy.core.multiarray._reconstruct', 'numpy.core.multiarray.scalar'}
DTYPE_NAMES = {f'numpy.dtypes.{type(np.dtype(n)).__name__}' for n in NUMERIC_DTYPES}


def unsafe_globals(path) -> list:
    """What torch would refuse in ``path`` by its defaults alone (the plugin's additions taken out meanwhile)."""
    added = torch.serialization.get_safe_globals()
    torch.serialization.clear_safe_globals()
    try:
        return torch.serialization.get_unsafe_globals_in_checkpoint(str(path))
    finally:
        torch.serialization.add_safe_globals(added)


@pytest.fixture(autouse=True)
def no_opt_out(monkeypatch):
    monkeypatch.delenv(TORCH_OPT_OUT, raising=False)
    monkeypatch.delenv('TORCH_FORCE_WEIGHTS_ONLY_LOAD', raising=False)


@pytest.fixture(scope='module')
def runner_work_dir(tmp_path_factory, toy_recognizer_config):
    """Work dir of a real 1-epoch Runner run with every feature that adds globals to checkpoints.

    ``save_best`` (numpy scalars in the message hub), a dataset ``metainfo`` with a nested
    dict (a ``ConfigDict`` in ``meta``) and ``OneCycleLR`` (a function stored by reference).
    """
    work_dir = str(tmp_path_factory.mktemp('allowlist'))
    cfg = Config.fromfile(toy_recognizer_config)
    cfg.work_dir = work_dir
    cfg.experiment_name = 'toy_allowlist'
    cfg.train_cfg.max_epochs = 1
    cfg.train_dataloader.dataset.metainfo = dict(
        classes=('red', 'green', 'blue'), channel=dict(red=0, green=1, blue=2))
    cfg.param_scheduler = [dict(type='OneCycleLR', eta_max=0.01, total_steps=3, by_epoch=False)]
    Runner.from_cfg(cfg).train()
    return work_dir


def test_allowlist_is_exactly_what_runner_checkpoints_reference(runner_work_dir):
    paths = sorted(glob.glob(osp.join(runner_work_dir, '*.pth')))
    assert len(paths) == 2  # epoch_1.pth and the best checkpoint
    needed = set()
    for path in paths:
        needed |= set(unsafe_globals(path))
    allowed = {name for _, name in SAFE_GLOBALS}
    assert needed == allowed - NUMPY1_NAMES - DTYPE_NAMES


def test_runner_checkpoint_loads_through_mmengine(runner_work_dir):
    """After ``import ga2clip_mmaction`` MMEngine's own loader reads a Runner checkpoint (torch's allowlist has
    MMEngine's globals); torch alone, in a process without the plugin, refuses it."""
    path = osp.join(runner_work_dir, 'epoch_1.pth')
    alone = subprocess.run([sys.executable, '-c', f'import torch; torch.load({path!r})'], capture_output=True,
                           text=True)
    assert alone.returncode != 0 and 'mmengine' in alone.stderr
    ckpt = CheckpointLoader.load_checkpoint(path)
    assert isinstance(ckpt['meta']['dataset_meta']['channel'], ConfigDict)
    loss = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(loss, HistoryBuffer) and len(loss.data[0]) == 3
    assert loss.mean() == pytest.approx(float(np.mean(loss.data[0])))
    assert isinstance(ckpt['message_hub']['runtime_info']['best_score'], np.float64)
    assert ckpt['param_schedulers'][0]['anneal_func'].__name__ == '_annealing_cos'


@pytest.mark.parametrize('strategy', ['cos', 'linear'])
def test_one_cycle_scheduler_state_loads(tmp_path, strategy):
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1)
    scheduler = OneCycleParamScheduler(optimizer, 'lr', eta_max=0.1, total_steps=4,
                                       anneal_strategy=strategy)
    torch.save({'param_schedulers': [scheduler.state_dict()]}, tmp_path / 'sched.pth')
    loaded = safe_torch_load(str(tmp_path / 'sched.pth'))['param_schedulers'][0]
    assert loaded['anneal_func'] is getattr(OneCycleParamScheduler, f'_annealing_{strategy}')


def test_numeric_numpy_scalars_and_arrays_of_every_dtype_load(tmp_path):
    """What a metric may log: numpy scalars/arrays of any bool, int or float dtype."""
    values = {n: np.ones(2, dtype=n) for n in NUMERIC_DTYPES}
    values.update({f'{n}_scalar': np.ones(1, dtype=n)[0] for n in NUMERIC_DTYPES})
    torch.save(values, tmp_path / 'numpy.pth')
    loaded = safe_torch_load(str(tmp_path / 'numpy.pth'))
    for key, value in values.items():
        assert loaded[key].dtype == value.dtype and np.array_equal(loaded[key], value)


def test_object_arrays_are_refused(tmp_path):
    torch.save({'x': np.array([1, 'a'], dtype=object)}, tmp_path / 'obj.pth')
    with pytest.raises(UntrustedCheckpointError, match='numpy.dtypes.ObjectDType'):
        safe_torch_load(str(tmp_path / 'obj.pth'))


def test_amp_loss_scaler_state_needs_no_extra_global(tmp_path):
    """``AmpOptimWrapper.state_dict()`` adds the GradScaler state to the optimizer state."""
    param = torch.nn.Parameter(torch.ones(2))
    optimizer = torch.optim.AdamW([param], lr=0.1)
    scaler = torch.amp.GradScaler('cpu')
    scaler.scale(param.sum()).backward()
    scaler.step(optimizer)
    scaler.update()
    state = dict(optimizer.state_dict(), loss_scaler=scaler.state_dict())
    assert state['loss_scaler']['scale'] == 65536.0
    torch.save({'optimizer': state}, tmp_path / 'amp.pth')
    assert unsafe_globals(str(tmp_path / 'amp.pth')) == []
    assert safe_torch_load(str(tmp_path / 'amp.pth'))['optimizer']['loss_scaler'] == \
        state['loss_scaler']


def test_checkpoint_written_with_numpy1_loads(tmp_path):
    """numpy 1 names the functions ``numpy.core.multiarray.*`` (numpy 2: ``numpy._core``)."""
    buffer = HistoryBuffer()
    buffer.update(1.5)
    buffer.update(2.5)
    torch.save({'hb': buffer, 'score': np.float64(0.25)}, tmp_path / 'numpy2.pth')
    with zipfile.ZipFile(tmp_path / 'numpy2.pth') as src, \
            zipfile.ZipFile(tmp_path / 'numpy1.pth', 'w') as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith('/data.pkl'):
                data = data.replace(b'numpy._core.multiarray', b'numpy.core.multiarray')
            dst.writestr(info, data)
    names = unsafe_globals(str(tmp_path / 'numpy1.pth'))
    assert NUMPY1_NAMES <= set(names)
    loaded = safe_torch_load(str(tmp_path / 'numpy1.pth'))
    assert loaded['hb'].mean() == 2.0 and loaded['score'] == 0.25


class _Payload:
    """Unpickling this object calls ``func(*args)``: arbitrary code in a checkpoint."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _malicious_checkpoint(path, payload) -> None:
    model = torch.nn.Linear(2, 2)
    torch.save({'state_dict': model.state_dict(), 'meta': {'payload': payload}}, path)


@pytest.mark.parametrize('kind, global_name', [('shell', 'posix.system'), ('open', 'io.open')])
def test_malicious_checkpoint_is_refused_and_never_runs(tmp_path, kind, global_name):
    marker = tmp_path / 'pwned'
    if kind == 'shell':
        payload = _Payload(os.system, f'touch {marker}')
    else:
        payload = _Payload(open, str(marker), 'w')
    path = str(tmp_path / 'evil.pth')
    _malicious_checkpoint(path, payload)
    for load in (lambda: load_checkpoint(torch.nn.Linear(2, 2), path),  # MMEngine's own loader: torch's error
                 lambda: CheckpointLoader.load_checkpoint(path)):
        with pytest.raises(pickle.UnpicklingError) as err:
            load()
        assert global_name in str(err.value) and 'GA2CLIP' not in str(err.value)
        assert not marker.exists()
    with pytest.raises(UntrustedCheckpointError) as err:  # our own loading: the same refusal, naming the file
        safe_torch_load(path)
    assert f'`{global_name}`' in str(err.value) and path in str(err.value) and TORCH_OPT_OUT in str(err.value)
    assert not marker.exists()
    torch.load(path, weights_only=False)  # the payload is live: plain unpickling runs it
    assert marker.exists()


def test_getattr_only_reaches_the_methods_mmengine_pickles(tmp_path):
    """``builtins.getattr`` is bound to a function that only returns the listed methods."""
    path = str(tmp_path / 'getattr.pth')
    _malicious_checkpoint(path, _Payload(getattr, HistoryBuffer, '__init__'))
    with pytest.raises(
            pickle.UnpicklingError, match='mmengine.logging.history_buffer.HistoryBuffer.__init__'):
        load_checkpoint(torch.nn.Linear(2, 2), path)
    _malicious_checkpoint(path, _Payload(getattr, HistoryBuffer, 'mean'))
    assert CheckpointLoader.load_checkpoint(path)['meta']['payload'] is HistoryBuffer.mean


def test_torch_opt_out_works(tmp_path, monkeypatch):
    """A benign checkpoint with a global outside the allowlist (an argparse Namespace): refused by torch's
    default, loaded through MMEngine's own loader under torch's own opt-out (nothing of ours in between)."""
    model = torch.nn.Linear(2, 2)
    path = tmp_path / 'research.pth'
    torch.save({'state_dict': model.state_dict(),
                'meta': {'args': argparse.Namespace(lr=0.1)}}, path)
    target = torch.nn.Linear(2, 2)
    with pytest.raises(pickle.UnpicklingError, match='argparse.Namespace') as err:
        load_checkpoint(target, str(path))
    assert 'GA2CLIP' not in str(err.value)  # torch's own message

    monkeypatch.setenv(TORCH_OPT_OUT, '1')
    ckpt = load_checkpoint(target, str(path))
    assert ckpt['meta']['args'].lr == 0.1
    torch.testing.assert_close(target.weight, model.weight)
    assert safe_torch_load(str(path))['meta']['args'].lr == 0.1


def test_mmengine_keeps_its_own_local_loader_and_log_line(tmp_path, caplog):
    assert CheckpointLoader._get_checkpoint_loader('/some/file.pth') is mm_checkpoint.load_from_local
    torch.save({'x': 1}, tmp_path / 'plain.pth')
    messages = []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())
    from mmengine.logging import MMLogger
    logger = MMLogger.get_instance('ckpt_log_line')
    logger.addHandler(handler)
    CheckpointLoader.load_checkpoint(str(tmp_path / 'plain.pth'), logger=logger)
    assert any(m.startswith('Loads checkpoint by local backend from path') for m in messages), messages
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        CheckpointLoader.load_checkpoint(str(tmp_path / 'missing.pth'))


def test_mmengine_globals_are_in_torchs_allowlist_after_import():
    """Importing the plugin added exactly the MMEngine globals with torch's own mechanism (the documented
    exception); adding them again adds nothing and leaves a user's entries in place."""
    before = torch.serialization.get_safe_globals()
    assert all(entry in before for entry in SAFE_GLOBALS)
    user_entry = (argparse.Namespace, 'argparse.Namespace')
    with torch.serialization.safe_globals([user_entry]):
        assert allow_mmengine_globals() == []
        assert user_entry in torch.serialization.get_safe_globals()
    assert torch.serialization.get_safe_globals() == before


def test_our_runner_loads_mmengine_checkpoints(runner_work_dir, toy_recognizer_config):
    """``load_from`` of a Runner checkpoint (message hub with HistoryBuffers) through GA2CLIPRunner, the runner our
    configs name, and through MMEngine's own Runner (torch's allowlist has MMEngine's globals after the import)."""
    from ga2clip_mmaction.engine.runners import GA2CLIPRunner
    cfg = Config.fromfile(toy_recognizer_config)
    assert cfg.runner_type == 'mmaction.GA2CLIPRunner'
    cfg.work_dir = osp.join(runner_work_dir, 'load_from')
    cfg.experiment_name = 'toy_load_from'
    runner = GA2CLIPRunner.from_cfg(cfg)
    ckpt = runner.load_checkpoint(osp.join(runner_work_dir, 'epoch_1.pth'))
    assert isinstance(ckpt['message_hub']['log_scalars']['train/loss'], HistoryBuffer)
    ckpt = Runner.load_checkpoint(runner, osp.join(runner_work_dir, 'epoch_1.pth'))
    assert isinstance(ckpt['message_hub']['log_scalars']['train/loss'], HistoryBuffer)
