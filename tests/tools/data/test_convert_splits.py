"""tools/data/convert_splits.py on the canonical files and on a small tree made here."""
import importlib

import pytest



def _tool():
    return importlib.import_module('tools.data.convert_splits')


cs = _tool()
layout = importlib.import_module('ga2clip_mmaction.data_prep.split_layout')


def _tree(tmp_path):
    """A miniature canonical tree: HMDB base-to-novel (CRLF, no final newline) and a K400 GA2-variant list."""
    src = tmp_path / 'src'
    (src / 'labels').mkdir(parents=True)
    (src / 'labels' / 'hmdb_51_base_labels.csv').write_bytes(b'id,name\r\n0,pour\r\n1,ride bike')
    (src / 'labels' / 'hmdb_51_novel_labels.csv').write_bytes(b'id,name\r\n0,brush hair')
    (src / 'labels' / 'ssv2_labels.csv').write_text('id,name\n0,"Putting something, somewhere"\n')
    for name in ('ucf_101', 'kinetics_400', 'ssv2_174'):  # the b2n label files are read for every dataset
        for part in ('base', 'novel'):
            (src / 'labels' / f'{name}_{part}_labels.csv').write_text('id,name\n0,x\n')
    b2n = src / 'splits' / 'base2novel_splits' / 'hmdb_splits'
    b2n.mkdir(parents=True)
    (b2n / 'fs_base_s1_train.txt').write_bytes(b'a_pour_0.avi 0\r\nb_ride_bike_1.avi 1')
    (b2n / 'base_val.txt').write_bytes(b'c_pour_2.avi 0\r\n')
    (b2n / 'novel_val.txt').write_bytes(b'd_brush_hair_0.avi 0')
    variant = src / 'splits' / 'base2novel_splits' / 'k400_splits_ga2_variant'
    variant.mkdir()
    (variant / 'base_val_new.txt').write_text('0wR5jVB-WPk.mp4, 0')
    (src / 'splits' / 'ssv2_splits').mkdir()
    (src / 'splits' / 'ssv2_splits' / 'validation.txt').write_text('74225.webm 0\n')
    return src


def test_tree_conversion_layouts_and_base_novel_list(tmp_path):
    src, out = _tree(tmp_path), tmp_path / 'out'
    report = cs.run(str(src), str(out))
    ann = out / 'splits' / 'base2novel_splits' / 'hmdb_splits'
    assert (ann / 'fs_base_s1_train.txt').read_text() == \
        'pour/a_pour_0.avi 0\nride_bike/b_ride_bike_1.avi 1\n'
    assert (ann / 'base_novel_val.txt').read_text() == \
        'pour/c_pour_2.avi 0\nbrush_hair/d_brush_hair_0.avi 2\n'
    assert (out / 'splits/base2novel_splits/k400_splits_ga2_variant/base_val_new.txt').read_text() == \
        '0wR5jVB-WPk.mp4 0\n'
    assert (out / 'splits/ssv2_splits/validation.txt').read_text() == '74225.webm 0\n'
    assert (out / 'labels' / 'hmdb51_b2n_all_labels.txt').read_text() == 'pour\nride bike\nbrush hair\n'
    assert (out / 'labels' / 'ssv2_labels.txt').read_text() == 'Putting something, somewhere\n'
    assert report[str(ann / 'base_novel_val.txt')] == dict(videos=2)
    cs.run(str(src), str(out), layout='listed')
    assert (ann / 'fs_base_s1_train.txt').read_text() == 'a_pour_0.avi 0\nb_ride_bike_1.avi 1\n'


def test_missing_videos_reported_and_dropped(tmp_path, capsys):
    src, out, videos = _tree(tmp_path), tmp_path / 'out', tmp_path / 'hmdb'
    (videos / 'pour').mkdir(parents=True)
    (videos / 'pour' / 'a_pour_0.avi').write_bytes(b'')
    argv = ['--src', str(src), '--out', str(out), '--check', '--video-root', f'hmdb51={videos}']
    assert cs.main(argv) == 0
    ann = out / 'splits' / 'base2novel_splits' / 'hmdb_splits'
    assert (ann / 'fs_base_s1_train.missing.txt').read_text() == 'ride_bike/b_ride_bike_1.avi\n'
    assert 'fs_base_s1_train.txt: 2 videos, 1 missing under' in capsys.readouterr().out
    cs.main(argv + ['--drop-missing'])
    assert (ann / 'fs_base_s1_train.txt').read_text() == 'pour/a_pour_0.avi 0\n'
    with pytest.raises(ValueError, match='--video-root'):
        cs.parse_roots(['nope=/x'])


def test_bad_label_is_reported_with_file_and_line(tmp_path):
    src = _tree(tmp_path)
    (src / 'splits/base2novel_splits/hmdb_splits/novel_val.txt').write_text('x.avi 0\ny.avi 5\n')
    with pytest.raises(ValueError, match=r'novel_val.txt:2: label 5 out of range for 1 classes'):
        cs.run(str(src), str(tmp_path / 'out'))


def test_real_files(shared_path):
    src = shared_path('data')
    spec = layout.describe('splits/base2novel_splits/k400_splits/fs_base_s1_train.txt')
    rows = cs.convert_list(src, spec, 'mmaction')
    assert len(rows) == 3200 and rows[0] == ('videos_train/getting_a_tattoo/c1O_FxuKCI0_000110_000120.mp4', 0)
    rows = cs.convert_list(src, layout.describe('splits/base2novel_splits/k400_splits_ga2_variant/'
                                                'fs_base_s1_train_new.txt'), 'mmaction')
    assert rows[0] == ('c1O_FxuKCI0.mp4', 0) and len(rows) == 3200
    rows = cs.convert_list(src, layout.describe('splits/k600_splits/ZS_split3_K600_eval.txt'), 'mmaction')
    assert rows[2] == ('videos_val/adjusting_glasses/29j-viiLXSM_000011_000021.mp4', 0)
    rows = cs.convert_list(src, layout.describe('splits/ucf_splits/val1.txt'), 'mmaction')
    assert rows[0] == ('ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi', 0) and len(rows) == 3783
    rows = cs.convert_list(src, layout.describe('anchors/k600_anchor_clips.txt'), 'mmaction')
    assert len(rows) == 4595 and rows[0] == ('vol_13/bcpuDaxOeuU_000000_000010.mp4', 0)
    for folder, (num_base, num_all, total) in {'hmdb_splits': (26, 51, 1530),
                                               'ssv2_splits': (87, 174, 24777)}.items():
        rows = cs.base_novel_rows(src, folder, 'mmaction')
        labels = [label for _, label in rows]
        assert len(rows) == total and max(labels) == num_all - 1
        n_base_val = len(cs.convert_list(
            src, layout.describe(f'splits/base2novel_splits/{folder}/base_val.txt'), 'listed'))
        assert max(labels[:n_base_val]) == num_base - 1 and min(labels[n_base_val:]) == num_base
    assert rows[0] == ('74225.webm', 28)
