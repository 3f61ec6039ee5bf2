"""evaluation/chart.py: the PNG summary chart shows the numbers of the summary (bars, error bars, published)."""
import math

import pytest

from ga2clip_demo.evaluation.chart import plot_summary

B2N = dict(group='b2n_hmdb51', dataset='hmdb51', protocol='b2n', published=dict(base=78.3, novel=58.9, hm=67.2),
           stats={'b2n/base_top1': dict(mean=0.80, std=0.01), 'b2n/novel_top1': dict(mean=0.60, std=0.02),
                  'b2n/hm': dict(mean=0.685, std=0.015)})
FEW_SHOT = dict(group='fs_ucf101_k2', dataset='ucf101', protocol='few_shot', published=None,
                stats={'acc/top1': dict(mean=0.9, std=None)})


@pytest.fixture
def drawn(monkeypatch, tmp_path):
    """``drawn(rows) -> (axes, png path)``: the figure plot_summary drew, caught before it is closed."""
    pytest.importorskip('matplotlib')
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    figures = []
    close = plt.close
    monkeypatch.setattr(plt, 'close', lambda fig=None: figures.append(fig) or close(fig))

    def _draw(rows, title=None):
        out = tmp_path / 'summary.png'
        plot_summary(rows, str(out), title=title)
        return figures[-1].axes[0], out

    return _draw


def test_bars_error_bars_and_published_marks(drawn):
    ax, png = drawn([B2N, FEW_SHOT], title='GA2-CLIP')
    with open(png, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    heights = [round(p.get_height(), 6) for p in ax.patches]
    hm = 100 * 2 * 0.8 * 0.6 / 1.4  # HM of the mean base and novel, not the mean of the per-run HMs
    assert heights == pytest.approx([80.0, 60.0, hm, 90.0])
    # published numbers are dashed black marks at their value, one per published bar
    marks = sorted(line.get_ydata()[0] for line in ax.lines if line.get_linestyle() == '--')
    assert marks == pytest.approx([58.9, 67.2, 78.3])
    assert [t.get_text() for t in ax.get_xticklabels()] == ['hmdb51', 'ucf101']
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {'base', 'novel', 'HM', 'top1', 'published'}
    assert ax.get_title() == 'GA2-CLIP' and ax.get_ylim() == (0, 100)


def test_missing_metric_is_an_empty_bar_and_groups_name_repeated_datasets(drawn):
    no_novel = dict(B2N, group='b2n_hmdb51_s1', stats={'b2n/base_top1': dict(mean=0.7, std=None)}, published={})
    ax, _ = drawn([no_novel, dict(B2N, group='b2n_hmdb51_s2')])
    heights = [p.get_height() for p in ax.patches]
    assert heights[0] == pytest.approx(70.0) and math.isnan(heights[1]) and math.isnan(heights[2])
    assert [t.get_text() for t in ax.get_xticklabels()] == ['b2n_hmdb51_s1', 'b2n_hmdb51_s2']


def test_nothing_to_plot_is_an_error(tmp_path):
    with pytest.raises(ValueError, match='no runs'):
        plot_summary([], str(tmp_path / 'x.png'))
