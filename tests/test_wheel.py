"""The installed package holds only the method: ``pip wheel . --no-deps`` gives a wheel under 1 MiB with no weights,
synthetic-world, demo or parity files (those live in ``projects/``, installed editable by ``make setup``).

The wheel is built from a copy of the repository (the checkout's own ``build/`` may hold files of an older build,
which setuptools would pack again), offline: ``--no-build-isolation`` uses the installed setuptools.
"""
import importlib.util
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import REPO_ROOT

#: What a wheel of the method may weigh.
LIMIT_BYTES = 2**20
#: File names that belong to the demo, the synthetic world, the parity harness or model weights.
FORBIDDEN = re.compile(r'(^|/)(synthetic|assets)/|demo|parity|released_reference|clustered|chart\.py|'
                       r'\.(pt|pth|ckpt|bin|safetensors|npz)$')
#: What the method's wheel must hold (so an empty or misnamed wheel does not pass): the package, its registered
#: components and the open_clip model configs it registers (a documented exception to "only the method's code").
REQUIRED = ('ga2clip_mmaction/__init__.py', 'ga2clip_mmaction/models/recognizers/ga2clip.py',
            'ga2clip_mmaction/models/clip_configs/GA2-Tiny.json')
#: Top-level entries not copied into the build folder: environments, caches, earlier builds and outputs.
SKIPPED_AT_ROOT = {'.git', '.venv', 'build', 'dist', 'work_dirs', 'data', '.whl', '.pytest_cache', 'gpu_check_out'}


def _ignored(folder: str, names: list) -> set:
    """``shutil.copytree``'s ``ignore``: caches and egg-info anywhere, :data:`SKIPPED_AT_ROOT` at the root."""
    skipped = {n for n in names if n == '__pycache__' or n.endswith('.egg-info')}
    return skipped | (SKIPPED_AT_ROOT & set(names) if osp.samefile(folder, REPO_ROOT) else set())


def build_wheel(source: str, out_dir: str) -> str:
    """Build the wheel of ``source`` into ``out_dir`` with pip, offline; return its path."""
    if importlib.util.find_spec('setuptools') is None:
        pytest.skip('building the wheel offline needs setuptools installed (pip wheel --no-build-isolation)')
    try:
        from setuptools.command import bdist_wheel  # noqa: F401  (setuptools >= 70.1)
    except ImportError:
        if importlib.util.find_spec('wheel') is None:
            pytest.skip('building the wheel offline needs setuptools >= 70.1 or the wheel package')
    proc = subprocess.run([sys.executable, '-m', 'pip', 'wheel', source, '--no-deps', '--no-build-isolation',
                           '--no-index', '-q', '-w', out_dir], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (wheel, ) = [f for f in os.listdir(out_dir) if f.endswith('.whl')]
    return osp.join(out_dir, wheel)


def check_wheel(path: str) -> list:
    """Problems of a method wheel: its size, forbidden files in it, required files missing."""
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
    problems = [f'{osp.getsize(path)} bytes (limit {LIMIT_BYTES})'] if osp.getsize(path) >= LIMIT_BYTES else []
    problems += [f'forbidden file {n}' for n in names if FORBIDDEN.search(n)]
    problems += [f'missing {n}' for n in REQUIRED if n not in names]
    tops = {n.split('/')[0] for n in names if not n.split('/')[0].endswith('.dist-info')}
    problems += [f'package other than ga2clip_mmaction: {t}' for t in sorted(tops - {'ga2clip_mmaction'})]
    return problems


@pytest.fixture(scope='module')
def method_wheel(tmp_path_factory) -> str:
    source = str(tmp_path_factory.mktemp('src') / 'repo')
    shutil.copytree(REPO_ROOT, source, ignore=_ignored, symlinks=True)
    return build_wheel(source, str(tmp_path_factory.mktemp('whl')))


def test_wheel_holds_only_the_method_and_is_under_1_mib(method_wheel):
    assert check_wheel(method_wheel) == []


def test_the_check_sees_weights_demo_and_parity_files(method_wheel, tmp_path):
    """The check itself can fail: the same wheel with the tiny CLIP's weights, a demo module and the parity harness
    added back where they used to be."""
    bad = str(tmp_path / osp.basename(method_wheel))
    shutil.copy(method_wheel, bad)
    with zipfile.ZipFile(bad, 'a') as zf:
        zf.write(osp.join(REPO_ROOT, 'projects', 'ga2clip_demo', 'assets', 'GA2-Tiny.pt'),
                 'ga2clip_mmaction/assets/GA2-Tiny.pt')
        zf.writestr('ga2clip_mmaction/synthetic/world.py', '')
        zf.writestr('ga2clip_mmaction/evaluation/demo_report.py', '')
        zf.writestr('ga2clip_mmaction/models/parity.py', '')
        zf.writestr('ga2clip_demo/__init__.py', '')
    problems = check_wheel(bad)
    assert problems[0].endswith(f'bytes (limit {LIMIT_BYTES})')
    assert problems[1:] == ['forbidden file ga2clip_mmaction/assets/GA2-Tiny.pt',
                            'forbidden file ga2clip_mmaction/synthetic/world.py',
                            'forbidden file ga2clip_mmaction/evaluation/demo_report.py',
                            'forbidden file ga2clip_mmaction/models/parity.py',
                            'forbidden file ga2clip_demo/__init__.py',
                            'package other than ga2clip_mmaction: ga2clip_demo']
