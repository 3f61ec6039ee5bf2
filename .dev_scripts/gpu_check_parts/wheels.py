"""The wheel check of ``.dev_scripts/gpu_wheels.sh``: do the carried wheels install on the GPU machine's Python?

``python .dev_scripts/gpu_check.py wheels .whl --limit-mib 60`` lists the wheels with their sizes and every problem that
would stop ``.dev_scripts/gpu_check.sh``'s offline install (``pip install --no-index --no-deps``) on the GPU machine.
"""
import argparse
import os
import os.path as osp
import re
import zipfile
from typing import Dict, List, Set

#: Distributions the GPU machine already has (its image; torch and friends are never carried).
MACHINE_HAS: Set[str] = {
    'torch', 'torchvision', 'triton', 'numpy', 'opencv-python-headless', 'pytest', 'pytest-xdist', 'rich', 'regex',
    'pyyaml', 'tqdm', 'timm', 'huggingface-hub', 'safetensors', 'einops', 'scipy', 'pillow', 'packaging', 'zipp',
    'sortedcontainers', 'matplotlib', 'attrs', 'filelock', 'setuptools'}
#: Declared requirements that the code never imports on the check's paths (opencv: the headless build provides cv2).
NOT_NEEDED: Set[str] = {'opencv-python', 'opencv-contrib-python', 'exceptiongroup', 'tomli'}


def _norm(name: str) -> str:
    """The normalised form of a distribution name (PEP 503: runs of ``-_.`` become ``-``, lower case)."""
    return re.sub(r'[-_.]+', '-', name).lower()


def check_wheels(folder: str, limit_mib: float) -> Dict[str, object]:
    """List the wheels of ``folder`` and check them for the GPU machine.

    Checks: every wheel installs on CPython 3.12 manylinux x86_64 (tags), one version per distribution, no torch,
    every ``Requires-Dist`` (without extras or markers that exclude Python 3.12 on Linux) is carried or on the
    machine, and the total size is at most ``limit_mib``.

    Args:
        folder (str): The wheel folder (``.whl``).
        limit_mib (float): Size limit in MiB.

    Returns:
        dict: ``wheels`` (name -> MiB), ``total_mib``, ``problems`` (list of str).
    """
    from packaging.markers import Marker
    from packaging.requirements import Requirement
    from packaging.utils import parse_wheel_filename
    env = dict(python_version='3.12', python_full_version='3.12.3', sys_platform='linux', platform_system='Linux',
               platform_machine='x86_64', implementation_name='cpython', os_name='posix', extra='')
    problems: List[str] = []
    wheels: Dict[str, float] = {}
    names: Dict[str, str] = {}
    files = sorted(f for f in os.listdir(folder) if f.endswith('.whl')) if osp.isdir(folder) else []
    if not files:
        problems.append(f'no wheels in {folder} (run `.dev_scripts/gpu_wheels.sh`)')
    for fname in files:
        name, version, _, tags = parse_wheel_filename(fname)
        name = _norm(name)
        wheels[fname] = osp.getsize(osp.join(folder, fname)) / 2**20
        if name in names:
            problems.append(f'two versions of {name}: {names[name]} and {fname}')
        names[name] = fname
        if name in ('torch', 'torchvision', 'triton'):
            problems.append(f'{fname}: the machine\'s own {name} must be used')
        ok = any((t.interpreter in ('py3', 'py2.py3', 'cp312') or (t.abi == 'abi3' and t.interpreter <= 'cp312'))
                 and (t.platform == 'any' or (t.platform.startswith('manylinux') and t.platform.endswith('x86_64')))
                 for t in tags)
        if not ok:
            problems.append(f'{fname}: not installable on CPython 3.12 manylinux x86_64')
    for fname in files:
        with zipfile.ZipFile(osp.join(folder, fname)) as zf:
            meta = next(n for n in zf.namelist() if n.endswith('.dist-info/METADATA'))
            lines = zf.read(meta).decode('utf-8', 'replace').splitlines()
        for line in lines:
            if not line.startswith('Requires-Dist:'):
                continue
            req = Requirement(line.split(':', 1)[1].strip())
            if req.marker is not None and not Marker(str(req.marker)).evaluate(env):
                continue  # an extra, or another Python / platform
            dep = _norm(req.name)
            if dep not in names and dep not in MACHINE_HAS and dep not in NOT_NEEDED:
                problems.append(f'{fname} needs {req.name}, neither carried nor on the machine')
    total = sum(wheels.values())
    if total > limit_mib:
        problems.append(f'total {total:.1f} MiB over the {limit_mib:g} MiB limit')
    return dict(wheels=wheels, total_mib=total, problems=problems)


def wheels_main(argv: List[str]) -> int:
    """The ``wheels`` sub-command: print the wheels, their total size and each problem.

    Args:
        argv (list[str]): Its command line: the wheel folder, ``--limit-mib`` (default 60).

    Returns:
        int: The exit status, 1 when there is a problem.
    """
    parser = argparse.ArgumentParser(description='check the wheels for the GPU machine')
    parser.add_argument('folder')
    parser.add_argument('--limit-mib', type=float, default=60.0)
    args = parser.parse_args(argv)
    out = check_wheels(args.folder, args.limit_mib)
    for fname, mib in out['wheels'].items():
        print(f'{mib:7.2f} MiB  {fname}')
    print(f'{out["total_mib"]:7.2f} MiB  total ({len(out["wheels"])} wheels, limit {args.limit_mib:g} MiB)')
    for problem in out['problems']:
        print('PROBLEM:', problem)
    return 1 if out['problems'] else 0

