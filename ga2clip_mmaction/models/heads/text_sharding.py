"""Class-prompt text encoding sharded across the ranks of a data-parallel run.

Every rank of a DDP run needs the features of all ``C`` class prompts each step, and encoding them with
gradients is the same work on every rank. With sharding, rank ``r`` of ``W`` encodes only the
contiguous slice :func:`shard_bounds` gives it (``ceil(C/W)`` or ``floor(C/W)`` prompts) and the features
are all-gathered with autograd (``torch.distributed.nn.functional.all_gather``). Its backward sums the
gradients that every rank's loss sends to a slice, so after DDP's gradient averaging each parameter gets
exactly the unsharded gradient::

    sharded:   (1/W) sum_k sum_r dL_r/dF_k dF_k/dθ      (rank k encodes F_k, all ranks use it)
    unsharded: (1/W) sum_r sum_k dL_r/dF_k dF_k/dθ      (every rank encodes every F_k)

Randomness: the coupled layer-0 context is shared by all class prompts of a step (``concat_mlp`` applies
dropout to it). Unsharded, a rank draws one dropout mask for all its classes; sharded, the classes are encoded
on different ranks, so each rank would draw its own mask for its slice. :func:`sharded_encode` runs the encoding
under :func:`shared_rng`, a forked RNG seeded with a seed that is equal on every rank, so all shards of a step use
one mask, with no broadcast; the rank's own generator is left as it was. The caller gives the seed:
:class:`~ga2clip_mmaction.models.heads.PromptCouplingHead` derives it from ``(shared_text_seed, step)``, where
``step`` is its own count of training loss calls, a buffer the checkpoint carries (so a resumed run draws the
masks of the uninterrupted one). Nothing outside the model (no hook, no ``MessageHub``) takes part.

Sharding is explicit: only the training loss path asks for it (``PromptCouplingHead.class_features(shard=True)``
from the head's own ``loss``). A gradient-enabled call anywhere else (a hook, Grad-CAM, a FLOP counter on one
rank) encodes every class locally and runs no collective.
"""
import contextlib
from typing import Callable, Iterator, Tuple

import torch
import torch.distributed as dist
import torch.nn.functional as F


def shard_bounds(num: int, rank: int, world_size: int) -> Tuple[int, int]:
    """Contiguous slice ``[start, stop)`` of ``num`` items for ``rank`` (sizes differ by at most one).

    Args:
        num (int): Number of items (class prompts).
        rank (int): This rank.
        world_size (int): Number of ranks.

    Returns:
        tuple[int, int]: ``(start, stop)``.
    """
    base, extra = divmod(num, world_size)
    start = rank * base + min(rank, extra)
    return start, start + base + (1 if rank < extra else 0)


def sharding_active(num: int) -> bool:
    """Whether :func:`sharded_encode` would split ``num`` prompts in this process.

    True in a default process group of more than one rank with at least one prompt per rank (with fewer prompts
    than ranks every rank encodes all of them).

    Args:
        num (int): Number of class prompts.

    Returns:
        bool: Whether to shard.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return False
    world_size = dist.get_world_size()
    return world_size > 1 and num >= world_size


@contextlib.contextmanager
def shared_rng(device: torch.device, seed: int) -> Iterator[None]:
    """Run the body under torch generators seeded with ``seed`` (the same on every rank), then restore them.

    Args:
        device (torch.device): Device whose generator the body uses (CPU or the rank's CUDA device).
        seed (int): The seed, e.g. ``PromptCouplingHead.shared_text_step_seed()``.
    """
    cuda = device.type == 'cuda'
    with torch.random.fork_rng(devices=[device] if cuda else [], device_type='cuda'):
        torch.default_generator.manual_seed(seed)
        if cuda:
            torch.cuda.manual_seed(seed)  # the current device only
        yield


class _AllGatherWithGrad(torch.autograd.Function):
    """All-gather whose backward hands each rank the sum over ranks of the gradient of its own part."""

    @staticmethod
    def forward(ctx, tensor: torch.Tensor) -> torch.Tensor:
        world_size = dist.get_world_size()
        ctx.rank, ctx.rows = dist.get_rank(), tensor.shape[0]
        parts = [torch.empty_like(tensor) for _ in range(world_size)]
        dist.all_gather(parts, tensor.contiguous())
        return torch.cat(parts)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.contiguous()
        dist.all_reduce(grad)  # every rank's loss sends gradient to every part
        return grad[ctx.rank * ctx.rows:(ctx.rank + 1) * ctx.rows]


def all_gather_with_grad(tensor: torch.Tensor) -> Tuple[torch.Tensor, ...]:
    """All-gather ``tensor`` (same shape on every rank) with autograd, through public ``torch.distributed`` calls.

    The backward of part ``k`` on rank ``k`` is the sum over ranks of the gradient that rank's loss sends to part
    ``k`` (``all_reduce`` of the gathered gradient, then this rank's slice).

    Args:
        tensor (Tensor): This rank's tensor.

    Returns:
        tuple[Tensor]: One tensor per rank.
    """
    return tuple(_AllGatherWithGrad.apply(tensor).chunk(dist.get_world_size()))


def sharded_encode(encode: Callable[[torch.Tensor], torch.Tensor], tokens: torch.Tensor, seed: int) -> torch.Tensor:
    """Encode ``tokens`` split across the ranks and all-gather the features with autograd.

    Call only where :func:`sharding_active` is true, on every rank, in the same order (the training loss path).

    Args:
        encode (Callable[[Tensor], Tensor]): ``tokens [n, L] -> features [n, D]`` (the prompted tower).
        tokens (Tensor): ``[C, L]`` tokens of all class prompts (the same on every rank).
        seed (int): Seed of the encoding's random draws (the coupling dropout), the same on every rank: the shards
            of a step then use one dropout mask (:func:`shared_rng`).

    Returns:
        Tensor: ``[C, D]`` features of all classes, in the order of ``tokens``.
    """
    rank, world_size = dist.get_rank(), dist.get_world_size()
    num = tokens.shape[0]
    bounds = [shard_bounds(num, r, world_size) for r in range(world_size)]
    start, stop = bounds[rank]
    with shared_rng(tokens.device, seed):
        local = encode(tokens[start:stop])
    longest = max(b - a for a, b in bounds)
    padded = F.pad(local, (0, 0, 0, longest - local.shape[0]))  # all_gather needs equal shapes
    gathered = all_gather_with_grad(padded)
    return torch.cat([part[:b - a] for part, (a, b) in zip(gathered, bounds)])
