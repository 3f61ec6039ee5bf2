"""Open-vocabulary inference: score one video against any list of class names (CPU by default).

The model is built from the config and the checkpoint loaded strictly over it (secure loading, as every
entry point); the head is switched to the given class names and the config's test pipeline runs on the video.
The checkpoint is the source of truth: a self-contained checkpoint needs none of the weight files the config
names (CLIP weights, hard prompt); a small one (only the trained parameters, the default of training) takes the
frozen CLIP weights from the config's ``clip.weights`` and is refused if they are not the ones it was trained
with. The hard prompt always comes from the checkpoint.

Example:
    python tools/infer.py demo.mp4 --config configs/ga2clip_b2n_k400.py \\
        --checkpoint work_dirs/b2n_k400/epoch_12.pth --classes "arm wrestling,juggling balls,typing"
    python tools/infer.py demo.mp4 --config CFG --checkpoint CKPT --class-file labels.csv --topk 5
"""
import argparse
import os.path as osp
import sys
import warnings
from typing import List, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import ga2clip_mmaction  # noqa: E402,F401  (registration, MMEngine's checkpoint globals)
import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402

from ga2clip_mmaction.datasets.views import apply_test_views  # noqa: E402
from ga2clip_mmaction.utils.io import resolve_class_names  # noqa: E402
from ga2clip_mmaction.engine.runner_setup import load_config  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Top-k classes of a video for any class list')
    parser.add_argument('video', help='video file (anything decord reads)')
    parser.add_argument('--config', required=True, help='model/test config file')
    parser.add_argument('--checkpoint', required=True, help='checkpoint file')
    names = parser.add_mutually_exclusive_group(required=True)
    names.add_argument('--classes', help='comma-separated class names, e.g. "run,jump,swim"')
    names.add_argument('--class-file', help='class-name file: `id,name` csv or one name per line')
    parser.add_argument('--topk', type=int, default=5, help='how many classes to print')
    parser.add_argument('--views', default=None,
                        help='test views "<clips>x<crops>", e.g. 4x3 (default: the config\'s)')
    parser.add_argument('--device', default='cpu', help='torch device, e.g. cpu or cuda:0')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. key=value')
    return parser.parse_args(argv)


def class_names_from_args(args: argparse.Namespace) -> List[str]:
    """Class names from ``--classes`` or ``--class-file``.

    Raises:
        ValueError: The list is empty or names a class twice.
    """
    if args.classes is not None:
        names = [n.strip() for n in args.classes.split(',') if n.strip()]
        if not names:
            raise ValueError('--classes: no class names given')
    else:
        names = resolve_class_names(args.class_file)
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f'Class names given more than once: {repeated}')
    return names


def config_test_pipeline(cfg: Config) -> list:
    """The pipeline the config tests with: ``test_dataloader.dataset`` (unwrapped), else
    ``test_pipeline``.

    Raises:
        KeyError: The config has neither.
    """
    dataset = cfg.get('test_dataloader', {}).get('dataset') if cfg.get('test_dataloader') else None
    while dataset is not None and 'pipeline' not in dataset:
        dataset = dataset.get('dataset') or (dataset.get('datasets') or [None])[0]
    if dataset is not None:
        return dataset.pipeline
    if 'test_pipeline' in cfg:
        return cfg.test_pipeline
    raise KeyError(f'{cfg.filename}: no test_dataloader.dataset.pipeline and no test_pipeline')


def is_small_checkpoint(checkpoint: dict) -> bool:
    """Whether a checkpoint holds only the trained parameters (read from its ``meta``, see
    :func:`ga2clip_mmaction.utils.small_checkpoint.small_checkpoint_record`)."""
    from ga2clip_mmaction.utils.small_checkpoint import small_checkpoint_record
    return small_checkpoint_record(checkpoint) is not None


def build_model(cfg: Config, checkpoint: str, device: str):
    """Build the recognizer and load the checkpoint strictly.

    The weight files named in the config are read only where the checkpoint lacks the weights: the hard prompt
    never (it is a checkpoint buffer), the CLIP weights only for a small checkpoint.

    Args:
        cfg (Config): The config.
        checkpoint (str): Checkpoint path.
        device (str): Torch device.

    Returns:
        torch.nn.Module: The model in eval mode.

    Raises:
        FileNotFoundError: No checkpoint, or a small checkpoint and no CLIP weight file.
        RuntimeError: The checkpoint does not fit the config (missing/unexpected keys, other frozen weights).
    """
    from mmaction.registry import MODELS
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_state_dict

    from ga2clip_mmaction.utils.checkpoint import safe_torch_load
    from ga2clip_mmaction.utils.small_checkpoint import refill_small_checkpoint
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'Checkpoint not found: {checkpoint}')
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    ckpt = safe_torch_load(checkpoint, map_location='cpu')
    if not (isinstance(ckpt, dict) and isinstance(ckpt.get('state_dict'), dict)):
        ckpt = dict(state_dict=ckpt)
    ckpt['state_dict'] = {k[len('module.'):] if k.startswith('module.') else k: v
                          for k, v in ckpt['state_dict'].items()}
    small = is_small_checkpoint(ckpt)
    if not small:  # self-contained: every CLIP weight is in the checkpoint
        for part in ('backbone', 'cls_head'):
            if 'clip' in cfg.model.get(part, {}):
                cfg.model[part].clip.weights = None
    if 'hard_prompt' in cfg.model.get('cls_head', {}):
        cfg.model.cls_head.hard_prompt = None
    with warnings.catch_warnings():  # the hard prompt is a checkpoint buffer, loaded below
        warnings.filterwarnings('ignore', message='.*without `hard_prompt`')
        model = MODELS.build(cfg.model)
    try:
        state = refill_small_checkpoint(model, ckpt)['state_dict'] if small else ckpt['state_dict']
        load_state_dict(model, state, strict=True)
    except RuntimeError as err:
        raise RuntimeError(f'{checkpoint} does not fit the model of {cfg.filename}: {err}') from None
    model.cfg = cfg
    return model.to(device).eval()


def infer(args: argparse.Namespace) -> List[Tuple[str, float]]:
    """Run the model on the video over the given classes.

    Returns:
        list[tuple[str, float]]: The top-k ``(class name, probability)``, best first.
    """
    from mmaction.apis import inference_recognizer
    from mmengine.dataset import Compose
    if not osp.isfile(args.video):
        raise FileNotFoundError(f'Video not found: {args.video}')
    from ga2clip_mmaction.datasets.robust_video_dataset import BadVideoError, probe_video
    reason = probe_video(args.video)  # a clear message instead of the decoder's traceback
    if reason is not None:
        raise BadVideoError(f'{args.video}: cannot read the video: {reason}')
    if args.topk < 1:
        raise ValueError(f'--topk must be >= 1, got {args.topk}')
    names = class_names_from_args(args)
    cfg = load_config(args.config, args.cfg_options)
    if args.views is not None:
        apply_test_views(cfg, args.views, crop_size=None)
    model = build_model(cfg, args.checkpoint, args.device)
    head = model.cls_head
    if not callable(getattr(head, 'set_class_names', None)):
        raise TypeError(f'{type(head).__name__} cannot switch class names (open-vocabulary '
                        f'inference needs set_class_names)')
    head.set_class_names(names)
    pipeline = Compose(config_test_pipeline(cfg))
    with torch.no_grad():
        scores = inference_recognizer(model, args.video, pipeline).pred_score.float().cpu()
    probs, order = scores.topk(min(args.topk, len(names)))
    return [(names[i], float(p)) for p, i in zip(probs, order.tolist())]


def main(argv=None) -> List[Tuple[str, float]]:
    """Print the top-k classes with their probabilities.

    Returns:
        list[tuple[str, float]]: The printed ``(class name, probability)`` pairs.
    """
    args = parse_args(argv)
    top = infer(args)
    width = max(len(name) for name, _ in top)
    print(f'{args.video}: top-{len(top)} of {len(class_names_from_args(args))} classes')
    for rank, (name, prob) in enumerate(top, start=1):
        print(f'{rank:>3}. {name:<{width}}  {prob:.4f}')
    return top


if __name__ == '__main__':
    main()
