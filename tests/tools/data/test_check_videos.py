"""tools/data/check_videos.py: every video a config reads, anchors included, is looked up before training."""
import importlib



def _tool():
    return importlib.import_module('tools.data.check_videos')


def test_reports_missing_main_and_anchor_videos(tmp_path, make_video, capsys):
    make_video('v/m0.mp4')
    make_video('v/a0.mp4')
    (tmp_path / 'train.txt').write_text('m0.mp4 0\nm1.mp4 1\n')
    (tmp_path / 'anchors.txt').write_text('a0.mp4 0\na1.mp4 0\na2.mp4 0\n')
    (tmp_path / 'val.txt').write_text('m0.mp4 0\n')
    video = str(tmp_path / 'v')
    (tmp_path / 'cfg.py').write_text(f'''
default_scope = 'mmaction'
train_dataloader = dict(dataset=dict(
    type='AnchorSetDataset',
    dataset=dict(type='VideoDataset', ann_file='{tmp_path}/train.txt', data_prefix=dict(video='{video}'),
                 pipeline=[]),
    anchor_dataset=dict(type='VideoDataset', ann_file='{tmp_path}/anchors.txt',
                        data_prefix=dict(video='{video}'), pipeline=[])))
val_dataloader = dict(dataset=dict(type='VideoDataset', ann_file='{tmp_path}/val.txt',
                                   data_prefix=dict(video='{video}'), pipeline=[], test_mode=True))
''')
    tool = _tool()
    out = tmp_path / 'report'
    assert tool.main([str(tmp_path / 'cfg.py'), '--out-dir', str(out)]) == 1
    printed = capsys.readouterr().out
    assert 'train_dataloader: 2 videos, 1 missing' in printed
    assert 'train_dataloader_anchors: 3 videos, 2 missing' in printed
    assert 'val_dataloader: 1 videos, 0 missing' in printed
    assert (out / 'train_dataloader_anchors.missing.txt').read_text() == f'{video}/a1.mp4\n{video}/a2.mp4\n'
    (tmp_path / 'anchors.txt').write_text('a0.mp4 0\n')
    (tmp_path / 'train.txt').write_text('m0.mp4 0\n')
    assert tool.main([str(tmp_path / 'cfg.py'), '--out-dir', str(out)]) == 0
