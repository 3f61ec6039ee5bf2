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
"""
from typing import Dict, Type

import torch
from torch import nn


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


class AddCoupling(Coupling):
    """Additive coupling ``H + S`` (no extra parameters)."""

    def __init__(self, width: int, dropout: float = 0.0) -> None:
        super().__init__()

    def forward(self, soft: torch.Tensor, hard: torch.Tensor) -> torch.Tensor:
        """``[n, w], [n, w] -> [n, w]``."""
        return hard.to(soft.dtype) + soft


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


class NoCoupling(Coupling):
    """No hard prompt: the context is the soft prompt (IVLP)."""

    uses_hard_prompt = False

    def __init__(self, width: int, dropout: float = 0.0) -> None:
        super().__init__()

    def forward(self, soft: torch.Tensor, hard: torch.Tensor) -> torch.Tensor:
        """``[n, w] -> [n, w]``."""
        return soft


COUPLINGS: Dict[str, Type[Coupling]] = {
    'concat_mlp': ConcatMLPCoupling,
    'add': AddCoupling,
    'seq_concat': SeqConcatCoupling,
    'none': NoCoupling,
}


def build_coupling(name: str, width: int, dropout: float = 0.5) -> Coupling:
    """Build a coupling variant by name.

    Args:
        name (str): One of :data:`COUPLINGS`.
        width (int): Text width.
        dropout (float): Dropout of ``concat_mlp``. Defaults to 0.5.

    Returns:
        Coupling: The module.

    Raises:
        KeyError: Unknown name (the message lists the choices).
    """
    if name not in COUPLINGS:
        raise KeyError(f'cls_head.coupling: unknown coupling {name!r}; choose from {sorted(COUPLINGS)}')
    return COUPLINGS[name](width, dropout)
