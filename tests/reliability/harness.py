"""Run a callable in a forked child with a wall-clock limit (a hang fails the test instead of blocking it)."""
import multiprocessing as mp
import traceback
from typing import Any, Callable


def _child(conn, fn: Callable[[], Any]) -> None:
    try:
        conn.send(('ok', fn()))
    except BaseException as err:  # noqa: BLE001 - reported to the parent
        conn.send(('error', (type(err).__name__, str(err), traceback.format_exc())))
    finally:
        conn.close()


def run_with_timeout(fn: Callable[[], Any], timeout: float = 60.0) -> Any:
    """Call ``fn()`` in a forked process; return its result or re-raise its exception type and message.

    Args:
        fn (Callable): Picklable-result callable (closures are fine: the child is forked).
        timeout (float): Seconds before the child is killed and the call fails. Defaults to 60.

    Raises:
        TimeoutError: ``fn`` did not finish in time (it hung).
        RuntimeError: ``fn`` raised (message: ``<type>: <message>``), or the child died without an answer.
    """
    ctx = mp.get_context('fork')
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn))
    proc.start()
    child.close()
    if not parent.poll(timeout):
        proc.kill()
        proc.join()
        raise TimeoutError(f'no answer within {timeout} s (hang)')
    try:
        status, value = parent.recv()
    except EOFError:
        proc.join()
        raise RuntimeError(f'child died with exit code {proc.exitcode} and no answer') from None
    proc.join()
    if status == 'error':
        raise ChildError(*value)
    return value


class ChildError(RuntimeError):
    """An exception raised in the child: ``type_name``, ``message``, ``trace``."""

    def __init__(self, type_name: str, message: str, trace: str) -> None:
        super().__init__(f'{type_name}: {message}')
        self.type_name, self.message, self.trace = type_name, message, trace
