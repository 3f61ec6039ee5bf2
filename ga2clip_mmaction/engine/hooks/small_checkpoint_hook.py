"""MMEngine's CheckpointHook writing small checkpoints (trained parameters only) by default."""
from typing import Optional

from mmengine.hooks import CheckpointHook
from mmengine.model import is_model_wrapper
from mmaction.registry import HOOKS


@HOOKS.register_module()
class SmallCheckpointHook(CheckpointHook):
    """``CheckpointHook`` whose checkpoints leave out the frozen CLIP weights.

    A model that can shrink its state dict (``small_state_dict``, e.g.
    :class:`~ga2clip_mmaction.models.GA2CLIPRecognizer`) keeps only its trainable parameters, persistent buffers
    (the hard prompt) and a fingerprint of the frozen weights; the optimizer, scheduler and message-hub states
    stay as MMEngine writes them, so ``--resume``, ``load_from``, ``tools/test.py`` and ``tools/infer.py`` work
    unchanged: the frozen weights are re-read from ``clip.weights`` when the model is built, and a model built
    from other frozen weights refuses the checkpoint. EMA state dicts (``EMAHook``) are shrunk the same way.
    Other models are saved as they are.

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
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        shrink: Optional[callable] = getattr(model, 'small_state_dict', None)
        if self.full_checkpoint or shrink is None:
            return
        checkpoint['state_dict'] = shrink(checkpoint['state_dict'])
        if 'ema_state_dict' in checkpoint:
            checkpoint['ema_state_dict'] = shrink(checkpoint['ema_state_dict'], prefix='module.')
        checkpoint.setdefault('meta', {})['small_checkpoint'] = True
