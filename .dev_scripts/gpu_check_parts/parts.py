"""The parts of ``.dev_scripts/gpu_check.py run``: what each one executes, its time budget, and its figures.

Each part is a subprocess in its own process group, killed with the group at its budget, its output in a log file.
"""
import importlib.util
import os
import os.path as osp
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from typing import Dict, List, Optional

from .common import BENCH_CONFIG, ROOT, TINY, read_json

#: Seconds each part of the real run may take: 400 s, plus at most 60 s of wheel install (.dev_scripts/gpu_check.sh), so
#: the whole check stays under 8 minutes.
BUDGETS: Dict[str, float] = {'a': 110, 'b': 120, 'c': 60, 'd': 110}
#: Budgets of the CPU dry run (smoke size).
DRY_BUDGETS: Dict[str, float] = {'a': 60, 'b': 90, 'c': 60, 'd': 90}  # generous: a loaded 2-core CI machine
#: What each part measures, as the report names it.
PART_NAMES: Dict[str, str] = {
    'a': 'GPU tests (pytest -m cuda)', 'b': 'benchmark (ViT-B/16, 32x224, batch 8, bf16)',
    'c': 'data loading (8 / 16 workers)', 'd': 'torch.compile vs eager'}


def part_command(part: str, out_dir: str, fig_file: str, dry: bool,
                 model_clips_per_s: Optional[float] = None) -> List[str]:
    """The command line of one part, run from the repository root.

    Args:
        part (str): ``'a'`` (GPU tests), ``'b'`` (benchmark), ``'c'`` (data loading) or ``'d'`` (compile).
        out_dir (str): The check's output folder (part a's JUnit file goes there).
        fig_file (str): The JSON file of the part's figures (parts b, c, d).
        dry (bool): Smoke size on the CPU.
        model_clips_per_s (float, optional): Part b's training clips/s, for part c's GPU idle fraction.

    Returns:
        list[str]: The command.
    """
    py = sys.executable
    if part == 'a':
        cmd = [py, '-m', 'pytest', '-m', 'cuda', 'tests/cuda', '-q', '-p', 'no:cacheprovider', '-rs',
               f'--junitxml={junit_file(out_dir)}']
        if not dry and importlib.util.find_spec('xdist'):  # 16 cores, one GPU: tiny models share it
            cmd += ['-n', '4']
    elif part == 'b':
        cmd = [py, 'tools/benchmark.py', BENCH_CONFIG, '--amp', '--extra', '--json', '--out', fig_file]
        cmd += (['--arch', 'GA2-Tiny-Random', '--frames', '2', '--batch', '2', '--iters', '1', '--warmup', '0',
                 '--device', 'cpu', '--cfg-options', *TINY] if dry else
                ['--frames', '32', '--batch', '8', '--iters', '8', '--device', 'cuda'])
    elif part == 'c':
        cmd = [py, '.dev_scripts/gpu_check.py', 'data', '--out', fig_file] + (['--dry-run'] if dry else [])
        if model_clips_per_s:
            cmd += ['--model-clips-per-s', str(model_clips_per_s)]
    else:
        cmd = [py, '.dev_scripts/gpu_check.py', 'compile', '--out', fig_file] + \
            (['--dry-run', '--backend', 'eager', '--iters', '1'] if dry else [])
    return cmd


def junit_file(out_dir: str) -> str:
    """Part a's JUnit XML file in ``out_dir``."""
    return osp.join(out_dir, 'part_a_junit.xml')


def run_part(cmd: List[str], budget: float, log: str, env: Dict[str, str]) -> Dict[str, object]:
    """Run ``cmd`` from the repository root in its own process group, killed at ``budget`` seconds.

    Args:
        cmd (list[str]): The command.
        budget (float): Seconds it may take.
        log (str): File for its stdout and stderr.
        env (dict[str, str]): Its environment.

    Returns:
        dict: ``status`` (``'ok'``, ``'failed (exit N)'`` or ``'timeout after S s'``), ``rc`` (None on timeout),
        ``seconds``, ``budget_s`` and ``log`` (the log's file name).
    """
    start = time.perf_counter()
    with open(log, 'w') as f:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            rc = proc.wait(timeout=budget)
            status = 'ok' if rc == 0 else f'failed (exit {rc})'
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            rc, status = None, f'timeout after {budget:g} s'
    return dict(status=status, rc=rc, seconds=round(time.perf_counter() - start, 1), budget_s=budget,
                log=osp.basename(log))


def junit_counts(path: str) -> Dict[str, object]:
    """Test counts of a pytest JUnit XML file.

    Args:
        path (str): The file.

    Returns:
        dict: ``tests``, ``failed`` (failures and errors), ``skipped``, ``passed`` and ``cases`` (test name ->
        ``'passed'``, ``'failed'`` or ``'skipped'``); empty when the file is missing or unreadable.
    """
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return {}
    suite = root if root.tag == 'testsuite' else root.find('testsuite')
    counts = {k: int(suite.get(k, 0)) for k in ('tests', 'failures', 'errors', 'skipped')}
    counts['failed'] = counts.pop('failures') + counts.pop('errors')
    counts['passed'] = counts['tests'] - counts['failed'] - counts['skipped']
    counts['cases'] = {f'{c.get("name")}': ('skipped' if c.find('skipped') is not None else
                                            'failed' if c.find('failure') is not None or c.find('error') is not None
                                            else 'passed') for c in suite.iter('testcase')}
    return counts


def part_figures(part: str, out_dir: str, fig_file: str) -> Dict[str, object]:
    """The figures a finished part left: part a's test counts, the JSON file of the others.

    Part b's training clips/s (``clips_per_s_ga2_no_ckpt``) are derived from its step time here.

    Args:
        part (str): ``'a'`` to ``'d'``.
        out_dir (str): The check's output folder.
        fig_file (str): The part's JSON file (parts b, c, d).

    Returns:
        dict: The figures (empty when the part wrote none).
    """
    if part == 'a':
        return junit_counts(junit_file(out_dir))
    fig = read_json(fig_file) or {}
    if part == 'b' and 'step_s_ga2_no_ckpt' in fig:
        fig['clips_per_s_ga2_no_ckpt'] = fig['batch'] / fig['step_s_ga2_no_ckpt']
    return fig
