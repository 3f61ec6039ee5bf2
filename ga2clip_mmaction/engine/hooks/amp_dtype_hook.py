"""Record the training precision in every checkpoint; a resume under another precision is refused."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.optim import AmpOptimWrapper, OptimWrapperDict
from mmaction.registry import HOOKS

#: ``meta`` key of the precision a checkpoint was trained with.
AMP_DTYPE_KEY = 'amp_dtype'


def training_dtype(optim_wrapper) -> Optional[str]:
    """The precision an optimizer wrapper trains with: ``'float32'`` (plain ``OptimWrapper``), or the
    ``AmpOptimWrapper``'s autocast dtype (``'bfloat16'``, ``'float16'``; float16 when it names none, autocast's
    default on a GPU). None for anything else (not built yet)."""
    if isinstance(optim_wrapper, OptimWrapperDict):
        dtypes = {training_dtype(w) for w in optim_wrapper.values()}
        return dtypes.pop() if len(dtypes) == 1 else None
    if isinstance(optim_wrapper, AmpOptimWrapper):
        dtype = getattr(optim_wrapper, 'cast_dtype', None)
        return 'float16' if dtype is None else str(dtype).replace('torch.', '')
    return 'float32' if hasattr(optim_wrapper, 'update_params') else None


@HOOKS.register_module()
class AmpDtypeHook(Hook):
    """Keep a run's precision across ``--resume``.

    The AMP dtype of a config that leaves it open is chosen from the GPU that parses it (``tools/train.py
    --amp``: bfloat16 where supported, else float16), so a job requeued onto another GPU generation would change
    precision mid-run (and bf16 -> fp16 would fail on the disabled loss scaler's empty state). This hook writes
    the precision into every checkpoint's ``meta['amp_dtype']``; resuming one under another precision fails
    before any state is loaded, naming both and the override that keeps the recorded one. Loading weights with
    ``load_from`` (not a resume) may change precision.

    Declared in ``configs/_base_/default_runtime.py`` (``default_hooks.amp_dtype``).
    """
    priority = 'VERY_HIGH'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Write the precision into the checkpoint's meta."""
        dtype = training_dtype(getattr(runner, 'optim_wrapper', None))
        if dtype is not None:
            checkpoint.setdefault('meta', {})[AMP_DTYPE_KEY] = dtype

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """On a resume: refuse a checkpoint trained under another precision.

        Raises:
            ValueError: The recorded and the current precision differ.
        """
        if not getattr(runner, '_resume', False):  # load_from: new training, any precision
            return
        recorded = (checkpoint.get('meta') or {}).get(AMP_DTYPE_KEY)
        current = training_dtype(getattr(runner, 'optim_wrapper', None))
        if recorded is None or current is None or recorded == current:
            return
        if recorded == 'float32':
            keep = 'resume without --amp (optim_wrapper.type=OptimWrapper)'
        else:
            keep = (f'resume with --cfg-options optim_wrapper.type=AmpOptimWrapper optim_wrapper.dtype={recorded} '
                    '(on a GPU that supports it)')
        raise ValueError(f'--resume: the checkpoint was trained with precision {recorded}, this run would train '
                         f'with {current}: the precision would change mid-run. To keep {recorded}, {keep}; to '
                         f'change it, start a new run from the checkpoint with load_from.')
