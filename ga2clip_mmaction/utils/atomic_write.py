"""Atomic file writes: a reader, or a run resumed after a kill, sees the old file or the complete new one.

:class:`AtomicLocalBackend` is MMEngine's local file backend with atomic ``put``/``put_text``, registered
under its own name :data:`BACKEND_NAME` (``'atomic_local'``; MMEngine's ``'local'`` backend stays as it is). A
checkpoint hook that names it (``backend_args=dict(backend='atomic_local')``, as ``configs/_base_/default_runtime.py``
does for ``SmallCheckpointHook``) writes each checkpoint to a hidden temporary file in the target folder and
``os.replace`` s it over the target: a process killed while saving leaves the previous checkpoint intact and
``--resume`` picks it. Code that saves with ``torch.save`` itself uses :func:`atomic_torch_save`; the
``last_checkpoint`` pointer is written with :func:`atomic_write_text`.
"""
import io
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Any, Union

import torch
from mmengine.fileio import LocalBackend, register_backend
from mmengine.fileio.backends.registry_utils import backends as _mmengine_backends

#: Name of :class:`AtomicLocalBackend` among MMEngine's file backends (``backend_args=dict(backend=...)``).
BACKEND_NAME = 'atomic_local'


def current_umask() -> int:
    """The process umask, read without changing it where the OS tells it (``/proc/self/status``).

    Returns:
        int: The umask (e.g. ``0o022``).
    """
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('Umask:'):
                    return int(line.split()[1], 8)
    except OSError:  # pragma: no cover - not Linux
        pass
    mask = os.umask(0o022)  # pragma: no cover - set and restore (not thread-safe, only without /proc)
    os.umask(mask)  # pragma: no cover
    return mask  # pragma: no cover


def fsync_dir(folder: str) -> None:
    """``fsync`` a directory, so a rename inside it survives a crash of the machine (no-op where the OS
    cannot open directories)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on directories
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` atomically: a temporary file in the same folder, then ``os.replace``.

    A reader (or a resumed run) sees either the old file or the complete new one, never a partial one;
    a process killed mid-write leaves a hidden ``.<name>.*.tmp`` file behind, which no checkpoint lookup
    matches. The file gets the mode a plain ``open(path, 'w')`` would give (``0o666`` less the umask, not
    ``mkstemp``'s ``0o600``), and the folder is fsynced after the rename.

    Args:
        data (bytes): File content.
        filepath (str | Path): Destination; its folder is created when missing.
    """
    filepath = str(filepath)
    folder = osp.dirname(osp.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f'.{osp.basename(filepath)}.', suffix='.tmp')
    try:
        if hasattr(os, 'fchmod'):
            os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
    fsync_dir(folder)


def atomic_write_text(text: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
    """:func:`atomic_write_bytes` for text (e.g. the ``last_checkpoint`` pointer of a work dir)."""
    atomic_write_bytes(text.encode(encoding), filepath)


def atomic_torch_save(obj: Any, filepath: Union[str, Path]) -> None:
    """``torch.save(obj, filepath)`` through :func:`atomic_write_bytes`.

    Args:
        obj (Any): What to save.
        filepath (str | Path): Destination.
    """
    with io.BytesIO() as buf:
        torch.save(obj, buf)
        atomic_write_bytes(buf.getvalue(), filepath)


class AtomicLocalBackend(LocalBackend):
    """MMEngine's local file backend whose ``put``/``put_text`` replace the target atomically.

    Registered under :data:`BACKEND_NAME` only (no URI prefix: plain paths keep MMEngine's ``'local'``), so it is
    used where a config names it, e.g. ``SmallCheckpointHook(backend_args=dict(backend='atomic_local'))``.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write bytes atomically (see :func:`atomic_write_bytes`)."""
        atomic_write_bytes(obj, filepath)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        """Write text atomically (see :func:`atomic_write_bytes`)."""
        atomic_write_bytes(obj.encode(encoding), filepath)


if BACKEND_NAME not in _mmengine_backends:  # a registration under our own name (a re-import finds it there)
    register_backend(BACKEND_NAME, AtomicLocalBackend)
