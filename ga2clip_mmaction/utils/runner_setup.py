"""Turn a config file plus MMAction2-style command-line flags into a Runner config.

Shared by ``tools/train.py`` and ``tools/test.py`` so that both apply flags the same way.
"""
import argparse
import os.path as osp
from typing import Optional

from mmengine.config import Config, ConfigDict


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Load a config file and merge ``--cfg-options`` into it.

    Args:
        path (str): Config file path.
        cfg_options (dict, optional): ``key=value`` overrides. Defaults to None.

    Returns:
        Config: The merged config.

    Raises:
        FileNotFoundError: ``path`` does not exist.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Config file not found: {path}')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def _set_work_dir(cfg: Config, args: argparse.Namespace) -> None:
    """``--work-dir`` > ``work_dir`` of the config > ``./work_dirs/<config name>``."""
    if getattr(args, 'work_dir', None) is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])


def _enable_amp(cfg: Config) -> None:
    """Switch the optimizer wrapper to MMEngine's ``AmpOptimWrapper``."""
    optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if optim_wrapper == 'AmpOptimWrapper':
        return
    if optim_wrapper != 'OptimWrapper':
        raise ValueError(f'--amp needs optim_wrapper.type OptimWrapper, got {optim_wrapper}')
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')


def build_train_config(args: argparse.Namespace) -> Config:
    """Apply ``tools/train.py`` flags to the config.

    Args:
        args (argparse.Namespace): Parsed flags of ``tools/train.py``.

    Returns:
        Config: A config ready for ``Runner.from_cfg``.
    """
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    _set_work_dir(cfg, args)
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    if args.amp:
        _enable_amp(cfg)
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg:
            raise KeyError('--auto-scale-lr needs `auto_scale_lr = dict(base_batch_size=...)` '
                           'in the config')
        cfg.auto_scale_lr.enable = True
    if args.seed is not None or args.diff_rank_seed or args.deterministic:
        randomness = cfg.get('randomness', ConfigDict())
        if args.seed is not None:
            randomness['seed'] = args.seed
        randomness['diff_rank_seed'] = args.diff_rank_seed
        randomness['deterministic'] = args.deterministic
        cfg.randomness = randomness
    return cfg


def build_test_config(args: argparse.Namespace) -> Config:
    """Apply ``tools/test.py`` flags to the config.

    Args:
        args (argparse.Namespace): Parsed flags of ``tools/test.py``.

    Returns:
        Config: A config ready for ``Runner.from_cfg``.
    """
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    _set_work_dir(cfg, args)
    if not osp.isfile(osp.expanduser(args.checkpoint)):
        raise FileNotFoundError(f'Checkpoint not found: {args.checkpoint}')
    cfg.load_from = args.checkpoint
    if args.dump is not None:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--dump must be a .pkl or .pickle file, got {args.dump}')
        dump_metric = dict(type='DumpResults', out_file_path=args.dump)
        evaluator = cfg.test_evaluator
        if isinstance(evaluator, (list, tuple)):
            cfg.test_evaluator = [*evaluator, dump_metric]
        elif 'metrics' in evaluator:
            evaluator.metrics = [*evaluator.metrics, dump_metric]
        else:
            cfg.test_evaluator = [evaluator, dump_metric]
    return cfg
