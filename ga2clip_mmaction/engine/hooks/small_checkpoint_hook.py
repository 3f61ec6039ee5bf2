"""MMEngine's CheckpointHook writing small checkpoints (frozen weights left out, recorded in ``meta``) by default,
and the ``last_checkpoint`` pointer atomically."""
import os
import os.path as osp
import shutil
import tempfile
from typing import Any

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook
from mmengine.model import is_model_wrapper
from mmaction.registry import HOOKS

from ...utils.atomic_write import fsync_dir
from ...utils.small_checkpoint import refill_small_checkpoint, shrink_checkpoint

POINTER = 'last_checkpoint'


class _StagedPointerRunner:
    """The runner as ``CheckpointHook._save_checkpoint_with_step`` sees it, with ``work_dir`` a staging folder.

    MMEngine writes ``<work_dir>/last_checkpoint`` with a plain ``open('w')`` (truncate, then write); through this
    view it writes the staging folder's copy, which the hook then moves over the real pointer with ``os.replace``.
    Everything else is the runner's own attribute.
    """

    def __init__(self, runner: Any, staging: str) -> None:
        self._runner = runner
        self.work_dir = staging

    def __getattr__(self, name: str) -> Any:
        return getattr(self._runner, name)


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

    ``last_checkpoint`` is written atomically: MMEngine writes it in a staging folder of the work dir, the hook
    fsyncs it and ``os.replace`` s it over the pointer. The checkpoint files are written atomically when the hook's
    ``backend_args`` name our atomic file backend (``dict(backend='atomic_local')``, as
    ``configs/_base_/default_runtime.py`` does; :mod:`~ga2clip_mmaction.utils.atomic_write`).

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

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Before MMEngine loads the checkpoint into the model (``--resume``, ``load_from``, ``tools/test.py``;
        MMEngine calls this hook in between): complete a small checkpoint from the model and check the model holds
        the saved frozen weights (:func:`~ga2clip_mmaction.utils.small_checkpoint.refill_small_checkpoint`). This
        also covers small checkpoints whose record is in ``meta`` only (written before the record went into the
        state dict's metadata) and models whose outermost module declares nothing."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        refill_small_checkpoint(model, checkpoint)

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        """MMEngine's save, with the ``last_checkpoint`` pointer written atomically."""
        if not is_main_process():
            super()._save_checkpoint_with_step(runner, step, meta)
            return
        staging = tempfile.mkdtemp(prefix=f'.{POINTER}.', dir=runner.work_dir)
        try:
            super()._save_checkpoint_with_step(_StagedPointerRunner(runner, staging), step, meta)
            staged = osp.join(staging, POINTER)
            if osp.isfile(staged):
                with open(staged, 'rb+') as f:
                    os.fsync(f.fileno())
                os.replace(staged, osp.join(runner.work_dir, POINTER))
                fsync_dir(runner.work_dir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
