"""Tests for the video list reader and video ids."""
import pytest

from ga2clip_mmaction.datasets.split_files import (has_time_span, parse_video_line, read_video_list,
                                                   source_video_id, video_id)


def test_formats_and_line_endings(tmp_path):
    path = tmp_path / 'list.txt'
    path.write_bytes(b'val/a_000001_000011.mp4 3\r\nb.mp4, 7\r\n\r\nc d/e.avi 2\r\nnolabel.webm')
    entries = read_video_list(str(path))
    assert [(e.path, e.label) for e in entries] == [('val/a_000001_000011.mp4', 3), ('b.mp4', 7),
                                                     ('c d/e.avi', 2), ('nolabel.webm', -1)]
    assert [e.lineno for e in entries] == [1, 2, 4, 5]


def test_bad_label_names_file_and_line(tmp_path):
    path = tmp_path / 'bad.txt'
    path.write_text('a.mp4 1\nb.mp4 x\n')
    with pytest.raises(ValueError, match=r'bad.txt:2: .*integer label'):
        read_video_list(str(path))
    with pytest.raises(FileNotFoundError, match='missing.txt'):
        read_video_list(str(tmp_path / 'missing.txt'))


def test_comma_inside_path_with_space_label():
    assert tuple(parse_video_line('x,y.avi 4')[:2]) == ('x,y.avi', 4)


def test_video_ids_across_layouts():
    names = ['val/0wR5jVB-WPk_000417_000427.mp4', 'vol_13/0wR5jVB-WPk_000417_000427.mp4',
             'videos_val/abseiling/0wR5jVB-WPk_000417_000427.mp4']
    assert {video_id(n) for n in names} == {'0wR5jVB-WPk_000417_000427'}
    assert source_video_id(names[0]) == '0wR5jVB-WPk' == source_video_id('0wR5jVB-WPk.mp4')
    assert has_time_span(names[0]) and not has_time_span('0wR5jVB-WPk.mp4')
    hmdb = 'Aussie_Brunette_Brushing_Long_Hair_brush_hair_u_nm_np1_ba_med_3.avi'
    assert source_video_id(hmdb) == video_id(hmdb) == hmdb[:-4]
    assert video_id('74225.webm') == '74225'
