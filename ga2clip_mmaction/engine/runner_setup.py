"""Command lines of ``tools/train.py`` and ``tools/test.py`` and the Runner configs they make.

The flags are MMAction2's; both tools parse and apply them here, so they stay consistent.
"""
import argparse
import os.path as osp
from typing import Optional

from mmengine.config import Config, ConfigDict, DictAction


def _add_common_args(parser: argparse.ArgumentParser) -> None:
    """Flags shared by both tools: work dir, config overrides, launcher."""
    parser.add_argument('--work-dir', help='the dir to save logs, metrics and checkpoints')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. key=value a.b=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    parser.add_argument('--plain-config', action='store_true',
                        help="keep the config text MMEngine writes (log, dumped config, each checkpoint's meta) "
                        "unformatted: skips yapf's pretty-printing, about 0.5 s per write")


def build_train_parser() -> argparse.ArgumentParser:
    """Return the parser of ``tools/train.py`` (MMAction2's training flags).

    Returns:
        argparse.ArgumentParser: The parser.
    """
    parser = argparse.ArgumentParser(description='Train a GA2-CLIP (or any MMAction2) recognizer')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the given checkpoint, or from the latest checkpoint of the work dir '
        'when no path is given')
    parser.add_argument('--amp', action='store_true', help='enable automatic mixed precision')
    parser.add_argument('--no-validate', action='store_true',
                        help='do not evaluate during training')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr by the actual total batch size')
    parser.add_argument('--seed', type=int, default=None, help='random seed')
    parser.add_argument('--diff-rank-seed', action='store_true',
                        help='use a different seed on each rank')
    parser.add_argument('--deterministic', action='store_true',
                        help='set deterministic options for CUDNN')
    _add_common_args(parser)
    return parser


def build_test_parser() -> argparse.ArgumentParser:
    """Return the parser of ``tools/test.py`` (MMAction2's testing flags).

    Returns:
        argparse.ArgumentParser: The parser.
    """
    parser = argparse.ArgumentParser(description='Test a GA2-CLIP (or any MMAction2) recognizer')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--dump', type=str,
                        help='dump predictions to a pickle file for offline evaluation')
    parser.add_argument('--views', type=str, default=None,
                        help='test views as CLIPSxCROPS, e.g. 4x3 (default: the config\'s, 1x1 as released)')
    parser.add_argument('--amp', action='store_true',
                        help='test under mixed precision: GA2-CLIP sets model.test_cfg.precision (bf16, fp16 on '
                        'GPUs without bf16; logits stay float32), other models MMEngine\'s TestLoop fp16=True')
    parser.add_argument('--show-dir', help='directory where the visualized frames are saved')
    parser.add_argument('--show', action='store_true', help='display the predictions in a window')
    parser.add_argument('--interval', type=int, default=1, help='visualize every N-th sample')
    parser.add_argument('--wait-time', type=float, default=2, help='display time of every window (s)')
    _add_common_args(parser)
    return parser


def _enable_visualization(cfg: Config, args: argparse.Namespace) -> None:
    """``--show`` / ``--show-dir``: MMAction2's visualization hook (:class:`ClipVisualizationHook`, which also
    draws batched ``NCTHW`` clips) with the flags' settings."""
    hook = cfg.default_hooks.get('visualization') or ConfigDict(type='ClipVisualizationHook')
    if hook.get('type') == 'VisualizationHook':
        hook.type = 'ClipVisualizationHook'
    hook.update(enable=True, show=args.show, wait_time=args.wait_time, out_dir=args.show_dir,
                interval=args.interval)
    cfg.default_hooks.visualization = hook


def load_config(path: str, cfg_options: Optional[dict] = None, pretty: bool = True) -> Config:
    """Load a config file and merge ``--cfg-options`` into it.

    Args:
        path (str): Config file path.
        cfg_options (dict, optional): ``key=value`` overrides. Defaults to None.
        pretty (bool): Let MMEngine format the config text with yapf whenever it writes it
            (``format_python_code``). Defaults to True.

    Returns:
        Config: The merged config.

    Raises:
        FileNotFoundError: ``path`` does not exist.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Config file not found: {path}')
    cfg = Config.fromfile(path)
    if not pretty:  # MMEngine 0.10's fromfile passes format_python_code on for lazy-import configs only
        cfg = Config(cfg.to_dict(), cfg_text=cfg.text, filename=cfg.filename, env_variables=cfg.env_variables,
                     format_python_code=False)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def _set_work_dir(cfg: Config, args: argparse.Namespace) -> None:
    """``--work-dir`` > ``work_dir`` of the config > ``./work_dirs/<config name>``."""
    if getattr(args, 'work_dir', None) is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])


def default_amp_dtype() -> str:
    """``'bfloat16'`` where the GPU supports it (Ampere and newer), else ``'float16'``."""
    import torch
    return 'bfloat16' if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else 'float16'


#: ``loss_scale`` of an ``AmpOptimWrapper`` under bfloat16: a disabled ``GradScaler`` (``scale``, ``unscale_`` and
#: ``update`` are no-ops, ``step`` is the optimizer's own), since bf16 has float32's exponent range. float16 keeps
#: MMEngine's dynamic scaler.
NO_LOSS_SCALE = dict(enabled=False)


def _set_amp_dtype(cfg: Config) -> None:
    """Complete an ``AmpOptimWrapper``: ``dtype`` defaults to :func:`default_amp_dtype`; ``loss_scale``, when not
    set, is :data:`NO_LOSS_SCALE` under bfloat16 and ``'dynamic'`` under float16 (MMEngine builds a scaler for
    every dtype otherwise). An explicit ``loss_scale`` is kept. The dtype chosen here depends on the GPU that parses
    the config: ``AmpDtypeHook`` records it in every checkpoint and refuses a ``--resume`` under another one."""
    wrapper = cfg.get('optim_wrapper')
    if wrapper is None or wrapper.get('type') != 'AmpOptimWrapper':
        return
    if wrapper.get('dtype') is None:
        wrapper.dtype = default_amp_dtype()
    if wrapper.get('loss_scale') is None:
        dtype = str(wrapper.dtype).replace('torch.', '')
        wrapper.loss_scale = ConfigDict(NO_LOSS_SCALE) if dtype == 'bfloat16' else 'dynamic'


def _enable_amp(cfg: Config) -> None:
    """Switch the optimizer wrapper to MMEngine's ``AmpOptimWrapper`` (bf16 without loss scaling where supported,
    see :func:`default_amp_dtype`; ``--cfg-options optim_wrapper.dtype=float16`` forces fp16 with the dynamic
    scaler)."""
    optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if optim_wrapper != 'AmpOptimWrapper':
        if optim_wrapper != 'OptimWrapper':
            raise ValueError(f'--amp needs optim_wrapper.type OptimWrapper, got {optim_wrapper}')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
    _set_amp_dtype(cfg)


def default_test_precision() -> str:
    """``model.test_cfg.precision`` of ``tools/test.py --amp``: ``'fp16'`` on a GPU without bf16, else ``'bf16'``
    (also on a CPU, where CPU autocast runs bfloat16)."""
    import torch
    return 'fp16' if torch.cuda.is_available() and not torch.cuda.is_bf16_supported() else 'bf16'


def _set_test_precision(cfg: Config) -> None:
    """``tools/test.py --amp``: one precision switch. GA2-CLIP recognizers get ``model.test_cfg.precision``
    (:func:`default_test_precision` unless the config sets one; the image tower runs under autocast, logits stay
    float32); other MMAction2 models get MMEngine's ``TestLoop(fp16=True)``, their only mixed-precision path."""
    model = cfg.get('model') or {}
    if model.get('type') == 'GA2CLIPRecognizer':
        test_cfg = model.get('test_cfg') or ConfigDict()
        if test_cfg.get('precision', 'fp32') == 'fp32':
            test_cfg['precision'] = default_test_precision()
        model['test_cfg'] = test_cfg
    else:
        cfg.test_cfg = ConfigDict(cfg.get('test_cfg') or dict(type='TestLoop'), fp16=True)


def build_train_config(args: argparse.Namespace) -> Config:
    """Apply ``tools/train.py`` flags to the config.

    Args:
        args (argparse.Namespace): Parsed flags of ``tools/train.py``.

    Returns:
        Config: A config ready for ``Runner.from_cfg``.
    """
    cfg = load_config(args.config, args.cfg_options, pretty=not getattr(args, 'plain_config', False))
    cfg.launcher = args.launcher
    _set_work_dir(cfg, args)
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    if args.amp:
        _enable_amp(cfg)
    _set_amp_dtype(cfg)  # also configs that name AmpOptimWrapper themselves
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
    cfg = load_config(args.config, args.cfg_options, pretty=not getattr(args, 'plain_config', False))
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
    if getattr(args, 'views', None):
        from ..datasets.views import apply_test_views
        apply_test_views(cfg, args.views)
    if getattr(args, 'amp', False):
        _set_test_precision(cfg)
    if getattr(args, 'show', False) or getattr(args, 'show_dir', None) is not None:
        _enable_visualization(cfg, args)
    return cfg
