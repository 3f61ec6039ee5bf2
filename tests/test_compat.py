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
print(json.dumps(out))
'''


@pytest.fixture(scope='module')
def unpatched() -> dict:
    """What the installed mmaction2 does without our fixes."""
    proc = subprocess.run([sys.executable, '-c', UNPATCHED_SCRIPT], capture_output=True,
                          text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_mmaction_models_import_fails_without_the_drn_fix(unpatched):
    if not compat.drn_missing():
        pytest.skip('the installed mmaction2 ships the DRN localizer: bug absent')
    assert unpatched['models'].startswith('ModuleNotFoundError')
    assert 'drn' in unpatched['models']


def test_drn_fix_makes_mmaction_models_importable():
    import mmaction.models
    from mmaction.models import DRN, Recognizer3D  # noqa: F401
    assert compat.APPLIED['missing_drn_localizer'] == compat.drn_missing()
    if compat.drn_missing():
        with pytest.raises(ImportError, match='mmaction2#2714'):
            DRN()


@pytest.mark.parametrize('has_drn', [True, False])
def test_drn_probe_looks_at_the_installed_files(tmp_path, monkeypatch, has_drn):
    (tmp_path / 'models' / 'localizers').mkdir(parents=True)
    if has_drn:
        (tmp_path / 'models' / 'localizers' / 'drn').mkdir()
    monkeypatch.setattr(compat, '_mmaction_dir', lambda: str(tmp_path))
    assert compat.drn_missing() is not has_drn


def test_drn_fix_is_inert_when_drn_is_present(tmp_path, monkeypatch):
    (tmp_path / 'models' / 'localizers' / 'drn').mkdir(parents=True)
    monkeypatch.setattr(compat, '_mmaction_dir', lambda: str(tmp_path))
    for name in DRN_MODULES:
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert compat.fix_missing_drn_localizer() is False
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
        return compat._adjust_hue_int(img, factor)

    monkeypatch.setattr(ColorJitter, 'adjust_hue', staticmethod(fixed_upstream))
    assert compat.colorjitter_hue_overflows() is False
    assert compat.fix_colorjitter_hue_numpy2() is False
    assert ColorJitter.adjust_hue is fixed_upstream


def test_apply_all_is_idempotent():
    patched = ColorJitter.adjust_hue
    before = dict(compat.APPLIED)
    assert compat.apply_all() == before
    assert set(before) == set(compat.FIXES)
    assert ColorJitter.adjust_hue is patched
