"""Provenance of a demo run: the code, libraries, weights, inputs and machine that produced a result record.

Every run of the demo's steps (:mod:`ga2clip_demo.steps`: stage 1, zero-shot CLIP, each trained method) writes
``<run>/provenance.json``: commit and tree hash and dirty flag of the checkout, sha256 of
``requirements/constraints.txt``, of the CLIP weights and of the hard prompt the run loads, library versions,
torch threads, CPU model, start and end times; the result records carry it. A finished run is reused only when its
recorded provenance equals the current one in everything but the times (:func:`check_reuse`); otherwise it is
refused with every difference named.
"""
import argparse
import contextlib
import hashlib
import json
import os
import os.path as osp
import platform
import subprocess
import time
from typing import Dict, List, Optional, Sequence

from .grid import REPO

#: Provenance keys that may differ when a finished run is reused (when it ran, not what ran).
TIME_KEYS = ('started', 'finished')
PROVENANCE_FILE = 'provenance.json'


class ProvenanceMismatch(RuntimeError):
    """A recorded run, or the recorded study, differs from the current one in something other than its times."""


def sha256_file(path: Optional[str]) -> Optional[str]:
    """Hex sha256 of a file's bytes (None for no path)."""
    if path is None:
        return None
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def _git(repo: str, *args: str) -> str:
    return subprocess.run(['git', '-C', repo, *args], check=True, capture_output=True, text=True).stdout.strip()


def git_state(repo: str) -> Dict[str, object]:
    """``commit``, ``tree`` and ``dirty`` (tracked changes or untracked files that are not ignored) of the
    checkout ``repo``; all None outside a git checkout."""
    try:
        return dict(commit=_git(repo, 'rev-parse', 'HEAD'), tree=_git(repo, 'rev-parse', 'HEAD^{tree}'),
                    dirty=bool(_git(repo, 'status', '--porcelain')))
    except (subprocess.CalledProcessError, FileNotFoundError):
        return dict(commit=None, tree=None, dirty=None)


def cpu_model() -> str:
    """The CPU's model name."""
    with contextlib.suppress(OSError), open('/proc/cpuinfo') as f:
        for line in f:
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    return platform.processor() or 'unknown'


def library_versions() -> Dict[str, Optional[str]]:
    """Versions of the libraries a result depends on."""
    out: Dict[str, Optional[str]] = dict(python=platform.python_version())
    for name in ('torch', 'mmengine', 'mmaction', 'open_clip', 'numpy'):
        try:
            out[name] = __import__(name).__version__
        except (ImportError, AttributeError):
            out[name] = None
    return out


def collect(repo: str, clip_weights: Optional[str], hard_prompt: Optional[str], threads: int) -> dict:
    """The provenance of a run about to start (``started`` now, ``finished`` None until :func:`finish`)."""
    constraints = osp.join(repo, 'requirements', 'constraints.txt')
    return dict(git_state(repo), constraints_sha256=sha256_file(constraints) if osp.isfile(constraints) else None,
                clip_weights_sha256=sha256_file(clip_weights), hard_prompt_sha256=sha256_file(hard_prompt),
                versions=library_versions(), torch_threads=int(threads), cpu_model=cpu_model(),
                cpu_count=os.cpu_count(), started=_now(), finished=None)


def _now() -> str:
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())


def differences(recorded: dict, current: dict, ignore: Sequence[str] = TIME_KEYS) -> List[str]:
    """Every key whose value differs (dotted inside nested dicts), ``ignore`` excepted:
    ``'key: recorded X, now Y'``."""
    out = []
    for key in sorted(set(recorded) | set(current)):
        if key in ignore:
            continue
        a, b = recorded.get(key), current.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += [f'{key}.{d}' for d in differences(a, b, ())]
        elif a != b:
            out.append(f'{key}: recorded {a!r}, now {b!r}')
    return out


def read_provenance(run_dir: str) -> Optional[dict]:
    """``<run_dir>/provenance.json``, or None."""
    path = osp.join(run_dir, PROVENANCE_FILE)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def write_provenance(run_dir: str, prov: dict) -> None:
    """Write ``<run_dir>/provenance.json``."""
    os.makedirs(run_dir, exist_ok=True)
    with open(osp.join(run_dir, PROVENANCE_FILE), 'w') as f:
        json.dump(prov, f, indent=2)


def check_reuse(run_dir: str, current: dict) -> dict:
    """The recorded provenance of the finished run in ``run_dir``, if it may be reused under ``current``.

    Raises:
        ProvenanceMismatch: The run has no recorded provenance, or it differs from ``current`` in anything but the
            times (every difference named).
    """
    recorded = read_provenance(run_dir)
    if recorded is None or recorded.get('finished') is None:
        raise ProvenanceMismatch(f'{run_dir}: a run without finished provenance ({PROVENANCE_FILE}) cannot be '
                                 'reused; delete the folder to run it again')
    diff = differences(recorded, current)
    if diff:
        raise ProvenanceMismatch(f'{run_dir}: refusing to reuse this run, its provenance differs: '
                                 f'{"; ".join(diff)}. Delete the folder to run it again.')
    return recorded


def run_inputs(config: str, workspace: str, options: Sequence[str] = ()) -> Dict[str, Optional[str]]:
    """The CLIP weights and hard prompt files ``config`` loads with the cfg ``options`` (``key=value``) merged
    (paths; the hard prompt relative to ``workspace``, None when the run has none)."""
    from mmengine.config import Config, DictAction
    cfg = Config.fromfile(config)
    if options:
        parsed = argparse.Namespace()
        DictAction(option_strings=[], dest='options')(None, parsed, list(options))
        cfg.merge_from_dict(parsed.options)
    model = cfg.get('model') or {}
    clip = (model.get('backbone') or {}).get('clip') or {}
    weights = clip.get('weights') if isinstance(clip, dict) else None
    hard = (model.get('cls_head') or {}).get('hard_prompt')
    return dict(clip_weights=weights, hard_prompt=osp.join(workspace, hard) if hard else None)


def child_threads() -> int:
    """Torch threads of the run's processes: ``OMP_NUM_THREADS`` (what the train/test subprocesses inherit), else
    this process's."""
    env = os.environ.get('OMP_NUM_THREADS')
    if env and env.isdigit():
        return int(env)
    import torch
    return torch.get_num_threads()


def current_provenance(config: str, workspace: str, options: Sequence[str] = ()) -> dict:
    """The provenance a run of ``config`` (with ``options``) in ``workspace`` would have now."""
    inputs = run_inputs(config, workspace, options)
    return collect(REPO, inputs['clip_weights'], inputs['hard_prompt'], child_threads())


@contextlib.contextmanager
def recorded_run(run_dir: str, config: str, workspace: str, finished: bool, options: Sequence[str] = (),
                 fresh: bool = False):
    """Around one run: check a finished run's provenance before it is reused (``finished``), or record the
    provenance of a run about to start (``fresh``: from nothing) or to continue (an unfinished run, e.g. trained
    but not tested, continues only under the same provenance); on success set ``finished``. Yields the
    provenance.

    Raises:
        ProvenanceMismatch: The recorded provenance differs from the current one in anything but the times, or a
            finished run has none.
    """
    current = current_provenance(config, workspace, options)
    if finished:
        yield check_reuse(run_dir, current)
        return
    old = None if fresh else read_provenance(run_dir)
    if old is not None:  # a run cut short: it continues only under the same provenance
        diff = differences(old, current)
        if diff:
            raise ProvenanceMismatch(f'{run_dir}: an unfinished run started under other provenance: '
                                     f'{"; ".join(diff)}. Delete the folder to run it again.')
        current = dict(current, started=old['started'])
    write_provenance(run_dir, current)
    yield current
    current['finished'] = _now()
    write_provenance(run_dir, current)
