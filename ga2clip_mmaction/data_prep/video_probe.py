"""Decode videos in worker processes, each with a time limit, so a hung or crashing decoder spoils only its video.

Used by ``tools/data/check_videos.py`` (:mod:`.config_videos`) and ``tools/data/from_folder.py``
(:mod:`.class_folder`); :func:`probe_all` returns the unreadable videos with their reasons (those of
:func:`~ga2clip_mmaction.datasets.robust_video_dataset.probe_video`, a timeout, or a crashed worker).
"""
import multiprocessing as mp
import multiprocessing.connection as mp_connection
import sys
import time
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from typing import Dict, Optional, Sequence

from mmengine.utils import ProgressBar

from ..datasets.robust_video_dataset import probe_video


def _probe_loop(conn: Connection) -> None:
    """Body of a probing worker: probe the ``(path, num_frames, min_frames)`` tasks it receives until ``None``.

    Args:
        conn (Connection): The worker's end of its pipe; each task is answered with the reason (or None).
    """
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            reason = probe_video(*task)
        except Exception as err:  # noqa: BLE001 - a decoder error is the video's reason
            reason = f'{type(err).__name__}: {err}'
        conn.send(reason)


class _Worker:
    """One probing process with its own pipe, so a hung decoder can be killed alone (and replaced).

    Args:
        ctx (BaseContext): The multiprocessing context that starts it.

    Attributes:
        path (str | None): The video it is probing, None when idle.
        started (float): ``time.monotonic()`` when it got that video.
    """

    def __init__(self, ctx: BaseContext) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_probe_loop, args=(child, ), daemon=True)
        self.proc.start()
        child.close()
        self.path: Optional[str] = None
        self.started = 0.0

    def give(self, path: str, num_frames: int, min_frames: int) -> None:
        """Start probing a video (see :func:`probe_all` for the arguments)."""
        self.path, self.started = path, time.monotonic()
        self.conn.send((path, num_frames, min_frames))

    def kill(self) -> None:
        """Kill the process (whatever it is doing) and close the pipe."""
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join()
        self.conn.close()

    def stop(self) -> None:
        """Ask the process to end, wait for it a few seconds, then kill it."""
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.proc.join(5)
        self.kill()


def probe_all(paths: Sequence[str], num_frames: int = 4, workers: int = 1, timeout: float = 120.0,
              progress: bool = True, min_frames: int = 1) -> Dict[str, str]:
    """Probe videos in ``workers`` processes; a video whose decoding takes longer than ``timeout`` is bad.

    Each worker has its own pipe and runs one video at a time; a worker still decoding ``timeout`` seconds after
    it started a video is killed (the hung decoder with it) and replaced, so the videos after it get their full
    time. A worker that dies (a crashing decoder) makes its video bad too, and is replaced.

    Args:
        paths (Sequence[str]): Video files.
        num_frames (int): Frames decoded per video. Defaults to 4.
        workers (int): Processes. Defaults to 1.
        timeout (float): Seconds per video. Defaults to 120.
        progress (bool): Show a progress bar. Defaults to True.
        min_frames (int): Fewer frames make a video bad. Defaults to 1.

    Returns:
        dict[str, str]: Unreadable path -> reason.
    """
    bad: Dict[str, str] = {}
    if not paths:
        return bad
    bar = ProgressBar(len(paths), file=sys.stdout) if progress else None
    ctx = mp.get_context('fork')
    todo = list(paths)[::-1]
    pool = [_Worker(ctx) for _ in range(max(1, min(workers, len(todo))))]

    def finish(worker: _Worker, reason: Optional[str]) -> None:
        if reason is not None:
            bad[worker.path] = reason
        worker.path = None
        if bar is not None:
            bar.update()

    try:
        while todo or any(w.path is not None for w in pool):
            for worker in pool:
                if worker.path is None and todo:
                    worker.give(todo.pop(), num_frames, min_frames)
            busy = [w for w in pool if w.path is not None]
            left = min(w.started + timeout for w in busy) - time.monotonic()
            ready = mp_connection.wait([w.conn for w in busy], timeout=max(0.0, left))
            for i, worker in enumerate(pool):
                if worker.path is None:
                    continue
                if worker.conn in ready:
                    try:
                        finish(worker, worker.conn.recv())
                        continue
                    except (EOFError, OSError):  # the worker died (the decoder crashed it)
                        worker.proc.join()
                        reason = f'the decoder crashed (worker exit code {worker.proc.exitcode})'
                elif time.monotonic() - worker.started >= timeout:
                    reason = f'decoding did not finish within {timeout:g} s (decoder killed)'
                else:
                    continue
                worker.kill()
                finish(worker, reason)
                pool[i] = _Worker(ctx)
    finally:
        for worker in pool:
            worker.stop()
    if bar is not None:
        sys.stdout.write('\n')
    return bad
