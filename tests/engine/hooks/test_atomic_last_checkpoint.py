"""SmallCheckpointHook writes ``last_checkpoint`` atomically (staged, then renamed; nothing of MMEngine patched): a process killed while writing it leaves the
previous pointer (MMEngine's CheckpointHook truncates the file with a plain ``open('w')`` first)."""
import builtins
import multiprocessing as mp
import os
import os.path as osp
import signal
import stat

from mmengine.fileio import get_file_backend
from mmengine.logging import MessageHub

import ga2clip_mmaction  # noqa: F401
from ga2clip_mmaction.engine.hooks import SmallCheckpointHook
from ga2clip_mmaction.utils.atomic_write import current_umask


class Runner:
    """What ``CheckpointHook._save_checkpoint_with_step`` uses of a runner."""

    def __init__(self, work_dir):
        self.work_dir = work_dir
        self.message_hub = MessageHub.get_instance('atomic_pointer_test')

    def save_checkpoint(self, out_dir, filename, *args, **kwargs):
        with open(osp.join(out_dir, filename), 'wb') as f:
            f.write(b'checkpoint')


def _save_twice_killed_in_the_second_pointer_write(work_dir):
    hook = SmallCheckpointHook(interval=1)
    hook.out_dir, hook.file_backend = work_dir, get_file_backend(work_dir)
    runner = Runner(work_dir)
    hook._save_checkpoint_with_step(runner, 1, {})
    real_open, real_replace = builtins.open, os.replace

    def killing_open(file, mode='r', *args, **kwargs):
        f = real_open(file, mode, *args, **kwargs)  # a plain open('w') has truncated the pointer here
        if osp.basename(str(file)) == 'last_checkpoint' and 'w' in mode:
            os.kill(os.getpid(), signal.SIGKILL)
        return f

    def killing_replace(src, dst, *args, **kwargs):
        if osp.basename(str(dst)) == 'last_checkpoint':
            os.kill(os.getpid(), signal.SIGKILL)  # the new pointer is complete, not yet in place
        return real_replace(src, dst, *args, **kwargs)

    builtins.open, os.replace = killing_open, killing_replace
    hook._save_checkpoint_with_step(runner, 2, {})
    os._exit(0)  # not reached: the write of the second pointer kills the process


def test_kill_during_the_pointer_write_keeps_the_previous_pointer(tmp_path):
    work_dir = str(tmp_path)
    proc = mp.get_context('fork').Process(target=_save_twice_killed_in_the_second_pointer_write, args=(work_dir, ))
    proc.start()
    proc.join(60)
    assert proc.exitcode == -signal.SIGKILL
    pointer = tmp_path / 'last_checkpoint'
    assert pointer.read_text() == osp.join(work_dir, 'epoch_1.pth')  # intact, and names a complete checkpoint
    assert (tmp_path / 'epoch_1.pth').read_bytes() == b'checkpoint'
    assert stat.S_IMODE(pointer.stat().st_mode) == 0o666 & ~current_umask()


def test_the_pointer_is_written_normally(tmp_path):
    hook = SmallCheckpointHook(interval=1)
    hook.out_dir, hook.file_backend = str(tmp_path), get_file_backend(str(tmp_path))
    for step in (1, 2):
        hook._save_checkpoint_with_step(Runner(str(tmp_path)), step, {})
    assert (tmp_path / 'last_checkpoint').read_text() == osp.join(str(tmp_path), 'epoch_2.pth')
    assert sorted(os.listdir(tmp_path)) == ['epoch_1.pth', 'epoch_2.pth', 'last_checkpoint']
    from mmengine.hooks import checkpoint_hook
    assert 'open' not in vars(checkpoint_hook)  # MMEngine's module is never given an `open` of ours
