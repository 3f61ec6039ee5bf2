"""Build a recognizer's temporal pooling from a ``TEMPORAL_POOLINGS`` name or a MODELS config."""
from typing import Dict, Union

from torch import nn

from ...registry import TEMPORAL_POOLINGS
from ..necks import TemporalTransformerPooling


def build_temporal_pooling(cfg: Union[str, Dict], backbone: nn.Module) -> nn.Module:
    """Build ``model.temporal_pooling``, filling a transformer pooling's ``embed_dim`` from the backbone.

    Args:
        cfg (str | dict): A ``TEMPORAL_POOLINGS`` name (``'mean'``, ``'transformer'``) or a config whose
            ``type`` is such a name, a MODELS type or a class.
        backbone (nn.Module): The recognizer's backbone (its ``embed_dim`` when the config lacks one).

    Returns:
        nn.Module: The pooling, ``[N, T, D] -> [N, D]``.

    Raises:
        ValueError: An unknown type.
        KeyError: A transformer pooling without ``embed_dim`` on a backbone without one.
    """
    cfg = dict(type=cfg) if isinstance(cfg, str) else dict(cfg)
    cls = TEMPORAL_POOLINGS.get(cfg['type']) if isinstance(cfg.get('type'), str) else cfg.get('type')
    if cls is None:
        raise ValueError(f'model.temporal_pooling: unknown type {cfg["type"]!r}; choose from '
                         f'{sorted(TEMPORAL_POOLINGS.module_dict)} or a MODELS type')
    if isinstance(cls, type) and issubclass(cls, TemporalTransformerPooling) and 'embed_dim' not in cfg:
        if not hasattr(backbone, 'embed_dim'):
            raise KeyError('model.temporal_pooling.embed_dim is required for this backbone')
        cfg['embed_dim'] = backbone.embed_dim
    return TEMPORAL_POOLINGS.build(cfg)
