"""Build a recognizer from a config and a checkpoint the way ``tools/infer.py`` does (secure, strict)."""
import os.path as osp
import warnings
from typing import List, Optional, Sequence, Union

from mmengine.config import Config

from ..engine.runner_setup import load_config
from ..utils.io import resolve_class_names


def parse_class_names(classes: Optional[Union[str, Sequence[str]]] = None,
                      class_file: Optional[str] = None) -> List[str]:
    """Class names from a comma-separated string (or a list) or from a class-name file.

    Args:
        classes (str | Sequence[str], optional): ``"run,jump,swim"`` or ``['run', 'jump']``.
        class_file (str, optional): ``id,name`` csv or one name per line.

    Returns:
        list[str]: The names.

    Raises:
        ValueError: The list is empty or names a class twice.
    """
    if classes is not None:
        parts = classes.split(',') if isinstance(classes, str) else list(classes)
        names = [n.strip() for n in parts if n.strip()]
        if not names:
            raise ValueError('--classes: no class names given')
    else:
        names = resolve_class_names(class_file)
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f'Class names given more than once: {repeated}')
    return names


def config_test_pipeline(cfg: Config) -> list:
    """The pipeline the config tests with: ``test_dataloader.dataset`` (unwrapped), else ``test_pipeline``.

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
    from ..utils.small_checkpoint import small_checkpoint_record
    return small_checkpoint_record(checkpoint) is not None


def build_model(cfg: Union[str, Config], checkpoint: str, device: str = 'cpu', cfg_options: Optional[dict] = None):
    """Build the recognizer and load the checkpoint strictly.

    The weight files named in the config are read only where the checkpoint lacks the weights: the hard prompt
    never (it is a checkpoint buffer), the CLIP weights only for a small checkpoint.

    Args:
        cfg (str | Config): The config or its file.
        checkpoint (str): Checkpoint path.
        device (str): Torch device. Defaults to ``'cpu'``.
        cfg_options (dict, optional): Overrides for a config file (as ``--cfg-options``).

    Returns:
        torch.nn.Module: The model in eval mode, with ``model.cfg``.

    Raises:
        FileNotFoundError: No checkpoint, or a small checkpoint and no CLIP weight file.
        RuntimeError: The checkpoint does not fit the config (missing/unexpected keys, other frozen weights).
    """
    from mmaction.registry import MODELS
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_state_dict

    from ..utils.checkpoint import safe_torch_load
    from ..utils.small_checkpoint import refill_small_checkpoint
    if not isinstance(cfg, Config):
        cfg = load_config(cfg, cfg_options)
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
