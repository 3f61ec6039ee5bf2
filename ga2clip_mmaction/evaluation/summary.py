"""Collect MMEngine work dirs into a results table next to the published numbers.

A run's metrics are read from its work dir as MMEngine 0.10 writes them:

* ``<work_dir>/<timestamp>/<timestamp>.json``: one JSON object written by ``Runner.test()``
  (the newest one wins);
* otherwise the last validation record of ``<work_dir>/<timestamp>/vis_data/scalars.json``
  (JSON lines written during training).

Runs are grouped by work-dir name without its run suffix (``_s1``, ``_seed2``, ``_split3``;
see :func:`ga2clip_mmaction.evaluation.aggregate.split_run_name`); the protocol, dataset and
shot count are read off the name (``b2n``/``fs``/``zs``, ``hmdb``/``ucf``/``ssv2``/``k400``/
``k600``, ``k16`` or ``16shot``), base-to-novel also off the metric keys.
"""
import csv
import glob
import io
import json
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

from .aggregate import aggregate_runs, format_mean_std, split_run_name
from .metrics.base_novel_metric import harmonic_mean
from .published import published_base_to_novel, published_few_shot

_DATASETS = {
    'hmdb': 'hmdb51', 'hmdb51': 'hmdb51', 'ucf': 'ucf101', 'ucf101': 'ucf101',
    'ssv2': 'ssv2', 'sthv2': 'ssv2', 'k400': 'k400', 'kinetics400': 'k400', 'k600': 'k600',
    'kinetics600': 'k600'
}
_PROTOCOLS = {
    'b2n': 'b2n', 'base2novel': 'b2n', 'fs': 'few_shot', 'fewshot': 'few_shot',
    'zs': 'zero_shot', 'zeroshot': 'zero_shot'
}
_SHOTS = re.compile(r'^(?:k(\d+)|(\d+)shots?)$')


def parse_run_name(name: str) -> Dict[str, Optional[object]]:
    """Protocol, dataset and shot count named in a run name.

    Args:
        name (str): E.g. ``'ga2clip_fs_hmdb_k8_s1'``.

    Returns:
        dict: ``protocol`` (``'b2n'``, ``'few_shot'``, ``'zero_shot'`` or None), ``dataset``
        (the last dataset named, e.g. ``'hmdb51'``, or None) and ``shots`` (int or None).
    """
    out: Dict[str, Optional[object]] = dict(protocol=None, dataset=None, shots=None)
    for token in re.split(r'[_\-.]', name.lower()):
        if token in _DATASETS:
            out['dataset'] = _DATASETS[token]
        elif token in _PROTOCOLS:
            out['protocol'] = out['protocol'] or _PROTOCOLS[token]
        elif _SHOTS.match(token):
            match = _SHOTS.match(token)
            out['shots'] = int(match.group(1) or match.group(2))
    return out


def _metric_items(record: dict) -> Dict[str, float]:
    """The metric entries (``prefix/name``: number) of a log record."""
    return {
        k: float(v)
        for k, v in record.items()
        if '/' in k and isinstance(v, (int, float)) and not isinstance(v, bool)
    }


def _last_record_with_metrics(path: str) -> Dict[str, float]:
    """Metrics of a JSON file: one object, or JSON lines (the last line with metrics)."""
    with open(path) as f:
        text = f.read()
    try:
        records = [json.loads(text)]
    except json.JSONDecodeError:
        records = []
        for lineno, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as err:
                    raise ValueError(f'{path}:{lineno}: not JSON ({err.msg})') from err
    for record in reversed(records):
        metrics = _metric_items(record) if isinstance(record, dict) else {}
        if metrics:
            return metrics
    return {}


def read_run_metrics(path: str) -> Dict[str, float]:
    """Final metrics of a run: a work dir (see the module doc) or a metrics JSON file.

    Args:
        path (str): Work dir or JSON file.

    Returns:
        dict[str, float]: Metric name to value (fractions, as MMEngine logs them).

    Raises:
        FileNotFoundError: ``path`` does not exist or holds no metrics.
    """
    if osp.isfile(path):
        metrics = _last_record_with_metrics(path)
        if not metrics:
            raise FileNotFoundError(f'No metrics in {path}')
        return metrics
    if not osp.isdir(path):
        raise FileNotFoundError(f'Work dir not found: {path}')
    test_logs = [p for p in glob.glob(osp.join(path, '*', '*.json'))
                 if osp.splitext(osp.basename(p))[0] == osp.basename(osp.dirname(p))]
    for log in sorted(test_logs, reverse=True):
        metrics = _last_record_with_metrics(log)
        if metrics:
            return metrics
    for log in sorted(glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json')), reverse=True):
        metrics = _last_record_with_metrics(log)
        if metrics:
            return metrics
    raise FileNotFoundError(f'No test or validation metrics in {path} (expected '
                            f'<timestamp>/<timestamp>.json or <timestamp>/vis_data/scalars.json)')


def pick_stat(stats: Dict[str, dict], name: str) -> Optional[dict]:
    """The stat of metric ``name`` or ``<prefix>/name``.

    Args:
        stats (dict[str, dict]): ``{metric: dict(mean, std, ...)}``.
        name (str): Metric name without prefix, e.g. ``'base_top1'``.

    Returns:
        dict | None: The first matching stat.
    """
    for key, stat in stats.items():
        if key == name or key.endswith('/' + name):
            return stat
    return None


def summarize_runs(paths: Sequence[str]) -> List[dict]:
    """Read runs and reduce each group to mean +- std, with the published numbers.

    Args:
        paths (Sequence[str]): Work dirs (or metrics JSON files), e.g. three seeds.

    Returns:
        list[dict]: One row per group: ``group``, ``protocol``, ``dataset``, ``shots``,
        ``runs`` (paths), ``stats`` (``{metric: dict(mean, std, n, values)}``, fractions) and
        ``published`` (percent: ``dict(base, novel, hm)``, ``dict(top1=...)`` or None).
    """
    results: Dict[str, Dict[str, float]] = {}
    names: Dict[str, str] = {}
    for path in paths:
        name = osp.basename(osp.normpath(path))
        if osp.isfile(path) and name.endswith('.json'):
            name = name[:-len('.json')]
        if name in results:
            raise ValueError(f'Two runs named {name!r}: {names[name]} and {path}')
        results[name], names[name] = read_run_metrics(path), path
    rows = []
    for group, stats in aggregate_runs(results).items():
        info = parse_run_name(group)
        if pick_stat(stats, 'base_top1') is not None or pick_stat(stats, 'novel_top1') is not None:
            info['protocol'] = 'b2n'
        if info['protocol'] == 'b2n':
            published = published_base_to_novel(info['dataset'])
        elif info['protocol'] == 'few_shot':
            top1 = published_few_shot(info['dataset'], info['shots'])
            published = None if top1 is None else dict(top1=top1)
        else:
            published = None
        runs = [names[n] for n in results if split_run_name(n)[0] == group]
        rows.append(dict(group=group, runs=runs, stats=stats, published=published, **info))
    return rows


def hm_of_means(stats: Dict[str, dict]) -> Optional[dict]:
    """HM of the mean base and mean novel top-1, with the std of the per-run HMs.

    Args:
        stats (dict[str, dict]): ``{metric: dict(mean, std, ...)}`` of a base-to-novel group.

    Returns:
        dict | None: ``dict(mean, std)``; None without base or novel accuracy.
    """
    base, novel = pick_stat(stats, 'base_top1'), pick_stat(stats, 'novel_top1')
    if base is None or novel is None:
        return None
    per_run = pick_stat(stats, 'hm')
    return dict(mean=harmonic_mean(base['mean'], novel['mean']),
                std=per_run['std'] if per_run else None)


def _pub(value: Optional[float]) -> str:
    return '-' if value is None else f'{value:.1f}'


def format_markdown(rows: Sequence[dict]) -> str:
    """Markdown tables (percent, mean ± sample std over runs), one per protocol present.

    Args:
        rows (Sequence[dict]): Output of :func:`summarize_runs`.

    Returns:
        str: The tables.
    """
    parts = []
    b2n = [r for r in rows if r['protocol'] == 'b2n']
    if b2n:
        lines = ['### Base-to-novel (top-1, %)', '',
                 '| run | dataset | runs | base | novel | HM | all-class | published B / N / HM |',
                 '|---|---|---|---|---|---|---|---|']
        for r in b2n:
            s, pub = r['stats'], r['published'] or {}
            lines.append(f'| {r["group"]} | {r["dataset"] or "-"} | {len(r["runs"])} | '
                         f'{format_mean_std(pick_stat(s, "base_top1"))} | '
                         f'{format_mean_std(pick_stat(s, "novel_top1"))} | '
                         f'{format_mean_std(hm_of_means(s))} | '
                         f'{format_mean_std(pick_stat(s, "all_top1"))} | '
                         + (' / '.join(_pub(pub.get(k)) for k in ('base', 'novel', 'hm'))
                            if pub else '-') + ' |')
        parts.append('\n'.join(lines))
    others = [r for r in rows if r['protocol'] != 'b2n']
    if others:
        lines = ['### Top-1 / top-5 (%)', '',
                 '| run | protocol | dataset | K | runs | top-1 | top-5 | published top-1 |',
                 '|---|---|---|---|---|---|---|---|']
        for r in others:
            s, pub = r['stats'], r['published'] or {}
            lines.append(f'| {r["group"]} | {r["protocol"] or "-"} | {r["dataset"] or "-"} | '
                         f'{r["shots"] or "-"} | {len(r["runs"])} | '
                         f'{format_mean_std(pick_stat(s, "top1"))} | '
                         f'{format_mean_std(pick_stat(s, "top5"))} | {_pub(pub.get("top1"))} |')
        parts.append('\n'.join(lines))
    return '\n\n'.join(parts) + '\n'


def format_csv(rows: Sequence[dict]) -> str:
    """Long-format CSV: one line per group and metric, values in percent.

    Columns: ``group, protocol, dataset, shots, metric, mean, std, n, published``.

    Args:
        rows (Sequence[dict]): Output of :func:`summarize_runs`.

    Returns:
        str: The CSV text.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator='\n')
    writer.writerow(['group', 'protocol', 'dataset', 'shots', 'metric', 'mean', 'std', 'n',
                     'published'])
    for r in rows:
        pub = r['published'] or {}
        for key, stat in r['stats'].items():
            short = key.rsplit('/', 1)[-1]
            published = {'base_top1': pub.get('base'), 'novel_top1': pub.get('novel'),
                         'hm': pub.get('hm'), 'top1': pub.get('top1')}.get(short)
            writer.writerow([
                r['group'], r['protocol'] or '', r['dataset'] or '', r['shots'] or '', key,
                f'{stat["mean"] * 100:.2f}',
                '' if stat['std'] is None else f'{stat["std"] * 100:.2f}', stat['n'],
                '' if published is None else published
            ])
    return buf.getvalue()
