"""Each compat fix: the upstream bug shows without it, is gone with it, and the fix does nothing
when its probe finds the bug absent (a fixed upstream release)."""
import colorsys
import json
import subprocess
import sys

import numpy as np
import pytest
from mmaction.datasets.transforms.processing import ColorJitter

from ga2clip_mmaction import compat
from ga2clip_mmaction.compat import distributed as cd
from ga2clip_mmaction.compat import mmaction_fixes as mf

DRN_MODULES = ('mmaction.models.localizers.drn', 'mmaction.models.localizers.drn.drn')

#: Run in a fresh interpreter that never imports ga2clip_mmaction.
UNPATCHED_SCRIPT = r'''
import json
import numpy as np
from mmaction.datasets.transforms.processing import ColorJitter
out = {}
try:
    ColorJitter.adjust_hue(np.full((1, 1, 3), (255, 0, 0), np.float32), -0.1)
    out['hue'] = 'ok'
except OverflowError as err:
    out['hue'] = f'OverflowError: {err}'
try:
    import mmaction.models
    out['models'] = 'ok'
except ModuleNotFoundError as err:
    out['models'] = f'ModuleNotFoundError: {err}'
import os
import torch
from mmengine.dist import init_dist
os.environ.update(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1')
try:
    init_dist('pytorch', backend='gloo', init_method=INIT_METHOD, rank=0, world_size=1)
    out['init_dist'] = 'ok'
    torch.distributed.destroy_process_group()
except RuntimeError as err:
    out['init_dist'] = f'RuntimeError: {err}'
out['cuda'] = torch.cuda.is_available()
print(json.dumps(out))
'''


@pytest.fixture(scope='module')
def unpatched(tmp_path_factory) -> dict:
    """What the installed mmaction2 does without our fixes (a file rendezvous: no port to pick)."""
    init_method = f"file://{tmp_path_factory.mktemp('unpatched') / 'rendezvous'}"
    script = UNPATCHED_SCRIPT.replace('INIT_METHOD', repr(init_method))
    proc = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_mmaction_models_import_fails_without_the_drn_fix(unpatched):
    if not mf.drn_missing():
        pytest.skip('the installed mmaction2 ships the DRN localizer: bug absent')
    assert unpatched['models'].startswith('ModuleNotFoundError')
    assert 'drn' in unpatched['models']


def test_drn_fix_makes_mmaction_models_importable():
    import mmaction.models
    from mmaction.models import DRN, Recognizer3D  # noqa: F401
    assert compat.APPLIED['missing_drn_localizer'] == mf.drn_missing()
    if mf.drn_missing():
        with pytest.raises(ImportError, match='mmaction2#2714'):
            DRN()


@pytest.mark.parametrize('has_drn', [True, False])
def test_drn_probe_looks_at_the_installed_files(tmp_path, monkeypatch, has_drn):
    (tmp_path / 'models' / 'localizers').mkdir(parents=True)
    if has_drn:
        (tmp_path / 'models' / 'localizers' / 'drn').mkdir()
    monkeypatch.setattr(mf, '_mmaction_dir', lambda: str(tmp_path))
    assert mf.drn_missing() is not has_drn


def test_drn_fix_is_inert_when_drn_is_present(tmp_path, monkeypatch):
    (tmp_path / 'models' / 'localizers' / 'drn').mkdir(parents=True)
    monkeypatch.setattr(mf, '_mmaction_dir', lambda: str(tmp_path))
    for name in DRN_MODULES:
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert mf.fix_missing_drn_localizer() is False
    assert not any(name in sys.modules for name in DRN_MODULES)


def test_hue_shift_overflows_without_the_colorjitter_fix(unpatched):
    if unpatched['hue'] == 'ok':
        pytest.skip('the installed mmaction2 shifts hue without overflow: bug absent')
    assert unpatched['hue'].startswith('OverflowError')


def expected_hue_shift(rgb, factor: float) -> np.ndarray:
    """Rotate the hue of saturated RGB colours by ``int(factor * 255)`` OpenCV hue units (2 deg)."""
    out = []
    for r, g, b in rgb:
        h, s, v = colorsys.rgb_to_hsv(r / 255, g / 255, b / 255)
        h = ((round(h * 180) + int(factor * 255)) % 180) / 180
        out.append([255 * c for c in colorsys.hsv_to_rgb(h, s, v)])
    return np.array(out)


# magenta (hue 150) + 127 passes 255: numpy 2 wraps it silently in uint8 without the fix
@pytest.mark.parametrize('factor', [-0.1, 0.1, -0.5, 0.5])
def test_colorjitter_fix_gives_the_correct_hue(factor):
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 0, 255)]
    img = np.array(colours, dtype=np.float32).reshape(2, 2, 3)
    out = ColorJitter.adjust_hue(img, factor)
    assert out.dtype == np.float32 and out.shape == (2, 2, 3)
    np.testing.assert_allclose(out.reshape(4, 3), expected_hue_shift(colours, factor), atol=1.5)


def test_colorjitter_transform_with_hue_jitter_runs():
    rng = np.random.default_rng(0)
    imgs = [rng.integers(0, 256, (8, 8, 3)).astype(np.uint8) for _ in range(4)]
    np.random.seed(1)  # ColorJitter draws its factors from numpy's global generator
    results = ColorJitter(hue=0.5)(dict(imgs=imgs))
    assert len(results['imgs']) == 4 and results['imgs'][0].shape == (8, 8, 3)


def test_colorjitter_fix_is_inert_when_upstream_is_fixed(monkeypatch):
    def fixed_upstream(img, factor):
        return mf._adjust_hue_int(img, factor)

    monkeypatch.setattr(ColorJitter, 'adjust_hue', staticmethod(fixed_upstream))
    assert mf.colorjitter_hue_overflows() is False
    assert mf.fix_colorjitter_hue_numpy2() is False
    assert ColorJitter.adjust_hue is fixed_upstream


def test_apply_all_is_idempotent():
    patched = ColorJitter.adjust_hue
    before = dict(compat.APPLIED)
    assert compat.apply_all() == before
    assert set(compat.FIXES) <= set(before) <= set(compat.FIXES) | set(compat.LAZY_FIXES)
    assert ColorJitter.adjust_hue is patched


# ---------------------------------------------------------------------- distributed without CUDA
import os  # noqa: E402
from unittest import mock  # noqa: E402

import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
import mmengine.dist.utils as dist_utils  # noqa: E402
from mmengine.dist import init_dist  # noqa: E402
from mmengine.model import MMDistributedDataParallel  # noqa: E402


no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason='the fix acts only where CUDA is absent')


def test_init_dist_needs_cuda_without_the_fix(unpatched):
    if unpatched['cuda']:
        pytest.skip('CUDA is available: init_dist may select a device')
    assert unpatched['init_dist'].startswith('RuntimeError')


@pytest.fixture
def dist_env(monkeypatch):
    """Launcher variables for a 1-rank group; every variable init_dist writes is restored."""
    for key in ('RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        monkeypatch.delenv(key, raising=False)
    yield dict(MASTER_ADDR='127.0.0.1')
    if dist.is_initialized():
        dist.destroy_process_group()


@pytest.fixture
def rendezvous(tmp_path) -> dict:
    """``init_dist`` arguments of a 1-rank group meeting in a file (race-free: no port is picked)."""
    return dict(init_method=f"file://{tmp_path / 'rendezvous'}", rank=0, world_size=1)


@no_cuda
def test_fix_is_recorded_and_gone_after_it_acted():
    assert compat.apply_distributed_now() is True
    assert compat.APPLIED['distributed_without_cuda'] is True
    assert cd.init_dist_sets_cuda_device() == []  # the initialisers no longer call set_device


@no_cuda
@pytest.mark.parametrize('launcher', ['pytorch', 'slurm'])
def test_init_dist_runs_on_gloo_without_cuda(launcher, dist_env, rendezvous, monkeypatch):
    env = dict(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1') if launcher == 'pytorch' else dict(
        SLURM_PROCID='0', SLURM_NTASKS='1', SLURM_LOCALID='0', SLURM_NODELIST='localhost')
    for key, value in {**dist_env, **env}.items():
        monkeypatch.setenv(key, value)
    init_dist(launcher, backend='gloo', **rendezvous)
    assert dist.get_backend() == 'gloo' and dist.get_world_size() == 1
    out = torch.ones(2)
    dist.all_reduce(out)
    assert out.tolist() == [1.0, 1.0]


@no_cuda
def test_nccl_without_cuda_starts_gloo_at_run_time(dist_env, rendezvous, monkeypatch):
    for key, value in {**dist_env, 'RANK': '0', 'LOCAL_RANK': '0', 'WORLD_SIZE': '1'}.items():
        monkeypatch.setenv(key, value)
    init_dist('pytorch', backend='nccl', **rendezvous)  # what every config says
    assert dist.get_backend() == 'gloo' and dist.get_world_size() == 1


@no_cuda
def test_ddp_of_a_cpu_model_drops_device_ids(dist_env, rendezvous, monkeypatch):
    for key, value in {**dist_env, 'RANK': '0', 'LOCAL_RANK': '0', 'WORLD_SIZE': '1'}.items():
        monkeypatch.setenv(key, value)
    init_dist('pytorch', backend='gloo', **rendezvous)
    assert cd.ddp_gets_device_ids_for_cpu_module()  # what Runner.wrap_model passes
    with pytest.raises(ValueError, match='device_ids'):  # torch's DDP without the fix
        MMDistributedDataParallel.__init__.__wrapped__(
            MMDistributedDataParallel.__new__(MMDistributedDataParallel), torch.nn.Linear(2, 2),
            device_ids=[0])
    ddp = MMDistributedDataParallel(module=torch.nn.Linear(2, 2), device_ids=[0])
    assert ddp.device_ids is None


def test_fix_is_inert_with_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    assert cd.init_dist_sets_cuda_device() == []
    calls = []
    wrapped = cd._cpu_init(lambda backend, **kw: calls.append((backend, torch.cuda.set_device)))
    wrapped('nccl')
    assert calls == [('nccl', torch.cuda.set_device)]  # nccl allowed, set_device untouched
    assert getattr(torch.cuda.set_device, '__name__', '') == 'set_device'


@no_cuda
def test_probe_sees_the_bug_and_the_fix_skips_a_fixed_mmengine(monkeypatch):
    original = dist_utils._init_dist_pytorch.__wrapped__  # MMEngine's own, before the fix
    monkeypatch.setattr(dist_utils, '_init_dist_pytorch', original)
    assert '_init_dist_pytorch' in cd.init_dist_sets_cuda_device()

    def fixed_upstream(backend, **kwargs):
        dist.init_process_group(backend=backend, **kwargs)

    monkeypatch.setattr(dist_utils, '_init_dist_pytorch', fixed_upstream)
    assert '_init_dist_pytorch' not in cd.init_dist_sets_cuda_device()
    cd.fix_distributed_without_cuda()
    assert dist_utils._init_dist_pytorch is fixed_upstream  # not wrapped


def test_probe_leaves_the_environment_alone():
    before = dict(os.environ)
    cd.init_dist_sets_cuda_device()
    cd.ddp_gets_device_ids_for_cpu_module()
    assert dict(os.environ) == before and not dist.is_initialized()


@pytest.mark.parametrize('cuda', [False, True])
def test_runtime_config_says_nccl_on_any_machine_and_has_no_buffer_sync(cuda, monkeypatch):
    from mmengine.config import Config
    from tests.conftest import REPO_ROOT
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: cuda)
    cfg = Config.fromfile(os.path.join(REPO_ROOT, 'configs', 'ga2clip_b2n_k400.py'))
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'  # parsing does not bake in this machine's choice
    assert 'sync_buffers' not in cfg.default_hooks
    assert all(h['type'] != 'SyncBuffersHook' for h in cfg.get('custom_hooks', []))


def test_a_config_dumped_without_cuda_starts_nccl_on_a_cuda_machine(tmp_path, monkeypatch):
    from mmengine.config import Config
    from tests.conftest import REPO_ROOT
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    dumped = str(tmp_path / 'dumped.py')
    Config.fromfile(os.path.join(REPO_ROOT, 'configs', 'ga2clip_b2n_k400.py')).dump(dumped)
    backend = Config.fromfile(dumped).env_cfg.dist_cfg.backend
    seen = []
    initialiser = cd._cpu_init(lambda b, **kw: seen.append(b))
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    initialiser(backend)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    initialiser(backend)
    assert seen == ['nccl', 'gloo']  # resolved when the process group starts, on each machine


#: Fresh interpreter: the import arms the distributed fix without probing; its first use (here DDP on a group
#: that torch started itself, so no MMEngine initialiser ran) probes, fixes and records it.
LAZY_SCRIPT = r'''
import json, sys
import torch
import ga2clip_mmaction
from ga2clip_mmaction import compat
from mmengine.model import MMDistributedDataParallel
out = dict(after_import=sorted(compat.APPLIED), armed=len(compat.distributed._STANDINS))
torch.distributed.init_process_group('gloo', init_method=sys.argv[1], rank=0, world_size=1)
try:
    out['device_ids'] = MMDistributedDataParallel(module=torch.nn.Linear(2, 2), device_ids=[0]).device_ids
except ValueError as err:
    out['device_ids'] = f'ValueError: {err}'
out.update(applied=compat.APPLIED.get('distributed_without_cuda'), armed_after=len(compat.distributed._STANDINS))
torch.distributed.destroy_process_group()
print(json.dumps(out))
'''


@no_cuda
def test_import_does_not_probe_and_the_first_ddp_use_applies_the_fix(tmp_path):
    proc = subprocess.run([sys.executable, '-c', LAZY_SCRIPT, f"file://{tmp_path / 'rendezvous'}"],
                          capture_output=True, text=True, check=True)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out == dict(after_import=['colorjitter_hue_numpy2', 'missing_drn_localizer'], armed=4,
                       device_ids=None, applied=True, armed_after=0)


def test_first_use_stand_in_puts_the_original_back_when_the_bug_is_absent(monkeypatch):
    """With CUDA (bug absent) the first call leaves MMEngine's own function installed and calls it."""
    calls = []

    def original(backend, **kwargs):
        calls.append(backend)

    class Owner:  # stands for mmengine.dist.utils
        pass

    owner = Owner
    record = {}
    standin = cd._standin(owner, 'fn', original, record)
    owner.fn = standin
    monkeypatch.setattr(cd, '_STANDINS', {(owner, 'fn'): (original, standin)})
    monkeypatch.setattr(cd, 'fix_distributed_without_cuda', lambda: False)
    owner.fn('nccl')
    assert calls == ['nccl'] and owner.fn is original and record == {cd.NAME: False}
    owner.fn('gloo')  # a second call goes straight to the original
    assert calls == ['nccl', 'gloo']
