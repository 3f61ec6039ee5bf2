"""PNG chart of summarized runs: base / novel / HM bars per run group, published marks."""
from typing import List, Optional, Sequence, Tuple

from ga2clip_mmaction.evaluation.summary import hm_of_means, pick_stat


def _bars(row: dict) -> Tuple[List[str], List[float], List[float], List[Optional[float]]]:
    """(labels, means, stds, published) of one row, in percent."""
    s, pub = row['stats'], row['published'] or {}
    if row['protocol'] == 'b2n':
        keys = (('base', pick_stat(s, 'base_top1')), ('novel', pick_stat(s, 'novel_top1')),
                ('hm', hm_of_means(s)))
    else:
        keys = (('top1', pick_stat(s, 'top1')), )
    labels, means, stds, published = [], [], [], []
    for key, stat in keys:
        labels.append(key.upper() if key == 'hm' else key)
        means.append(float('nan') if stat is None else stat['mean'] * 100)
        stds.append(0.0 if stat is None or stat['std'] is None else stat['std'] * 100)
        published.append(pub.get(key))
    return labels, means, stds, published


def plot_summary(rows: Sequence[dict], out_file: str, title: Optional[str] = None) -> None:
    """Draw one group of bars per run group (mean, error bar = sample std) and the published
    numbers as black marks; base-to-novel groups get base / novel / HM bars, others top-1.

    Args:
        rows (Sequence[dict]): Output of :func:`ga2clip_mmaction.evaluation.summary.summarize_runs`.
        out_file (str): PNG path.
        title (str, optional): Figure title. Defaults to None.

    Raises:
        ImportError: matplotlib is not installed (``pip install -e projects/ga2clip_demo[plots]``).
        ValueError: ``rows`` is empty.
    """
    if not rows:
        raise ValueError('Nothing to plot: no runs')
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError('The chart needs matplotlib: pip install -e "projects/ga2clip_demo[plots]"') from err
    colors = {'base': '#4c72b0', 'novel': '#dd8452', 'HM': '#55a868', 'top1': '#8172b2'}
    fig, ax = plt.subplots(figsize=(max(4.0, 1.6 * len(rows) + 1.5), 3.6), dpi=100)
    width, seen = 0.26, set()
    for i, row in enumerate(rows):
        labels, means, stds, published = _bars(row)
        offsets = [(j - (len(labels) - 1) / 2) * width for j in range(len(labels))]
        for off, label, mean, std, pub in zip(offsets, labels, means, stds, published):
            ax.bar(i + off, mean, width * 0.92, yerr=std, capsize=3, color=colors[label],
                   label=None if label in seen else label)
            seen.add(label)
            if pub is not None:
                ax.plot([i + off - width * 0.5, i + off + width * 0.5], [pub, pub], 'k--',
                        lw=2, label=None if 'published' in seen else 'published')
                seen.add('published')
    ax.set_xticks(range(len(rows)))
    datasets = [r['dataset'] for r in rows]
    unique = None not in datasets and len(set(datasets)) == len(rows)
    ax.set_xticklabels(datasets if unique else [r['group'] for r in rows], rotation=15)
    ax.set_ylabel('top-1 accuracy (%)')
    ax.set_ylim(0, 100)
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(out_file, format='png')
    plt.close(fig)
