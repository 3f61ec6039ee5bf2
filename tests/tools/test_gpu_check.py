""".dev_scripts/gpu_check.sh: the CPU dry run is wired end to end; a part past its budget loses nothing else; the
wheel check of ``.dev_scripts/gpu_wheels.sh`` refuses what would not install on the GPU machine."""
import json
import os
import os.path as osp
import subprocess
import sys
import zipfile

from gpu_check_parts.parts import run_part
from gpu_check_parts.report import write_report
from gpu_check_parts.wheels import check_wheels, wheels_main
from tests.conftest import REPO_ROOT


def test_dry_run_runs_every_part_and_writes_the_report(tmp_path):
    out = tmp_path / 'gpu'
    proc = subprocess.run(['bash', osp.join(REPO_ROOT, '.dev_scripts', 'gpu_check.sh'), '--dry-run', '--out', str(out)],
                          capture_output=True, text=True, timeout=400, env=dict(os.environ, PYTHON=sys.executable))
    logs = {p: (out / f'part_{p}.log').read_text()[-2000:] for p in 'abcd' if (out / f'part_{p}.log').exists()}
    assert proc.returncode == 0, (proc.stdout[-3000:], logs)
    report = json.loads((out / 'gpu_check.json').read_text())
    assert report['dry_run'] is True and report['device'] == 'cpu'
    assert all(report[p]['status'] == 'ok' for p in 'abcd'), {p: report[p]['status'] for p in 'abcd'}
    a, b, c, d = (report[p]['figures'] for p in 'abcd')
    # (a) the GPU tests are collected and skip cleanly without CUDA
    assert a['tests'] >= 10 and a['skipped'] == a['tests'] and a['failed'] == 0, a
    # (b) bf16 benchmark with checkpointing on and off, and what the targets read
    assert b['dtype'] == 'bfloat16' and b['step_s_ga2'] > 0 and b['step_s_ga2_no_ckpt'] > 0
    assert b['clips_per_s_ga2_no_ckpt'] == b['batch'] / b['step_s_ga2_no_ckpt']
    assert b['step_ratio_ga2_over_ivlp'] > 0 and b['test_ratio_400_over_10'] > 0
    # (c) loader clips/s from video and from frames, with part b's speed handed over for the idle fraction
    for source in ('video', 'frames'):
        for n in (1, 2):
            assert c[f'{source}_clips_per_s_{n}_workers'] > 0
            assert 0 <= c[f'{source}_gpu_idle_fraction_{n}_workers'] <= 1
    assert c['model_clips_per_s'] == b['clips_per_s_ga2_no_ckpt']
    # (d) eager vs compiled, and no graph break in our code without the anchor-term text (see test_compile.py)
    assert d['step_s_eager'] > 0 and d['step_s_compiled'] > 0 and d['loss_diff_first_step'] < 1e-2
    assert d['graph_breaks'] >= 1 and any('accuracy.py' in r for r in d['graph_break_reasons'])
    text = (out / 'gpu_check.md').read_text()
    assert '| (d) torch.compile vs eager | ok |' in text
    assert 'GA2 / IVLP training step (`b.step_ratio_ga2_over_ivlp`)' in text and 'smoke (not judged)' in text
    assert '[gpu_check] GA2 / IVLP training step' in proc.stdout  # each figure printed against its target


def test_a_part_past_its_budget_is_killed_and_reported(tmp_path):
    start = __import__('time').perf_counter()
    res = run_part([sys.executable, '-c', 'import time; print("started", flush=True); time.sleep(60)'],
                   1.5, str(tmp_path / 'p.log'), dict(os.environ))
    assert __import__('time').perf_counter() - start < 20
    assert res['status'] == 'timeout after 1.5 s' and res['rc'] is None
    assert 'started' in (tmp_path / 'p.log').read_text()
    results = dict(device='cpu', a=dict(res, figures=dict(failed=0)), b=dict(res, status='ok', figures=dict(
        step_ratio_ga2_over_ivlp=1.2, test_ratio_400_over_10=0.9)))
    write_report(str(tmp_path), results, dry=False)
    md = (tmp_path / 'gpu_check.md').read_text()
    assert '| (a) GPU tests (pytest -m cuda) | timeout after 1.5 s |' in md
    assert '| GA2 / IVLP training step (`b.step_ratio_ga2_over_ivlp`) | 1.2 | <= 1.05 | MISSES |' in md
    assert '| test time per clip, 400 / 10 class names (`b.test_ratio_400_over_10`) | 0.9 | <= 1.05 | meets |' in md
    assert '| MFU, bf16, checkpointing off (`b.mfu_ga2_no_ckpt`) | - | >= 0.4 | not measured |' in md
    assert json.loads((tmp_path / 'gpu_check.json').read_text())['b']['figures']['step_ratio_ga2_over_ivlp'] == 1.2


def fake_wheel(folder, name: str, version: str, tag: str, requires=(), size: int = 0) -> None:
    path = folder / f'{name}-{version}-{tag}.whl'
    with zipfile.ZipFile(path, 'w') as zf:
        meta = [f'Name: {name}', f'Version: {version}'] + [f'Requires-Dist: {r}' for r in requires]
        zf.writestr(f'{name}-{version}.dist-info/METADATA', '\n'.join(meta) + '\n')
        zf.writestr('pad.bin', os.urandom(size))


def test_wheel_check(tmp_path):
    ok = tmp_path / 'ok'
    ok.mkdir()
    fake_wheel(ok, 'mmengine', '0.10.7', 'py3-none-any', ['addict', 'numpy', 'tomli; python_version < "3.11"',
                                                           'pytest; extra == "tests"'])
    fake_wheel(ok, 'addict', '2.4.0', 'py3-none-any')
    fake_wheel(ok, 'wcwidth', '0.9.4', 'cp310-abi3-manylinux2014_x86_64')
    fake_wheel(ok, 'hypothesis', '6.1', 'cp312-cp312-manylinux_2_17_x86_64', ['sortedcontainers<3'])
    res = check_wheels(str(ok), 60)
    assert res['problems'] == [] and len(res['wheels']) == 4
    assert wheels_main([str(ok), '--limit-mib', '60']) == 0

    bad = tmp_path / 'bad'
    bad.mkdir()
    fake_wheel(bad, 'decord', '0.6.0', 'cp311-cp311-manylinux2010_x86_64')  # another Python
    fake_wheel(bad, 'ftfy', '6.3.1', 'py3-none-any', ['wcwidth'])  # its dependency not carried
    fake_wheel(bad, 'termcolor', '3.3.0', 'py3-none-any')
    fake_wheel(bad, 'termcolor', '3.2.0', 'py3-none-any')  # two versions stop the whole install
    fake_wheel(bad, 'torch', '2.14.1', 'cp312-cp312-manylinux_2_28_x86_64')  # the machine has its own
    fake_wheel(bad, 'yapf', '0.43.0', 'py3-none-macosx_11_0_arm64', size=2 * 2**20)
    problems = ' | '.join(check_wheels(str(bad), 1.0)['problems'])
    for expected in ('decord-0.6.0-cp311', 'needs wcwidth', 'two versions of termcolor', 'machine\'s own torch',
                     'yapf-0.43.0-py3-none-macosx', 'over the 1 MiB limit'):
        assert expected in problems, (expected, problems)
    assert wheels_main([str(bad), '--limit-mib', '1']) == 1
