"""Registries of the plugin's own component kinds (MMEngine ``Registry`` children of MMAction2's MODELS).

Configs name their entries like every other MMAction2 component, by ``type`` (or by the short string the
option also accepts); a type not found in the child registry is looked up in MMAction2's ``MODELS``, so any
registered module can be used there too.

* ``COUPLINGS``: hard/soft prompt couplings of ``PromptCouplingHead`` (``'concat_mlp'``, ``'add'``,
  ``'seq_concat'``, ``'none'``, or e.g. ``dict(type='ConcatMLPCoupling', dropout=0.5)``).
* ``TEMPORAL_POOLINGS``: ``GA2CLIPRecognizer.temporal_pooling`` (``'mean'``, ``'transformer'``, or a MODELS
  config such as ``dict(type='TemporalTransformerPooling', num_layers=2)``).
* ``FREEZE_POLICIES``: ``GA2CLIPRecognizer.freeze``: functions ``policy(towers)`` that set which CLIP towers
  train besides the prompts.
"""
from typing import Any, Optional

from mmaction.registry import MODELS
from mmengine.registry import Registry


def build_in_own_scope(cfg: Any, registry: Registry, default_args: Optional[dict] = None) -> Any:
    """Build from ``registry`` (its own entries first, then its parents'), whatever the default scope.

    MMEngine's ``build_from_cfg`` switches to the default scope's registry (``mmaction``), where the short
    names of a child registry are not visible; this looks the type up with ``Registry.get``, which searches
    the child and then its parents.

    Args:
        cfg (str | dict): A registered name, or a config with ``type``.
        registry (Registry): The child registry.
        default_args (dict, optional): Default constructor arguments. Defaults to None.

    Returns:
        The built object.

    Raises:
        KeyError: The type is registered neither here nor in a parent (the message lists this registry's names).
    """
    cfg = dict(type=cfg) if isinstance(cfg, str) else dict(cfg)
    if 'type' not in cfg:
        raise KeyError(f'{registry.name} config needs a `type`, got {cfg}')
    obj_type = cfg.pop('type')
    obj_cls = registry.get(obj_type) if isinstance(obj_type, str) else obj_type
    if obj_cls is None:
        raise KeyError(f'unknown {registry.name} {obj_type!r}; choose from {sorted(registry.module_dict)} '
                       f'or a type registered in MODELS')
    return obj_cls(**{**(default_args or {}), **cfg})


COUPLINGS = Registry('coupling', parent=MODELS, scope='ga2clip_coupling', build_func=build_in_own_scope,
                     locations=['ga2clip_mmaction.models.heads.coupling'])
TEMPORAL_POOLINGS = Registry('temporal pooling', parent=MODELS, scope='ga2clip_pooling',
                             build_func=build_in_own_scope, locations=['ga2clip_mmaction.models.necks'])
FREEZE_POLICIES = Registry('freeze policy', scope='ga2clip_freeze',
                           locations=['ga2clip_mmaction.models.recognizers.freeze_policies'])

__all__ = ['COUPLINGS', 'TEMPORAL_POOLINGS', 'FREEZE_POLICIES', 'build_in_own_scope']
