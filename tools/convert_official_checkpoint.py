"""Convert a released GA2-CLIP checkpoint (+ its CLIP weights and hard prompt) into our checkpoint format.

Usage:
    python tools/convert_official_checkpoint.py SRC DST --clip ViT-B-16.pt [--hard-prompt HARD.pt]

SRC holds the released trainable parameters under their official names (``prompt_learner.ctx_VPT``,
``image_encoder.VPT``, ``...VPT_shallow``, ``prompt_learner.proj_b2n_VPT.0.*``), possibly under
``model_state_dict``/``state_dict`` and with a ``module.`` prefix. ``--clip`` is the CLIP the model was trained
from (OpenAI ``.pt``, open_clip or Text4Vis checkpoint); ``--hard-prompt`` the hard-prompt tensor the released
code loads from a separate file (it is not in the released state dict). DST then holds everything, so
``tools/test.py CONFIG DST`` needs neither file again.
"""
import argparse
import os.path as osp

import ga2clip_mmaction  # noqa: F401
import torch

from ga2clip_mmaction.models.clip_weights import read_clip_state_dict
from ga2clip_mmaction.models.heads.text_prompt_learner import load_hard_prompt
from ga2clip_mmaction.models.official_checkpoint import convert_official_state_dict
from ga2clip_mmaction.utils.checkpoint import safe_torch_load
from ga2clip_mmaction.utils.small_checkpoint import SmallCheckpointError, small_checkpoint_record


def read_official_state_dict(path: str) -> dict:
    """Read the official parameters from SRC (secure loading; nested dicts unwrapped)."""
    obj = safe_torch_load(path, map_location='cpu')
    record = small_checkpoint_record(obj)
    if record is not None:
        frozen = record['frozen']
        raise SmallCheckpointError(
            f'{path} is a small checkpoint of this project, not a released one: it left out {len(frozen)} frozen '
            f'weights ({", ".join(frozen[:3])}, ...), which only a model built from its `clip.weights` can refill. '
            'It needs no conversion: use it with tools/test.py / tools/infer.py and the config it was trained '
            'with.')
    for key in ('model_state_dict', 'state_dict', 'model'):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
            break
    state = {k: v for k, v in obj.items() if torch.is_tensor(v) and 'VPT' in k}
    if not state:
        raise KeyError(f'{path}: no GA2-CLIP parameters (names containing "VPT") found')
    return state


def convert(src: str, dst: str, clip: str, hard_prompt: str = None) -> dict:
    """Convert and save; return our state dict."""
    official = read_official_state_dict(src)
    clip_sd = read_clip_state_dict(clip) if clip else None
    hard = None
    if hard_prompt is not None:
        ctx = next(v for k, v in official.items() if k.endswith('prompt_learner.ctx_VPT'))
        hard = load_hard_prompt(hard_prompt, ctx.shape)
    state = convert_official_state_dict(official, clip_sd, hard)
    meta = dict(converted_from=osp.abspath(src), clip=clip and osp.abspath(clip),
                hard_prompt=hard_prompt and osp.abspath(hard_prompt))
    torch.save({'state_dict': state, 'meta': meta}, dst)
    return state


def main(argv=None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='released GA2-CLIP checkpoint')
    parser.add_argument('dst', help='output checkpoint for tools/test.py')
    parser.add_argument('--clip', required=True, help='CLIP weights the model was trained from')
    parser.add_argument('--hard-prompt', help='hard-prompt tensor file of the released run')
    args = parser.parse_args(argv)
    state = convert(args.src, args.dst, args.clip, args.hard_prompt)
    n_prompt = sum(v.numel() for k, v in state.items() if 'prompt' in k or 'coupling' in k)
    print(f'wrote {args.dst}: {len(state)} tensors ({n_prompt:,} prompt/coupling values)')
    if args.hard_prompt is None:
        print('warning: no --hard-prompt given; the hard prompt must come from the config at test time')


if __name__ == '__main__':
    main()
