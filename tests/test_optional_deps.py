"""The method needs neither the demo's nor the parity harness's packages: every module of ``ga2clip_mmaction``
imports in a fresh interpreter where ``ga2clip_demo`` and ``ga2clip_parity`` cannot be imported; and scipy (the
extra ``stats``) is imported only when a t interval is asked for. (The demo's requirements themselves cannot be
blocked for the whole import: MMAction2 requires scipy and matplotlib, ``mmaction.datasets`` imports scipy, and
torch requires filelock; the method's setup.py no longer declares them.)"""
import subprocess
import sys

import pytest

#: What the method must not need at import: the demo's and the parity harness's packages.
BLOCKED = ('ga2clip_demo', 'ga2clip_parity')

IMPORT_ALL = '''
import importlib, pkgutil, sys
for name in {blocked!r}:
    sys.modules[name] = None  # any import of it raises ImportError
import ga2clip_mmaction, mmaction.models
names = [m.name for m in pkgutil.walk_packages(ga2clip_mmaction.__path__, 'ga2clip_mmaction.')]
for name in names:
    importlib.import_module(name)
print(len(names))
'''


def test_every_module_imports_without_the_demo_and_parity_requirements():
    proc = subprocess.run([sys.executable, '-c', IMPORT_ALL.format(blocked=BLOCKED)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert int(proc.stdout.split()[-1]) > 50  # the walk saw the package's modules


def test_paired_difference_without_scipy_names_the_extra(monkeypatch):
    from ga2clip_mmaction.evaluation import paired_difference
    assert paired_difference([0.6], [0.5])['ci_low'] is None  # one pair: no interval, no scipy needed
    monkeypatch.setitem(sys.modules, 'scipy', None)
    with pytest.raises(ImportError, match=r'ga2clip_mmaction\[stats\]'):
        paired_difference([0.6, 0.7], [0.5, 0.5])
