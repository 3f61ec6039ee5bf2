"""What the embedded demo (``run_demo``) runs: methods, configs, the plan's comparisons, the ablation
variants, run names, worlds, and each method's trainable parameters and extra data.

Nothing here trains; :mod:`ga2clip_demo.steps` runs the steps.
"""
import logging
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))  # the repository
DATA = osp.join('data', 'synthetic')
HARD_PROMPT = osp.join(DATA, 'hard_prompts', 'stage1_ctx.pt')
SPLIT_ROOT = f'{DATA}/splits/base2novel_splits/synth_splits'
#: World seeds of the committed grid and ablation, fixed in docs/results/plan.md before any run on them.
PLANNED_WORLDS = (22001, 22002, 22003)
ABLATION_WORLDS = PLANNED_WORLDS[:2]


def _config(name: str) -> str:
    return osp.join(REPO, 'configs', name)


CONFIGS = {
    'stage1': _config('ga2clip_b2n_demo_stage1.py'),
    'ivlp': _config('ga2clip_b2n_demo_ivlp.py'),
    'vilt': _config('vilt_clip_b2n_demo.py'),
    'vilt_l2_8': _config('vilt_clip_b2n_demo.py'),
    'ga2clip_as_released': _config('ga2clip_b2n_demo_as_released.py'),
    'ga2clip_released': _config('ga2clip_b2n_demo_released_anchors.py'),
    'ga2clip': _config('ga2clip_b2n_demo.py'),
}
#: cfg options of a method on top of its config.
METHOD_OPTIONS = {'vilt_l2_8': ['model.cls_head.consistency_loss.mode=l2', 'model.cls_head.consistency_loss.loss_weight=8.0']}
#: Labels of the three GA2-CLIP configurations (issue 31): what the released code trains (its one-name anchor list
#: makes the anchor term inert), the released formula fed one attribute name per class (a per-class bias), ours.
AS_RELEASED = 'GA2-CLIP as released (hard prompt + coupling; the released anchor term is inert)'
C_NAMES = 'released anchor formula fed C names (a per-class bias; neither the paper nor the release)'
C_SHORT = 'released anchor formula fed C names'
KL = 'kl anchor term (ours)'
# key -> table label, in table order; zero-shot has no config (no training).
METHODS = {
    'zero-shot': 'zero-shot CLIP',
    'ivlp': 'IVLP',
    'vilt': 'ViLT-CLIP',
    'vilt_l2_8': 'ViLT-CLIP, old weight (l2 8.0 = 2x KgCoOp)',
    'ga2clip_as_released': AS_RELEASED,
    'ga2clip_released': C_NAMES,
    'ga2clip': KL,
}
REFERENCE = 'ivlp'
DEFAULT_METHODS = ('zero-shot', 'ivlp', 'vilt', 'ga2clip_released', 'ga2clip')
#: ``--full``: the methods of the earlier grid (docs/results/plan.md; GA2-CLIP as released was not in it; it is the
#: confirmatory study's, docs/results/plan_confirmatory.md, and ``--methods ga2clip_as_released`` runs it here).
FULL_METHODS = tuple(m for m in METHODS if m != 'ga2clip_as_released')
#: The plan's family of comparisons (docs/results/plan.md), Holm-corrected together; the first is the primary.
COMPARISONS: List[Tuple[str, str, str, str]] = [
    ('ga2clip_released', 'ivlp', 'hm', f"{C_SHORT} - IVLP [the earlier plan's primary]"),
    ('ga2clip', 'ivlp', 'hm', f'{KL} - IVLP'),
    ('vilt', 'ivlp', 'hm', 'ViLT-CLIP - IVLP'),
    ('ga2clip_released', 'vilt', 'hm', f'{C_SHORT} - ViLT-CLIP'),
    ('ga2clip', 'vilt', 'hm', f'{KL} - ViLT-CLIP'),
    ('ga2clip', 'ga2clip_released', 'hm', f'{KL} - {C_SHORT}'),
    ('ivlp', 'zero-shot', 'novel', 'IVLP - zero-shot CLIP (novel; zero-shot per world)'),
]

_NO_HARD_PROMPT = ['model.cls_head.coupling=none', 'model.cls_head.hard_prompt=None']
_ANCHORS_OFF = ['model.cls_head.anchor_loss=None', 'train_dataloader.batch_sampler.num_anchors=0']
# GA2-CLIP ablation on configs/ga2clip_b2n_demo.py: (run name, label, cfg options). A variant whose options are
# those of an earlier one (or of the main config: name 'ga2clip') reuses its runs (see ``ablation_runs``).
ABLATION: List[Tuple[str, str, List[str]]] = [
    ('hard_prompt_alone', 'hard prompt alone (no anchors; what GA2-CLIP as released trains)', _ANCHORS_OFF),
    ('anchors_alone_kl', 'anchors alone, kl', _NO_HARD_PROMPT),
    ('anchors_alone_negative', 'anchors alone, negative',
     _NO_HARD_PROMPT + ['model.cls_head.anchor_loss.mode=negative',
                        f'model.cls_head.anchor_loss.anchor_names={DATA}/labels/synth_anchor_labels.csv']),
    ('anchors_alone_official', f'anchors alone, {C_SHORT} (a per-class bias)',
     _NO_HARD_PROMPT + ['model.cls_head.anchor_loss.mode=official']),
    ('ga2clip', 'coupling concat_mlp (= main)', []),
    ('coupling_add', 'coupling add', ['model.cls_head.coupling=add']),
    ('coupling_seq_concat', 'coupling seq_concat', ['model.cls_head.coupling=seq_concat']),
    ('hard_prompt_alone', 'anchor clips 0 (= hard prompt alone)', _ANCHORS_OFF),
    ('anchors4', 'anchor clips 4', ['train_dataloader.dataset.max_anchor_videos=4']),
    ('anchors16', 'anchor clips 16', ['train_dataloader.dataset.max_anchor_videos=16']),
    ('ga2clip', 'anchor clips 64 (= main)', []),
    ('fusion0.5', 'fusion factor 0.5', ['model.cls_head.anchor_loss.loss_weight=0.5']),
    ('ga2clip', 'fusion factor 1 (= main)', []),
    ('fusion2', 'fusion factor 2', ['model.cls_head.anchor_loss.loss_weight=2.0']),
]


def run_labels() -> Dict[str, str]:
    """Run name -> label of the per-run table and the chart: the methods, then the ablation variants."""
    labels = dict(METHODS)
    for name, label, _ in ABLATION:
        labels.setdefault(name, label)
    return labels


def select_methods(methods: Optional[str], full: bool) -> List[str]:
    """The methods to run, in table order: ``methods`` (comma-separated), else all with ``full``, else
    :data:`DEFAULT_METHODS`.

    Raises:
        ValueError: An unknown method name (the message lists the known ones).
    """
    default = FULL_METHODS if full else DEFAULT_METHODS
    chosen = [m for m in (methods or ','.join(default)).split(',') if m]
    unknown = sorted(set(chosen) - set(METHODS))
    if unknown or not chosen:
        raise ValueError(f'--methods: unknown {unknown}; choose from {", ".join(METHODS)}')
    return [m for m in METHODS if m in chosen]


def ablation_runs() -> List[Tuple[str, str, List[str]]]:
    """The distinct ablation runs ``(name, config, options)``: rows with the same name share runs, and the
    full GA2-CLIP and IVLP are the method grid's ``ga2clip`` / ``ivlp`` runs."""
    seen, out = set(), []
    for name, _, opts in [('ivlp', '', [])] + ABLATION:
        if name in seen:
            continue
        seen.add(name)
        config = CONFIGS['ivlp'] if name == 'ivlp' else CONFIGS['ga2clip']
        out.append((name, config, list(opts)))
    return out


def run_name(method: str, split: int, seed: int) -> str:
    """Work-dir name of one run: ``<method>_s<list>_seed<seed>`` (grouped by ``split_run_name``)."""
    return f'{method}_s{split}_seed{seed}'


def epoch_options(epochs: Optional[int]) -> List[str]:
    """cfg options that shorten (or lengthen) the demo schedule to ``epochs``."""
    if epochs is None:
        return []
    if epochs < 2:
        raise ValueError(f'--epochs/--stage1-epochs must be >= 2 (one warm-up epoch, then the cosine decay), '
                         f'got {epochs}')
    return [f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs + 1}',
            f'default_hooks.checkpoint.interval={epochs}',
            f'param_scheduler.1.T_max={max(epochs - 1, 1)}', f'param_scheduler.1.end={epochs}']


_ANCHORED: Dict[str, bool] = {}


def train_set_options(config: str, split: int) -> List[str]:
    """cfg option pointing ``config``'s training set at the few-shot list ``split`` (inside an
    ``AnchorSetDataset`` when the config wraps it)."""
    if config not in _ANCHORED:
        from mmengine.config import Config
        _ANCHORED[config] = Config.fromfile(config).train_dataloader.dataset.get('type') == 'AnchorSetDataset'
    key = 'train_dataloader.dataset.' + ('dataset.' if _ANCHORED[config] else '') + 'ann_file'
    return [f'{key}={SPLIT_ROOT}/fs_base_s{split}_train.txt']


def world_dirs(work_dir: str, workspace: str, seed: int) -> Tuple[str, str]:
    """``(workspace, runs folder)`` of a world: world 0 is ``<workspace>/data/synthetic`` and ``runs/``, world
    ``W`` is ``<work_dir>/worlds/w<W>/data/synthetic`` and ``runs/w<W>/``."""
    if seed == 0:
        return workspace, osp.join(work_dir, 'runs')
    return osp.join(work_dir, 'worlds', f'w{seed}'), osp.join(work_dir, 'runs', f'w{seed}')


def method_budget(methods: Sequence[str], ws: str) -> List[dict]:
    """Trainable parameters (built model, ``requires_grad``) and the data each method sees besides the few-shot
    base clips, read from its config in the world ``ws`` (whose hard prompt exists when a GA2-CLIP is asked)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import ga2clip_mmaction  # noqa: F401  (registers the models)
    from ga2clip_mmaction.datasets.split_files import read_video_list
    from ga2clip_mmaction.utils.io import read_class_names
    from mmaction.registry import MODELS
    out = []
    cwd = os.getcwd()
    os.chdir(ws)
    root_logger = logging.getLogger()
    level = root_logger.level
    try:
        init_default_scope('mmaction')
        for m in methods:
            if m == 'zero-shot':
                continue
            cfg = Config.fromfile(CONFIGS[m])
            for opt in METHOD_OPTIONS.get(m, []):
                key, value = opt.split('=')
                cfg.merge_from_dict({key: float(value) if value[0].isdigit() else value})
            root_logger.setLevel(logging.ERROR)
            model = MODELS.build(cfg.model)
            root_logger.setLevel(level)
            extra = []
            if cfg.model.cls_head.get('hard_prompt'):
                stage1 = Config.fromfile(CONFIGS['stage1']).train_dataloader.dataset.ann_file
                n = len(read_video_list(stage1))
                extra.append(f'{n} stage-1 clips of 6 other classes (the hard prompt)')
            anchors = cfg.model.cls_head.get('anchor_loss')
            if anchors and cfg.train_dataloader.batch_sampler.get('num_anchors', 0) > 0:
                extra.append(f'{cfg.train_dataloader.dataset.max_anchor_videos} anchor clips '
                             f'({cfg.train_dataloader.batch_sampler.num_anchors} per batch) and '
                             f'{len(read_class_names(anchors.anchor_names))} generic attribute names')
            if cfg.model.cls_head.get('consistency_loss'):
                extra.append('frozen hand-crafted prompt features of the base class names (no clips)')
            out.append(dict(method=m, label=METHODS[m],
                            trainable=sum(p.numel() for p in model.parameters() if p.requires_grad),
                            extra_data='; '.join(extra) or 'none'))
    finally:
        root_logger.setLevel(level)
        os.chdir(cwd)
    return out


#: Labels before issue 31 -> today's (committed results keep their method keys; their json's ``labels_renamed``
#: holds this mapping, so a table or script written with the old labels stays readable).
RELABEL: Dict[str, str] = {
    "GA2-CLIP, released anchor term (the paper's)": C_NAMES,
    'GA2-CLIP, kl anchor term (ours)': KL,
    "GA2-CLIP released (paper's) - IVLP [primary]": f"{C_SHORT} - IVLP [the earlier plan's primary]",
    'GA2-CLIP kl (ours) - IVLP': f'{KL} - IVLP',
    "GA2-CLIP released (paper's) - ViLT-CLIP": f'{C_SHORT} - ViLT-CLIP',
    'GA2-CLIP kl (ours) - ViLT-CLIP': f'{KL} - ViLT-CLIP',
    "GA2-CLIP kl (ours) - GA2-CLIP released (paper's)": f'{KL} - {C_SHORT}',
    'hard prompt alone (no anchors)': 'hard prompt alone (no anchors; what GA2-CLIP as released trains)',
    'anchors alone, official': f'anchors alone, {C_SHORT} (a per-class bias)',
}


def relabel(label: str) -> str:
    """Today's label for ``label`` (an old one from before issue 31, or already today's)."""
    old_reference = ' - GA2-CLIP (kl)'  # the ablation's comparisons
    if label.endswith(old_reference):
        return f'{relabel(label[:-len(old_reference)])} - {KL}'
    return RELABEL.get(label, label)
