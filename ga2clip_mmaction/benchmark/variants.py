"""The benchmarked model variants, their training steps, timing with ``torch.utils.benchmark`` and checkpoint sizes."""
import contextlib
import copy
import os
import os.path as osp
import tempfile
import warnings
from typing import Callable, Dict, List

import torch
from torch.utils.benchmark import Measurement, Timer

from ga2clip_mmaction.utils.small_checkpoint import small_state_dict

WORDS = ('playing', 'riding', 'throwing', 'cooking', 'jumping', 'washing', 'climbing', 'drinking', 'folding',
         'swimming', 'guitar', 'bicycle', 'frisbee', 'pancakes', 'hurdles', 'dishes', 'ladder', 'coffee',
         'laundry', 'butterfly stroke')


def class_names(n: int) -> List[str]:
    """``n`` distinct two- to three-word class names."""
    names = []
    for i in range(n):
        a, b, c = WORDS[i % 10], WORDS[10 + (i // 10) % 10], i // 100
        names.append(f'{a} {b}' + (f' {WORDS[c]}' if c else ''))
    return names


def model_cfg(cfg, args, variant: str) -> dict:
    """The config's model at ``args.arch`` with random weights.

    Args:
        cfg (Config): The run config.
        args (Namespace): ``arch`` and ``classes``.
        variant (str): ``'ga2'``, ``'ivlp'`` (no coupling, hard prompt or anchor term), ``'released'`` (the
            official one-name anchor term, computed) or ``'ga2_no_ckpt'`` (gradient checkpointing off).

    Returns:
        dict: The model config.
    """
    import open_clip
    model = copy.deepcopy(cfg.model.to_dict() if hasattr(cfg.model, 'to_dict') else dict(cfg.model))
    clip = dict(arch=args.arch, weights=None)
    width = open_clip.get_model_config(args.arch)['text_cfg']['width']
    model['backbone']['clip'] = clip
    head = model['cls_head']
    head.update(clip=clip, classnames=class_names(args.classes))
    if variant == 'ivlp':
        head.update(coupling='none', hard_prompt=None)
        model['anchor_loss'] = None
    elif head.get('coupling', 'concat_mlp') != 'none':
        head['hard_prompt'] = torch.zeros(head.get('language_ctx', 16), width)
    if variant == 'ga2_no_ckpt':
        model['backbone']['grad_checkpointing'] = False
        head['grad_checkpointing'] = False
    anchor = model.get('anchor_loss')
    if anchor and isinstance(anchor.get('anchor_names'), str) and not osp.isfile(anchor['anchor_names']):
        # the name file is not here: the released list for the released term, two generic names otherwise
        anchor['anchor_names'] = ['else'] if anchor.get('mode', 'official') == 'official' else \
            ['something else', 'background']
    if variant == 'released':  # the released anchor term: official, one name, computed
        model['anchor_loss'] = dict(type='AnchorLoss', mode='official', anchor_names=['else'],
                                    template='a video of a person {}.', skip_inert=False)
    model['data_preprocessor'] = dict(type='ActionDataPreprocessor', format_shape='NCTHW')
    return model


def build(cfg, args, variant: str, device, dropout: bool = True) -> torch.nn.Module:
    """Build one variant, seeded, so all variants share the CLIP weights; ``dropout=False`` zeroes every dropout
    (then every variant computes the same function)."""
    from mmaction.registry import MODELS
    from mmengine.registry import DefaultScope
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmaction'), warnings.catch_warnings():
        warnings.simplefilter('ignore')
        model = MODELS.build(model_cfg(cfg, args, variant)).to(device)
    if not dropout:
        for mod in model.modules():
            if isinstance(mod, torch.nn.Dropout):
                mod.p = 0.0
    return model


def our_loss(model, inputs: torch.Tensor, samples: list, anchor: torch.Tensor) -> torch.Tensor:
    """Total loss of our recognizer; anchor clips only when its anchor term is used."""
    kwargs = {}
    if model.anchor_loss is not None and not model.anchor_term_skipped:
        kwargs['anchor_inputs'] = anchor.unsqueeze(1)
    losses = model.loss(inputs, samples, **kwargs)
    return sum(v for k, v in losses.items() if k.startswith('loss'))


def _released_loss() -> Callable:
    """The released code's loss, from the parity harness (``projects/ga2clip_parity``, not part of this package)."""
    try:
        from ga2clip_parity.released_reference import released_loss
    except ImportError as err:
        raise ImportError("the benchmark's 'released' variant needs the parity harness: "
                          'pip install -e projects/ga2clip_parity (make setup installs it)') from err
    return released_loss


def make_step(model, variant: str, clips, labels, anchor, samples, amp: bool) -> Callable[[], float]:
    """A closure running one training step (forward, backward, AdamW) of ``variant``; returns its loss."""
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(params, lr=1e-6)
    device = clips.device.type
    inputs = clips.unsqueeze(1)
    if variant == 'released':
        released_loss = _released_loss()

    def step() -> float:
        optim.zero_grad(set_to_none=True)
        ctx = torch.autocast(device, dtype=torch.bfloat16) if amp else contextlib.nullcontext()
        with ctx:
            if variant == 'released':
                loss = released_loss(model, clips, labels, anchor)
            else:
                loss = our_loss(model, inputs, samples, anchor)
        loss.backward()
        optim.step()
        return float(loss.detach())

    return step


def measure(fn: Callable, label: str) -> Measurement:
    """One replicate of ``fn()`` with ``torch.utils.benchmark.Timer`` (it synchronises the accelerator).

    ``blocked_autorange(min_run_time=0)`` runs ``fn`` once to size the block (the library's warm-up) and times one
    block of one call. Replicates of one label merge with :func:`median_s`, so variants timed round by round,
    interleaved, see the same machine load.
    """
    timer = Timer(stmt='fn()', globals={'fn': fn}, label=label, num_threads=torch.get_num_threads())
    return timer.blocked_autorange(min_run_time=0)


def median_s(measurements: List[Measurement]) -> float:
    """Median seconds per call over the replicates (``Measurement.merge``)."""
    return Measurement.merge(measurements)[0].median


def mean_call_s(fn: Callable, label: str, number: int) -> float:
    """Seconds per call of ``fn`` over one block of ``number`` calls (``Timer.timeit``, after its warm-up)."""
    timer = Timer(stmt='fn()', globals={'fn': fn}, label=label, num_threads=torch.get_num_threads())
    return timer.timeit(number=number).median


def checkpoint_sizes(model) -> Dict[str, float]:
    """Sizes (MB) of a small checkpoint with and without the AdamW state, and of a full one."""
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(params, lr=1e-6)
    for p in params:
        p.grad = torch.zeros_like(p)
    optim.step()
    full = {k: v.cpu() for k, v in model.state_dict().items()}
    small = small_state_dict(model, full)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, obj in (('small_weights', {'state_dict': small}),
                          ('small_with_optimizer', {'state_dict': small, 'optimizer': optim.state_dict()}),
                          ('full_with_optimizer', {'state_dict': full, 'optimizer': optim.state_dict()})):
            path = osp.join(tmp, name + '.pth')
            torch.save(obj, path)
            out[f'checkpoint_mb_{name}'] = os.path.getsize(path) / 2**20
    for p in params:
        p.grad = None
    return out
