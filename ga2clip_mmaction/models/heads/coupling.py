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

Each variant is an entry of the ``COUPLINGS`` registry (:mod:`ga2clip_mmaction.registry`) under its class name and
its short name, so ``cls_head.coupling`` takes ``'concat_mlp'`` or ``dict(type='ConcatMLPCoupling', dropout=0.1)``;
a new variant is a :class:`Coupling` subclass registered there.
"""
from typing import Dict, Union

import torch
from torch import nn

from ...registry import COUPLINGS


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


@COUPLINGS.register_module(name=['ConcatMLPCoupling', 'concat_mlp'])
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


@COUPLINGS.register_module(name=['AddCoupling', 'add'])
class AddCoupling(Coupling):
    """Additive coupling ``H + S`` (no extra parameters)."""

    def __init__(self, width: int, dropout: float = 0.0) -> None:
        super().__init__()

    def forward(self, soft: torch.Tensor, hard: torch.Tensor) -> torch.Tensor:
        """``[n, w], [n, w] -> [n, w]``."""
        return hard.to(soft.dtype) + soft


@COUPLINGS.register_module(name=['SeqConcatCoupling', 'seq_concat'])
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


@COUPLINGS.register_module(name=['NoCoupling', 'none'])
class NoCoupling(Coupling):
    """No hard prompt: the context is the soft prompt (IVLP)."""

    uses_hard_prompt = False

    def __init__(self, width: int, dropout: float = 0.0) -> None:
        super().__init__()

    def forward(self, soft: torch.Tensor, hard: torch.Tensor) -> torch.Tensor:
        """``[n, w] -> [n, w]``."""
        return soft


def build_coupling(cfg: Union[str, Dict], width: int, dropout: float = 0.5) -> Coupling:
    """Build a coupling variant from the ``COUPLINGS`` registry.

    Args:
        cfg (str | dict): A registered name (``'concat_mlp'``, ``'ConcatMLPCoupling'``, ...) or a config dict
            with ``type``.
        width (int): Text width.
        dropout (float): Dropout of ``concat_mlp`` unless the config sets it. Defaults to 0.5.

    Returns:
        Coupling: The module.

    Raises:
        KeyError: Unknown name (the message lists the registered ones).
        TypeError: The registered type is not a :class:`Coupling`.
    """
    try:
        module = COUPLINGS.build(cfg, default_args=dict(width=width, dropout=dropout))
    except KeyError as err:
        raise KeyError(f'cls_head.coupling: {err.args[0]}') from None
    if not isinstance(module, Coupling):
        raise TypeError(f'cls_head.coupling: {type(module).__name__} is not a Coupling')
    return module
