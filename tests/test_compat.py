"""The DRN placeholder, the one compat fix: the upstream bug shows without it, is gone with it (``type='DRN'``
raises its clear message), and the fix does nothing when its probe finds the bug absent (a fixed release)."""
import json
import subprocess
import sys

import pytest

from ga2clip_mmaction import compat
from ga2clip_mmaction.compat import mmaction_fixes as mf

DRN_MODULES = ('mmaction.models.localizers.drn', 'mmaction.models.localizers.drn.drn')

#: Run in a fresh interpreter that never imports ga2clip_mmaction.
UNPATCHED_SCRIPT = r'''
import json
out = {}
try:
    import mmaction.models
    out['models'] = 'ok'
except ModuleNotFoundError as err:
    out['models'] = f'ModuleNotFoundError: {err}'
print(json.dumps(out))
'''


@pytest.fixture(scope='module')
def unpatched() -> dict:
    """What the installed mmaction2 does without the fix."""
    proc = subprocess.run([sys.executable, '-c', UNPATCHED_SCRIPT], capture_output=True, text=True, check=True)
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


def test_type_drn_in_a_config_raises_the_clear_message():
    """The placeholder is registered under MMAction2's own name, as the real module would be."""
    from mmaction.registry import MODELS
    from mmengine.registry import DefaultScope
    if not mf.drn_missing():
        pytest.skip('the installed mmaction2 ships the DRN localizer: bug absent')
    with DefaultScope.overwrite_default_scope('mmaction'), pytest.raises(ImportError, match='mmaction2#2714'):
        MODELS.build(dict(type='DRN'))


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


def test_apply_all_is_idempotent():
    before = dict(compat.APPLIED)
    assert compat.apply_all() == before
    assert set(before) == set(compat.FIXES) == {'missing_drn_localizer'}
