"""Run the config checks before a run starts, however the run was started."""
from mmengine.hooks import Hook
from mmengine.runner import BaseLoop
from mmaction.registry import HOOKS

from ..config_checks import check_config


@HOOKS.register_module()
class ConfigCheckHook(Hook):
    """Call :func:`~ga2clip_mmaction.engine.config_checks.check_config` on the runner's config in ``before_run``.

    Declared in ``configs/_base_/default_runtime.py`` (``default_hooks.config_check``), so every way of
    starting a run checks the same, once: our tools, MMAction2's own ``train.py``/``test.py``, a Runner built
    in Python. ``before_run`` comes after the model and dataloaders are built and before the first iteration
    (and before any checkpoint is loaded).
    """
    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        training = isinstance(getattr(runner, '_train_loop', None), BaseLoop)
        check_config(runner.cfg, training=training)
