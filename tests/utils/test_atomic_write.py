"""Atomic checkpoint files: the user's umask (not mkstemp's 0600) and the folder fsynced after the rename."""
import multiprocessing as mp
import os
import os.path as osp
import signal
import stat

import pytest
import torch

from ga2clip_mmaction.utils import atomic_write as ckpt_mod
from ga2clip_mmaction.utils.atomic_write import (BACKEND_NAME, AtomicLocalBackend, atomic_torch_save,
                                                 atomic_write_bytes, current_umask)


@pytest.mark.parametrize('umask', [0o022, 0o027, 0o077])
def test_files_get_the_mode_of_the_umask(tmp_path, umask):
    previous = os.umask(umask)
    try:
        assert current_umask() == umask
        atomic_write_bytes(b'x', tmp_path / 'a.bin')
        atomic_torch_save({'a': 1}, tmp_path / 'b.pth')
    finally:
        os.umask(previous)
    for name in ('a.bin', 'b.pth'):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o666 & ~umask


def test_the_folder_is_fsynced_after_the_replace(tmp_path, monkeypatch):
    events = []
    fsync, replace = os.fsync, os.replace
    monkeypatch.setattr(ckpt_mod.os, 'fsync',
                        lambda fd: events.append('dir' if stat.S_ISDIR(os.fstat(fd).st_mode) else 'file') or fsync(fd))
    monkeypatch.setattr(ckpt_mod.os, 'replace', lambda *a, **k: events.append('replace') or replace(*a, **k))
    atomic_write_bytes(b'data', tmp_path / 'c.bin')
    assert events == ['file', 'replace', 'dir']
    assert (tmp_path / 'c.bin').read_bytes() == b'data' and os.listdir(tmp_path) == ['c.bin']


def _save_twice_killed_before_the_second_rename(path):
    from mmengine.runner.checkpoint import save_checkpoint
    save_checkpoint({'step': 1}, path, backend_args=dict(backend='atomic_local'))
    real_replace = os.replace

    def killing_replace(src, dst, *args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)  # the new file is complete, not yet in place

    os.replace = killing_replace
    try:
        save_checkpoint({'step': 2}, path, backend_args=dict(backend='atomic_local'))
    finally:
        os.replace = real_replace
    os._exit(0)  # not reached


def test_mmengine_saves_through_our_backend_where_named_and_through_its_own_elsewhere(tmp_path):
    """Our atomic backend is registered under its own name; plain paths keep MMEngine's ``local`` backend."""
    from mmengine.fileio import LocalBackend, get_file_backend
    from mmengine.fileio.backends.registry_utils import backends, prefix_to_backends
    assert backends['local'] is LocalBackend and prefix_to_backends[''] is LocalBackend
    assert backends[BACKEND_NAME] is AtomicLocalBackend
    assert type(get_file_backend(str(tmp_path))) is LocalBackend
    path = str(tmp_path / 'epoch_1.pth')
    proc = mp.get_context('fork').Process(target=_save_twice_killed_before_the_second_rename, args=(path, ))
    proc.start()
    proc.join(60)
    assert proc.exitcode == -signal.SIGKILL
    assert torch.load(path) == {'step': 1}  # the previous checkpoint, intact


def test_default_runtime_writes_checkpoints_through_our_backend():
    from mmengine.config import Config
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    cfg = Config.fromfile(osp.join(root, 'configs', '_base_', 'default_runtime.py'))
    assert cfg.default_hooks.checkpoint.backend_args == dict(backend=BACKEND_NAME)
