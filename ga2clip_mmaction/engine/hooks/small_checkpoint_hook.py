"""MMEngine's CheckpointHook writing small checkpoints (frozen weights left out, recorded in ``meta``) by default,
and the ``last_checkpoint`` pointer atomically."""
import contextlib
import io
import os.path as osp
from typing import Iterator

from mmengine.hooks import CheckpointHook
from mmengine.hooks import checkpoint_hook as _checkpoint_hook_module
from mmengine.model import is_model_wrapper
from mmaction.registry import HOOKS

from ...utils.atomic_write import atomic_write_text
from ...utils.small_checkpoint import shrink_checkpoint


class _AtomicTextFile(io.StringIO):
    """A text file opened for writing that replaces its target atomically when closed."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self._path = path

    def close(self) -> None:
        if not self.closed:
            atomic_write_text(self.getvalue(), self._path)
        super().close()


@contextlib.contextmanager
def atomic_last_checkpoint() -> Iterator[None]:
    """Within the context, ``CheckpointHook``'s ``open(<work_dir>/last_checkpoint, 'w')`` writes atomically
    (temporary file, ``os.replace``, folder fsynced): a process killed during the write leaves the previous
    pointer, never an empty or partial one. Only that module's ``open`` and only that file are affected."""
    module = _checkpoint_hook_module
    previous = module.__dict__.get('open')

    def _open(file, mode='r', *args, **kwargs):
        if osp.basename(str(file)) == 'last_checkpoint' and mode in ('w', 'wt'):
            return _AtomicTextFile(str(file))
        return open(file, mode, *args, **kwargs)

    module.open = _open
    try:
        yield
    finally:
        if previous is None:
            del module.open
        else:  # pragma: no cover - nobody else shadows it
            module.open = previous


@HOOKS.register_module()
class SmallCheckpointHook(CheckpointHook):
    """``CheckpointHook`` whose checkpoints leave out the frozen weights, and whose pointer is atomic.

    A model whose frozen part is declared (``frozen_parameter_names()`` on the model, e.g.
    :class:`~ga2clip_mmaction.models.GA2CLIPRecognizer`, or on a submodule, e.g.
    :class:`~ga2clip_mmaction.models.PromptedCLIPVision` inside a stock ``Recognizer3D``) is saved without it:
    ``meta['small_checkpoint']`` records the frozen names with the dtype, shape and digest of each tensor and a
    fingerprint of all (:func:`~ga2clip_mmaction.utils.small_checkpoint.shrink_checkpoint`). Every load through
    MMEngine (``--resume``, ``load_from``, ``tools/test.py``, ``mmengine.runner.load_checkpoint``) and
    ``tools/infer.py`` refills them from the model being loaded into, built from ``clip.weights``, and refuses
    it, naming the keys, when they are missing, renamed, cast or other weights
    (:func:`~ga2clip_mmaction.utils.small_checkpoint.refill_small_checkpoint`). The optimizer, scheduler and
    message-hub states stay as MMEngine writes them. EMA state dicts (``EMAHook``) are shrunk the same way.
    Models that declare nothing are saved as they are.

    ``last_checkpoint`` is written atomically (MMEngine opens it with a plain ``open('w')``).

    Args:
        full_checkpoint (bool): Write full, self-contained checkpoints (every CLIP weight, ~600 MB for
            ViT-B/16) instead. Defaults to False.
        **kwargs: The arguments of :class:`mmengine.hooks.CheckpointHook`.
    """

    def __init__(self, full_checkpoint: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.full_checkpoint = full_checkpoint

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Shrink ``state_dict`` (and ``ema_state_dict``) of the checkpoint about to be written."""
        if self.full_checkpoint:
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        shrink_checkpoint(model, checkpoint)

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        """MMEngine's save, with the ``last_checkpoint`` pointer written atomically."""
        with atomic_last_checkpoint():
            super()._save_checkpoint_with_step(runner, step, meta)
