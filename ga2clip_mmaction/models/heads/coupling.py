"""Hard/soft prompt coupling variants for the layer-0 text context (the paper's coupling ablation).

Every variant maps the soft context ``S [n, w]`` (learnable) and the hard context ``H [n, w]`` (frozen, learnt
earlier on another dataset) to the layer-0 context tokens of the text prompt.

==============  =====================================================  ===============  ===================
name            layer-0 context                                        context tokens   deep prompts replace
==============  =====================================================  ===============  ===================
``concat_mlp``  ``Dropout(ReLU(Linear(2w, w)(concat(H, S, dim=-1))))``  n                positions 1..n
``add``         ``H + S``                                              n                positions 1..n
``seq_concat``  ``[H; S]`` along the sequence                           2n               the soft half
``none``        ``S`` (plain IVLP, the ViFi-CLIP prompting baseline)   n                positions 1..n
==============  =====================================================  ===============  ===================

``concat_mlp`` is the released GA2-CLIP coupling (weight columns ``0..w-1`` multiply the hard prompt).

Each variant is registered in MMAction2's ``MODELS`` under its class name; ``cls_head.coupling`` takes the short
name of the table (:data:`SHORT_NAMES`), a class name, or a config such as
``dict(type='ConcatMLPCoupling', dropout=0.1)``. A new variant is a :class:`Coupling` subclass registered with
``@MODELS.register_module()``.
"""
from typing import Dict, Union

import torch
from mmaction.registry import MODELS
from torch import nn

#: Short names of the variants (``cls_head.coupling='concat_mlp'``) -> their registered class names.
SHORT_NAMES = {'concat_mlp': 'ConcatMLPCoupling', 'add': 'AddCoupling', 'seq_concat': 'SeqConcatCoupling',
               'none': 'NoCoupling'}


class Coupling(nn.Module):
    """Base class: ``forward(soft [n, w], hard [n, w]) -> context [num_tokens(n), w]``."""

    #: Whether the variant reads the hard prompt.
    uses_hard_prompt: bool = True

    def num_tokens(self, n_ctx: int) -> int:
        """Number of context tokens in the prompt for ``n_ctx`` soft tokens."""
        return n_ctx

    def deep_offset(self, n_ctx: int) -> int:
        """Offset, within the context, of the positions that deep prompts replace."""
        return 0

    def forward(self, soft: torch.Tensor, hard: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        """Couple the contexts."""
        raise NotImplementedError


@MODELS.register_module()
class ConcatMLPCoupling(Coupling):
    """Released coupling: feature-axis concat -> Linear(2w, w) -> ReLU -> Dropout.

    Args:
        width (int): Text width w.
        dropout (float): Dropout probability. Defaults to 0.5.
    """

    def __init__(self, width: int, dropout: float = 0.5) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(2 * width, width), nn.ReLU(), nn.Dropout(dropout))

    def forward(self, soft: torch.Tensor, hard: torch.Tensor) -> torch.Tensor:
        """``[n, w], [n, w] -> [n, w]``."""
        return self.mlp(torch.cat([hard.to(soft.dtype), soft], dim=-1))


@MODELS.register_module()
class AddCoupling(Coupling):
    """Additive coupling ``H + S`` (no extra parameters)."""

    def __init__(self, width: int, dropout: float = 0.0) -> None:
        super().__init__()

    def forward(self, soft: torch.Tensor, hard: torch.Tensor) -> torch.Tensor:
        """``[n, w], [n, w] -> [n, w]``."""
        return hard.to(soft.dtype) + soft


@MODELS.register_module()
class SeqConcatCoupling(Coupling):
    """Sequence concatenation ``[H; S]``: 2n context tokens, deep prompts replace the soft half."""

    def __init__(self, width: int, dropout: float = 0.0) -> None:
        super().__init__()

    def num_tokens(self, n_ctx: int) -> int:
        """Hard and soft tokens side by side."""
        return 2 * n_ctx

    def deep_offset(self, n_ctx: int) -> int:
        """Deep prompts replace the soft half."""
        return n_ctx

    def forward(self, soft: torch.Tensor, hard: torch.Tensor) -> torch.Tensor:
        """``[n, w], [n, w] -> [2n, w]``."""
        return torch.cat([hard.to(soft.dtype), soft], dim=0)


@MODELS.register_module()
class NoCoupling(Coupling):
    """No hard prompt: the context is the soft prompt (IVLP)."""

    uses_hard_prompt = False

    def __init__(self, width: int, dropout: float = 0.0) -> None:
        super().__init__()

    def forward(self, soft: torch.Tensor, hard: torch.Tensor) -> torch.Tensor:
        """``[n, w] -> [n, w]``."""
        return soft


def build_coupling(cfg: Union[str, Dict], width: int, dropout: float = 0.5) -> Coupling:
    """Build a coupling variant from ``MODELS``.

    Args:
        cfg (str | dict): A short name (``'concat_mlp'``, ...), a registered class name (``'ConcatMLPCoupling'``)
            or a config dict with ``type``.
        width (int): Text width.
        dropout (float): Dropout of ``concat_mlp`` unless the config sets it. Defaults to 0.5.

    Returns:
        Coupling: The module.

    Raises:
        KeyError: Unknown name (the message lists the short names).
        TypeError: The registered type is not a :class:`Coupling`.
    """
    cfg = dict(type=cfg) if isinstance(cfg, str) else dict(cfg)
    if isinstance(cfg.get('type'), str):
        cfg['type'] = SHORT_NAMES.get(cfg['type'], cfg['type'])
        if MODELS.get(cfg['type']) is None:
            raise KeyError(f'cls_head.coupling: unknown coupling {cfg["type"]!r}; choose from '
                           f'{sorted(SHORT_NAMES)} or a Coupling registered in MODELS')
    module = MODELS.build(cfg, default_args=dict(width=width, dropout=dropout))
    if not isinstance(module, Coupling):
        raise TypeError(f'cls_head.coupling: {type(module).__name__} is not a Coupling')
    return module
