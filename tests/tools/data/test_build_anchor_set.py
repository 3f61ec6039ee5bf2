"""tools/data/build_anchor_set.py: class exclusion by name and by frozen-CLIP similarity, clip selection."""
import importlib
import json
import os.path as osp

import pytest

import ga2clip_mmaction  # noqa: F401  (registers the tiny random CLIP arch)

TINY = dict(arch='GA2-Tiny-Random', weights=None)


def _tool():
    return importlib.import_module('tools.data.build_anchor_set')


bas = _tool()


def test_name_matching_rules():
    pool = ['Abseiling', 'changing wheel (not on bike)', 'riding_unicycle', 'archery']
    target = ['abseiling', 'changing wheel', 'riding unicycle']
    assert bas.name_matches(pool, target) == {'Abseiling': 'abseiling',
                                              'changing wheel (not on bike)': 'changing wheel',
                                              'riding_unicycle': 'riding unicycle'}


def test_similarity_threshold_is_applied():
    pool, target = ['abseiling', 'juggling fire', 'playing harp', 'surfing water'], ['abseiling', 'archery']
    sim = bas.similarity(TINY, pool, target, 'a video of a person {}.')
    assert sim.shape == (4, 2)
    assert abs(float(sim[0, 0]) - 1.0) < 1e-5  # the same prompt
    best = sim.max(dim=1).values
    threshold = float(best[1:].median())
    chosen = bas.select_classes(pool, target, sim, threshold)
    expected_sim = {pool[i] for i in range(1, 4) if float(best[i]) > threshold}
    assert {e['pool'] for e in chosen['by_similarity']} == expected_sim
    assert [e['pool'] for e in chosen['by_name']] == ['abseiling']
    assert sorted(chosen['kept']) == [i for i in range(1, 4) if pool[i] not in expected_sim]
    assert bas.select_classes(pool, target, None, 0.0)['kept'] == [1, 2, 3]


def test_build_writes_list_and_report(tmp_path):
    (tmp_path / 'pool_labels.csv').write_bytes(
        b'id,name\r\n0,abseiling\r\n1,juggling fire\r\n2,surfing water')
    (tmp_path / 'target.txt').write_text('abseiling\n')
    pool = ''.join(f'train/c{k}{i:08d}x_000000_000010.mp4 {k}\n' for k in range(3) for i in range(5))
    (tmp_path / 'pool.txt').write_text(pool)
    (tmp_path / 'eval.txt').write_bytes(b'val/c100000001x_000000_000010.mp4 0\r\n')
    out = tmp_path / 'anchors' / 'list.txt'
    report = bas.build(str(tmp_path / 'pool.txt'), str(tmp_path / 'pool_labels.csv'),
                       [str(tmp_path / 'target.txt')], str(out), [str(tmp_path / 'eval.txt')],
                       clip_cfg=TINY, sim_threshold=1.5, max_per_class=3, seed=0)
    lines = out.read_text().splitlines()
    assert len(lines) == 6 and {line.split()[1] for line in lines} == {'1', '2'}
    assert 'train/c100000001x_000000_000010.mp4 1' not in lines
    assert report['clips'] == dict(pool=15, in_kept_classes=10, in_eval_lists=1, selected=6)
    saved = json.loads((tmp_path / 'anchors' / 'list.txt.report.json').read_text())
    assert saved['classes']['excluded_by_name'][0]['target'] == 'abseiling'
    again = tmp_path / 'again.txt'
    bas.build(str(tmp_path / 'pool.txt'), str(tmp_path / 'pool_labels.csv'), [str(tmp_path / 'target.txt')],
              str(again), [str(tmp_path / 'eval.txt')], clip_cfg=None, max_per_class=3, seed=0)
    assert again.read_text() == out.read_text()
    with pytest.raises(ValueError, match=r'every pool class of .*pool_labels.csv is excluded \(3 classes: 3 by name'):
        bas.build(str(tmp_path / 'pool.txt'), str(tmp_path / 'pool_labels.csv'),
                  [str(tmp_path / 'pool_labels.csv')], str(tmp_path / 'x.txt'))


def test_real_label_files_by_name(shared_path):
    from ga2clip_mmaction.utils.io import read_class_names
    labels = shared_path('data', 'labels')
    k600 = read_class_names(osp.join(labels, 'kinetics_600_labels.csv'))
    k400 = read_class_names(osp.join(labels, 'kinetics_400_labels.csv'))
    matches = bas.name_matches(k600, k400)
    assert len(matches) == 374
    assert matches['changing wheel (not on bike)'] == 'changing wheel'
    k100 = read_class_names(osp.join(labels, 'k600_base.csv'))
    assert sorted(bas.name_matches(k100, k400)) == ['changing wheel (not on bike)',
                                                    'cooking sausages (not on barbeque)',
                                                    'hugging (not baby)']
