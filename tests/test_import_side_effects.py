"""Only a plugin: ``import ga2clip_mmaction`` (and building and loading a model of ours) leaves every object that
MMEngine, MMAction2, mmcv and torch own as it was, except for the documented list below; and no name we register
shadows a name of MMAction2, MMEngine or mmcv (or any other library sharing MMEngine's registries).

The objects are compared by identity in a fresh interpreter (nothing imported the plugin before), before the
import, after it, and after building a GA2-CLIP model from one of our configs and loading a small checkpoint into
it (where the previous versions replaced objects at first use).
"""
import json
import subprocess
import sys

import pytest
from mmengine.registry import Registry

#: The documented exceptions (docs/design.md, "What importing the plugin changes"), each checked below:
DOCUMENTED_EXCEPTIONS = {
    'mmaction MODELS "DRN"': 'placeholder of the DRN localizer missing from the mmaction2 1.2.0 wheel, registered '
                             'under MMAction2\'s own name so type="DRN" raises a clear message (compat)',
    'open_clip model configs': 'our open_clip model configs (GA2-Tiny, GA2-Tiny-Random), added with '
                               'open_clip.add_model_config (models/clip_configs)',
    'torch weights_only allowlist': 'the globals MMEngine\'s own checkpoints need (utils/checkpoint.SAFE_GLOBALS), '
                                    'added with torch.serialization.add_safe_globals (additive)',
}

#: Run in a fresh interpreter: ``{stage: {object name: id}}`` plus what the documented exceptions added.
SCRIPT = r'''
import json, sys

def registries():
    """Every registry of MMEngine's tree (root and every scope below it) that exists now."""
    import mmengine.registry as root_module
    from mmengine.registry import Registry
    found = []
    def walk(reg):
        found.append(reg)
        for child in reg._children.values():
            walk(child)
    for value in vars(root_module).values():
        if isinstance(value, Registry) and value.parent is None:
            walk(value)
    return found

def snapshot():
    import builtins
    import torch, torch.serialization, torch.distributed, torch.nn.parallel
    import mmengine.dist.utils as dist_utils
    import mmengine.fileio.backends.registry_utils as file_backends
    import mmengine.fileio.io as fileio_io
    import mmengine.hooks.checkpoint_hook as checkpoint_hook
    import mmengine.runner as runner_pkg
    import mmengine.runner.checkpoint as mm_checkpoint
    import mmengine.runner.runner as runner_mod
    from mmengine.hooks import CheckpointHook, EMAHook
    from mmengine.model import MMDistributedDataParallel, MMSeparateDistributedDataParallel
    from mmengine.runner import Runner
    from mmengine.runner.checkpoint import CheckpointLoader
    import mmcv.transforms  # noqa: F401 (mmcv's registrations)
    from mmaction.datasets.transforms import processing
    objs = {
        'torch.load': torch.load, 'torch.save': torch.save, 'torch.cuda.set_device': torch.cuda.set_device,
        'torch.distributed.init_process_group': torch.distributed.init_process_group,
        'torch.serialization.load': torch.serialization.load,
        'torch DistributedDataParallel.__init__': torch.nn.parallel.DistributedDataParallel.__init__,
        'torch Module.load_state_dict': torch.nn.Module.load_state_dict,
        'torch Module._load_from_state_dict': torch.nn.Module._load_from_state_dict,
        'builtins.open': builtins.open,
        'mmengine.runner.checkpoint._load_checkpoint_to_model': mm_checkpoint._load_checkpoint_to_model,
        'mmengine.runner.runner._load_checkpoint_to_model': runner_mod._load_checkpoint_to_model,
        'mmengine.runner.checkpoint.load_checkpoint': mm_checkpoint.load_checkpoint,
        'mmengine.runner.load_checkpoint': runner_pkg.load_checkpoint,
        'mmengine.runner.checkpoint.load_state_dict': mm_checkpoint.load_state_dict,
        'mmengine.runner.checkpoint.save_checkpoint': mm_checkpoint.save_checkpoint,
        'mmengine.dist.utils.init_dist': dist_utils.init_dist,
        'MMDistributedDataParallel.__init__': MMDistributedDataParallel.__init__,
        'MMDistributedDataParallel.train_step': MMDistributedDataParallel.train_step,
        'MMSeparateDistributedDataParallel.__init__': MMSeparateDistributedDataParallel.__init__,
        'Runner.__init__': Runner.__init__, 'Runner.setup_env': Runner.setup_env,
        'Runner.wrap_model': Runner.wrap_model, 'Runner.load_checkpoint': Runner.load_checkpoint,
        'Runner.save_checkpoint': Runner.save_checkpoint,
        'CheckpointHook._save_checkpoint_with_step': CheckpointHook._save_checkpoint_with_step,
        'EMAHook.after_load_checkpoint': EMAHook.after_load_checkpoint,
        'mmaction ColorJitter.adjust_hue': vars(processing.ColorJitter)['adjust_hue'],
        'mmengine.fileio.io.get_file_backend': fileio_io.get_file_backend,
    }
    for name in ('_init_dist_pytorch', '_init_dist_slurm', '_init_dist_mpi'):
        objs[f'mmengine.dist.utils.{name}'] = getattr(dist_utils, name)
    for scheme, loader in CheckpointLoader._schemes.items():
        objs[f'CheckpointLoader scheme {scheme!r}'] = loader
    for name, backend in file_backends.backends.items():
        objs[f'file backend {name!r}'] = backend
    for prefix, backend in file_backends.prefix_to_backends.items():
        objs[f'file backend of prefix {prefix!r}'] = backend
    for name in vars(checkpoint_hook):
        objs[f'mmengine.hooks.checkpoint_hook.{name}'] = vars(checkpoint_hook)[name]
    for reg in registries():
        for name, obj in reg.module_dict.items():
            objs[f'registry {reg.scope}::{reg.name} {name!r}'] = obj
    return {k: id(v) for k, v in objs.items()}

def safe_global_names():
    import torch.serialization
    names = []
    for g in torch.serialization.get_safe_globals():
        names.append(g[1] if isinstance(g, tuple) else f'{g.__module__}.{g.__qualname__}')
    return sorted(names)

def open_clip_configs():
    import open_clip
    return sorted(open_clip.list_models())

out = {'before': snapshot(), 'safe_before': safe_global_names(), 'clip_before': open_clip_configs()}
import ga2clip_mmaction
out['after'] = snapshot()
out['safe_after'] = safe_global_names()
out['clip_after'] = open_clip_configs()

# use: build a GA2-CLIP model from our config, save a small checkpoint of it and load it through MMEngine
import os, tempfile, torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint
from mmaction.registry import MODELS
from ga2clip_mmaction.utils.small_checkpoint import shrink_checkpoint
cfg = Config.fromfile(sys.argv[1]).model
clip = dict(arch='GA2-Tiny-Random', weights=None)
cfg.backbone.update(clip=clip, vision_ctx=2, vision_depth=2, grad_checkpointing=False)
cfg.cls_head.update(clip=clip, language_ctx=2, language_depth=2, grad_checkpointing=False,
                    classnames=['a', 'b'], hard_prompt=torch.zeros(2, 64))
cfg.cls_head['anchor_loss'] = None  # the released recipe's anchors are off already
torch.manual_seed(0)
with DefaultScope.overwrite_default_scope('mmaction'):
    model = MODELS.build(cfg)
ckpt = dict(state_dict=model.state_dict(), meta=dict())
assert shrink_checkpoint(model, ckpt)
path = os.path.join(tempfile.mkdtemp(), 'small.pth')
torch.save(ckpt, path)
torch.manual_seed(0)  # the same frozen weights: the small checkpoint refills
with DefaultScope.overwrite_default_scope('mmaction'):
    load_checkpoint(MODELS.build(cfg), path, strict=True, logger='silent')
out['after_use'] = snapshot()
out['safe_use'] = safe_global_names()
out['drn'] = None
from mmaction.registry import MODELS as A_MODELS
drn = A_MODELS.module_dict.get('DRN')
out['drn'] = getattr(drn, '__module__', None)
print('RESULT ' + json.dumps(out))
'''


@pytest.fixture(scope='module')
def observed(tmp_path_factory):
    import os.path as osp
    root = osp.dirname(osp.dirname(osp.abspath(__file__)))
    proc = subprocess.run([sys.executable, '-c', SCRIPT, osp.join(root, 'configs', 'ga2clip_b2n_hmdb51.py')],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(line for line in proc.stdout.splitlines() if line.startswith('RESULT '))
    return json.loads(line[len('RESULT '):])


@pytest.mark.parametrize('stage', ['after', 'after_use'])
def test_framework_objects_are_the_same_objects(observed, stage):
    before, now = observed['before'], observed[stage]
    assert len(before) > 250  # the list: loaders, backends, DDP, launchers, hooks, every registered name
    changed = sorted(name for name, ident in before.items() if now.get(name) != ident)
    assert changed == [], f'{len(changed)} objects of MMEngine/MMAction2/mmcv/torch replaced: {changed[:20]}'


def test_the_stated_list_is_covered(observed):
    names = set(observed['before'])
    for expected in ("CheckpointLoader scheme ''", "file backend 'local'", "file backend of prefix ''",
                     'mmengine.runner.checkpoint._load_checkpoint_to_model',
                     'mmengine.runner.runner._load_checkpoint_to_model', 'mmengine.dist.utils._init_dist_pytorch',
                     'mmengine.dist.utils._init_dist_slurm', 'mmengine.dist.utils._init_dist_mpi',
                     'MMDistributedDataParallel.__init__', 'mmaction ColorJitter.adjust_hue', 'torch.load',
                     "registry mmengine::transform 'RandomGrayscale'",  # mmcv's (in MMEngine's root registry)
                     "registry mmaction::transform 'ColorJitter'"):
        assert expected in names, expected


def test_nothing_is_added_to_their_modules(observed):
    """E.g. no module-level ``open`` in mmengine.hooks.checkpoint_hook, no new file backend prefix."""
    added = sorted(set(observed['after_use']) - set(observed['before']))
    for name in added:
        assert not name.startswith(('mmengine.hooks.checkpoint_hook.', 'file backend of prefix',
                                    'CheckpointLoader scheme')), name


def test_documented_exception_torch_allowlist_gets_exactly_mmengines_globals(observed):
    """Import adds exactly :data:`SAFE_GLOBALS` (what MMEngine's checkpoints reference) to torch's allowlist, through
    torch's own ``add_safe_globals``; nothing is removed, and using the plugin adds nothing more."""
    from ga2clip_mmaction.utils.checkpoint import SAFE_GLOBALS
    expected = {name for _, name in SAFE_GLOBALS}
    added = set(observed['safe_after']) - set(observed['safe_before'])
    assert {name for name in added if not name.startswith('torch.')} == expected - set(observed['safe_before'])
    assert set(observed['safe_before']) <= set(observed['safe_after'])
    assert {n for n in set(observed['safe_use']) - set(observed['safe_after']) if not n.startswith('torch.')} == set()


def test_documented_exception_open_clip_gets_only_our_configs(observed):
    added = sorted(set(observed['clip_after']) - set(observed['clip_before']))
    assert added == ['GA2-Tiny', 'GA2-Tiny-Random']
    assert set(observed['clip_before']) <= set(observed['clip_after'])


def test_documented_exception_drn_placeholder(observed):
    from ga2clip_mmaction.compat import mmaction_fixes
    if mmaction_fixes.drn_missing():
        assert observed['drn'] == 'ga2clip_mmaction.compat.mmaction_fixes'
    assert set(DOCUMENTED_EXCEPTIONS) == {'mmaction MODELS "DRN"', 'open_clip model configs',
                                          'torch weights_only allowlist'}


# ---------------------------------------------------------------------- no shadowing
#: Our registrations that take a name another library owns, on purpose (documented above).
SHADOWING_EXCEPTIONS = {('mmaction', 'model', 'DRN')}


def _tree(root: Registry):
    yield root
    for child in root._children.values():
        yield from _tree(child)


def _populated_roots():
    """MMEngine's root registries with MMEngine's, mmcv's, MMAction2's and our registrations imported."""
    import mmcv.cnn  # noqa: F401
    import mmcv.transforms  # noqa: F401
    import mmengine.hooks  # noqa: F401
    import mmengine.model  # noqa: F401
    import mmengine.optim  # noqa: F401
    import mmengine.runner  # noqa: F401
    import mmengine.registry as root_module
    import ga2clip_mmaction  # noqa: F401
    import mmaction.datasets  # noqa: F401
    import mmaction.engine  # noqa: F401
    import mmaction.evaluation  # noqa: F401
    import mmaction.models  # noqa: F401
    import mmaction.visualization  # noqa: F401
    return [r for r in vars(root_module).values() if isinstance(r, Registry) and r.parent is None]


def ours(obj) -> bool:
    return getattr(obj, '__module__', '').startswith('ga2clip_mmaction')


def test_no_name_we_register_shadows_a_name_of_another_library():
    """A name of ours in a registry must not exist in any other registry of the same tree: not in MMEngine's
    root, not in MMAction2's (a parent of our child registries), not in mmcv's or another library's scope (a
    sibling: under the ``mmaction`` scope ours would win)."""
    checked, clashes = 0, []
    for root in _populated_roots():
        tree = list(_tree(root))
        for reg in tree:
            for name, obj in reg.module_dict.items():
                if not ours(obj) or (reg.scope, reg.name, name) in SHADOWING_EXCEPTIONS:
                    continue
                checked += 1
                for other in tree:
                    if other is not reg and name in other.module_dict and other.module_dict[name] is not obj:
                        clashes.append(f'{reg.scope}::{reg.name} {name!r} shadows {other.scope}::{other.name}')
    assert checked >= 40
    assert clashes == []


def test_our_file_backend_has_its_own_name():
    from mmengine.fileio import LocalBackend
    from mmengine.fileio.backends.registry_utils import backends
    import ga2clip_mmaction  # noqa: F401
    ours_ = {name for name, cls in backends.items() if ours(cls)}
    assert ours_ == {'atomic_local'} and backends['local'] is LocalBackend
