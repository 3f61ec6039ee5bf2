"""Atomic checkpoint files: the user's umask (not mkstemp's 0600) and the folder fsynced after the rename."""
import os
import stat

import pytest

from ga2clip_mmaction.utils import atomic_write as ckpt_mod
from ga2clip_mmaction.utils.atomic_write import atomic_torch_save, atomic_write_bytes, current_umask


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
