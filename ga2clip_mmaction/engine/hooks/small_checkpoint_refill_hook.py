"""Refill a small checkpoint's frozen weights as soon as it is loaded, before other hooks read its state dicts."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmaction.registry import HOOKS

from ...utils.small_checkpoint import refill_small_checkpoint, small_checkpoint_record

_EMA_PREFIX = 'module.'


@HOOKS.register_module()
class SmallCheckpointRefillHook(Hook):
    """Complete a small checkpoint (``SmallCheckpointHook``) in ``after_load_checkpoint``, ahead of ``EMAHook``.

    Every load already refills ``state_dict`` from the model's own frozen weights (checked against the
    checkpoint's record) when the model is loaded, but ``EMAHook`` reads ``ema_state_dict`` (and, without one,
    ``state_dict``) earlier, in its own ``after_load_checkpoint``: with ``EMAHook(strict_load=True)`` the frozen
    keys were missing. This hook, at a higher priority than ``EMAHook``'s, refills both state dicts first (the
    EMA's frozen weights are the model's: they are never averaged). A full checkpoint is left as it is.

    Declared in ``configs/_base_/default_runtime.py`` (``default_hooks.small_checkpoint_refill``).
    """
    priority = 'ABOVE_NORMAL'  # before EMAHook (NORMAL)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Refill ``state_dict`` and ``ema_state_dict`` of a small checkpoint.

        Raises:
            SmallCheckpointError: The model cannot supply the recorded frozen weights (see
                :func:`~ga2clip_mmaction.utils.small_checkpoint.refill_small_checkpoint`).
        """
        if small_checkpoint_record(checkpoint) is None:
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        refill_small_checkpoint(model, checkpoint)
        ema = checkpoint.get('ema_state_dict')
        if ema is None:
            return
        inner = {k[len(_EMA_PREFIX):]: v for k, v in ema.items() if k.startswith(_EMA_PREFIX)}
        view = dict(meta=checkpoint['meta'], state_dict=inner)
        refill_small_checkpoint(model, view, revise_keys=())
        for name, value in view['state_dict'].items():
            ema.setdefault(_EMA_PREFIX + name, value)
