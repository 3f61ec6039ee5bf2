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
dropout to it). Unsharded, a rank draws one dropout mask for all its classes; sharded, the classes are
encoded on different ranks, so each rank would draw its own mask for its slice. :func:`shared_rng` makes
every rank draw the same mask: a seed drawn from rank 0's global generator is broadcast and the encoding
runs under a forked RNG seeded with it (every rank's own generator advances the same way as before, by one
draw). A step therefore uses one mask for all classes on all ranks, as a single-process run does.

Only gradient-enabled calls are sharded (the training step); evaluation keeps the head's cached,
unsharded features.
"""
import contextlib
import warnings
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
    """Whether :func:`sharded_encode` splits ``num`` prompts in this process.

    True in a default process group of more than one rank, with gradients enabled and at least one prompt
    per rank (with fewer prompts than ranks every rank encodes all of them).

    Args:
        num (int): Number of class prompts.

    Returns:
        bool: Whether to shard.
    """
    if not (dist.is_available() and dist.is_initialized()) or not torch.is_grad_enabled():
        return False
    world_size = dist.get_world_size()
    return world_size > 1 and num >= world_size


@contextlib.contextmanager
def shared_rng(device: torch.device) -> Iterator[None]:
    """Run the body under a global RNG seeded identically on every rank (seed drawn on rank 0).

    Args:
        device (torch.device): Device whose generator the body uses (CPU or the rank's CUDA device).
    """
    seed = torch.randint(0, 2**62, (1, ), dtype=torch.int64)  # every rank draws: streams stay aligned
    comm = seed.to(device) if dist.get_backend() == 'nccl' else seed
    dist.broadcast(comm, src=0)
    seed = int(comm.item())
    cuda = device.type == 'cuda'
    with torch.random.fork_rng(devices=[device] if cuda else [], device_type='cuda'):
        torch.default_generator.manual_seed(seed)
        if cuda:
            torch.cuda.manual_seed(seed)  # the current device only
        yield


def all_gather_with_grad(tensor: torch.Tensor) -> Tuple[torch.Tensor, ...]:
    """``torch.distributed.nn.functional.all_gather`` (its backward sums every rank's gradient).

    Args:
        tensor (Tensor): This rank's tensor (same shape on every rank).

    Returns:
        tuple[Tensor]: One tensor per rank.
    """
    from torch.distributed.nn.functional import all_gather
    with warnings.catch_warnings():  # deprecated in favour of a private functional-collectives API
        warnings.filterwarnings('ignore', message='.*all_gather is deprecated', category=FutureWarning)
        return all_gather(tensor)


def sharded_encode(encode: Callable[[torch.Tensor], torch.Tensor], tokens: torch.Tensor) -> torch.Tensor:
    """Encode ``tokens`` split across the ranks and all-gather the features with autograd.

    Call only where :func:`sharding_active` is true, on every rank, in the same order.

    Args:
        encode (Callable[[Tensor], Tensor]): ``tokens [n, L] -> features [n, D]`` (the prompted tower).
        tokens (Tensor): ``[C, L]`` tokens of all class prompts (the same on every rank).

    Returns:
        Tensor: ``[C, D]`` features of all classes, in the order of ``tokens``.
    """
    rank, world_size = dist.get_rank(), dist.get_world_size()
    num = tokens.shape[0]
    bounds = [shard_bounds(num, r, world_size) for r in range(world_size)]
    start, stop = bounds[rank]
    with shared_rng(tokens.device):
        local = encode(tokens[start:stop])
    longest = max(b - a for a, b in bounds)
    padded = F.pad(local, (0, 0, 0, longest - local.shape[0]))  # all_gather needs equal shapes
    gathered = all_gather_with_grad(padded)
    return torch.cat([part[:b - a] for part, (a, b) in zip(gathered, bounds)])
