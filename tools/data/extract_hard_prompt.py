"""Extract a hard prompt (the soft layer-0 text context of a trained prompt model) into a file the head loads.

Reads a checkpoint of ours (MMEngine, weights under ``state_dict``; the context is the parameter
``cls_head.prompt_learner.ctx``) or a released GA2-CLIP / ViFi-CLIP-style one (``model_state_dict`` or a bare
state dict; ``prompt_learner.ctx_VPT``), with or without a ``module.`` prefix, and writes
``{'hard_prompt': Tensor[n_ctx, width]}`` (float32) with ``torch.save``: the ``hard_prompt`` file of
``PromptCouplingHead``. Checkpoints are loaded with ``weights_only=True`` (see
``ga2clip_mmaction.utils.checkpoint``).

Example:
    python tools/data/extract_hard_prompt.py work_dirs/hard_prompt_k400_base/epoch_12.pth \\
        data/hard_prompts/k400_base.pt
"""
import argparse
import os
import os.path as osp
import sys
from typing import Dict, Optional, Sequence

import torch

from ga2clip_mmaction.utils.checkpoint import safe_torch_load

#: Names of the layer-0 text context, tried in order: ours, then the released code's.
CONTEXT_KEYS = ('cls_head.prompt_learner.ctx', 'prompt_learner.ctx_VPT')
#: Where checkpoints keep their state dict.
STATE_DICT_KEYS = ('state_dict', 'model_state_dict', 'model')


def state_dict_of(checkpoint) -> Dict[str, torch.Tensor]:
    """The state dict inside a loaded checkpoint, without ``module.`` prefixes.

    Args:
        checkpoint (dict): The loaded checkpoint.

    Returns:
        dict[str, Tensor]: The state dict.

    Raises:
        ValueError: No state dict found.
    """
    if not isinstance(checkpoint, dict):
        raise ValueError(f'expected a checkpoint dict, got {type(checkpoint).__name__}')
    state = checkpoint
    for key in STATE_DICT_KEYS:
        if isinstance(checkpoint.get(key), dict):
            state = checkpoint[key]
            break
    return {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}


def extract(checkpoint_path: str, key: Optional[str] = None,
            candidates: Sequence[str] = CONTEXT_KEYS) -> torch.Tensor:
    """Read the layer-0 text context of a checkpoint.

    Args:
        checkpoint_path (str): The checkpoint file.
        key (str, optional): Parameter name to take; None tries ``candidates``. Defaults to None.
        candidates (Sequence[str]): Names tried in order. Defaults to :data:`CONTEXT_KEYS`.

    Returns:
        Tensor: ``[n_ctx, width]`` float32.

    Raises:
        FileNotFoundError: No such file.
        KeyError: None of the names is in the checkpoint (the message lists the ``ctx`` keys it has).
        ValueError: The tensor is not 2-D.
    """
    if not osp.isfile(checkpoint_path):
        raise FileNotFoundError(f'Checkpoint not found: {checkpoint_path}')
    try:
        state = state_dict_of(safe_torch_load(checkpoint_path, map_location='cpu'))
    except ValueError as err:
        raise ValueError(f'{checkpoint_path}: {err}') from None
    names = [key] if key else list(candidates)
    found = next((n for n in names if n in state), None)
    if found is None:
        similar = sorted(k for k in state if 'ctx' in k)[:10]
        raise KeyError(f'{checkpoint_path}: none of {names} in the checkpoint; keys with "ctx": {similar}')
    ctx = state[found]
    if not torch.is_tensor(ctx) or ctx.dim() != 2:
        shape = tuple(ctx.shape) if torch.is_tensor(ctx) else type(ctx).__name__
        raise ValueError(f'{checkpoint_path}: {found} must be a [n_ctx, width] tensor, got {shape}')
    return ctx.detach().float().clone()


def save_hard_prompt(ctx: torch.Tensor, out: str) -> None:
    """Write ``{'hard_prompt': ctx}`` (creating folders).

    Args:
        ctx (Tensor): ``[n_ctx, width]`` context.
        out (str): Output file.
    """
    os.makedirs(osp.dirname(out) or '.', exist_ok=True)
    torch.save({'hard_prompt': ctx.contiguous()}, out)


def main(argv=None) -> int:
    """Command line; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('checkpoint', help='trained prompt model (ours or a released one)')
    parser.add_argument('out', help='output hard-prompt file')
    parser.add_argument('--key', default=None,
                        help=f'parameter to extract (default: the first of {list(CONTEXT_KEYS)} found)')
    args = parser.parse_args(argv)
    ctx = extract(args.checkpoint, args.key)
    save_hard_prompt(ctx, args.out)
    print(f'wrote {args.out}: hard_prompt {tuple(ctx.shape)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
