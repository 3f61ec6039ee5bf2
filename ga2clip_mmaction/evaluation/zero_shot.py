"""Zero-shot results over the official splits: mean +- std per dataset."""
from typing import Dict, List, Mapping

from .aggregate import aggregate_runs, format_mean_std


def zero_shot_dataset(group: str) -> str:
    """Dataset name of a run group: the part after ``zs_eval_`` (or the group itself).

    Args:
        group (str): E.g. ``'ga2clip_zs_eval_hmdb51'``.

    Returns:
        str: E.g. ``'hmdb51'``.
    """
    marker = 'zs_eval_'
    return group.split(marker, 1)[1] if marker in group else group


def aggregate_zero_shot(results: Mapping[str, Mapping[str, float]]) -> Dict[str, Dict[str, dict]]:
    """Reduce per-split zero-shot metrics to mean +- std per dataset.

    Args:
        results (Mapping[str, Mapping[str, float]]): Metrics keyed by run (config) name, e.g.
            ``{'ga2clip_zs_eval_hmdb51_split1': {'acc/top1': 0.52, ...}, ...}``.

    Returns:
        dict[str, dict[str, dict]]: ``{'hmdb51': {'acc/top1': dict(mean, std, n, values)}}``
        (sample std over the splits, see :func:`ga2clip_mmaction.evaluation.aggregate.mean_std`).

    Raises:
        ValueError: Two groups map to the same dataset name.
    """
    out: Dict[str, Dict[str, dict]] = {}
    for group, stats in aggregate_runs(results).items():
        dataset = zero_shot_dataset(group)
        if dataset in out:
            raise ValueError(f'Two run groups give dataset {dataset!r}: rename one of them')
        out[dataset] = stats
    return out


def format_zero_shot_markdown(summary: Mapping[str, Mapping[str, dict]]) -> str:
    """A markdown table: one row per dataset, one column per metric (percent, mean +- std).

    Args:
        summary (Mapping[str, Mapping[str, dict]]): Output of :func:`aggregate_zero_shot`.

    Returns:
        str: The table, with a header row and the number of splits per dataset.
    """
    metrics: List[str] = []
    for stats in summary.values():
        metrics += [key for key in stats if key not in metrics]
    lines = ['| dataset | splits | ' + ' | '.join(metrics) + ' |',
             '|' + '---|' * (len(metrics) + 2)]
    for dataset, stats in summary.items():
        n = max((s['n'] for s in stats.values()), default=0)
        cells = [format_mean_std(stats.get(key)) for key in metrics]
        lines.append(f'| {dataset} | {n} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'
