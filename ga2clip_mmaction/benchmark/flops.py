"""FLOP counts of the benchmarked variants with ``torch.utils.flop_counter`` on the ``meta`` device (any shape)."""
from typing import Callable, Dict

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from .variants import build


def count_flops(fn: Callable) -> int:
    """FLOPs of one call of ``fn``."""
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def flops_at_shape(cfg, args, frames: int, batch: int, size: int) -> Dict[str, float]:
    """FLOPs at ``frames`` x ``batch`` on the meta device.

    Args:
        cfg (Config): The run config.
        args (Namespace): ``arch`` and ``classes``.
        frames (int): Frames per clip.
        batch (int): Clips per step.
        size (int): Frame side.

    Returns:
        dict: GA2 model FLOPs (no recomputation: ``train_gflops_per_clip``, ``..._per_step``, ``test_gflops_per_clip``,
        ``text_flops_share``), with the config's gradient checkpointing (``..._with_recompute``), IVLP
        (``..._ivlp``) and ``flops_ratio_ga2_over_ivlp`` (both with checkpointing).
    """
    out: Dict[str, float] = {}
    for variant, suffix in (('ga2_no_ckpt', ''), ('ga2', '_with_recompute'), ('ivlp', '_ivlp')):
        flops = _flops_of(cfg, args, variant, frames, batch, size, with_test=variant == 'ga2_no_ckpt')
        out.update({k + suffix: v for k, v in flops.items()})
    out['flops_ratio_ga2_over_ivlp'] = out['train_gflops_per_clip_with_recompute'] / out['train_gflops_per_clip_ivlp']
    return out


def _flops_of(cfg, args, variant: str, frames: int, batch: int, size: int, with_test: bool) -> Dict[str, float]:
    """FLOPs of one variant (see :func:`flops_at_shape`)."""
    model = build(cfg, args, variant, 'cpu')
    head = model.cls_head  # meta tensors have no values: cut the tokens after the last EOT here (as encode does)
    tokens = head.class_tokens
    head.register_buffer('class_tokens', tokens[:, :int(tokens.argmax(-1).max()) + 1], persistent=False)
    head.text.truncate = False
    model = model.to('meta').train()
    clips = torch.zeros(batch, 1, 3, frames, size, size, device='meta')
    anchor = torch.zeros(1, 3, frames, size, size, device='meta')
    labels = torch.zeros(batch, dtype=torch.long, device='meta')

    def train():  # the loss of GA2CLIPRecognizer.loss without MMAction2's numpy top-k accuracy
        x = clips
        if model.anchor_loss is not None and not model.anchor_term_skipped:
            x = torch.cat([clips, anchor.unsqueeze(1)])  # anchor clips forwarded with the main ones
        emb = model.embed(x).mean(dim=1)
        cos = model.cls_head.cosine(emb[:batch], model.cls_head.class_features())
        F.cross_entropy(model.cls_head.logit_scale * cos, labels).backward()

    def text():
        model.cls_head.class_features().float().sum().backward()

    train_flops = count_flops(train)
    out = dict(train_gflops_per_clip=train_flops / batch / 1e9, train_gflops_per_step=train_flops / 1e9)
    if with_test:
        out['text_flops_share'] = count_flops(text) / train_flops
        model.eval()
        with torch.no_grad():
            out['test_gflops_per_clip'] = count_flops(lambda: model.embed(clips[:1])) / 1e9
    return out
