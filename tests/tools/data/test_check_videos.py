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


def test_decodes_every_video_prints_each_bad_one_and_writes_a_clean_list(tmp_path, capsys):
    """Every bad kind (missing, 0-byte, truncated, random bytes, too few frames for --frames) is found."""
    from tests.reliability.world import BAD_KINDS, write_bad_video, write_video
    root = tmp_path / 'v'
    lines = []
    for i in range(3):
        write_video(str(root / f'good_{i}.mp4'), seed=i)
        lines.append(f'good_{i}.mp4 {i}')
    for kind in BAD_KINDS:
        write_bad_video(str(root / f'bad_{kind}.mp4'), kind, str(root / 'good_0.mp4'))
        lines.append(f'bad_{kind}.mp4 0')
    (tmp_path / 'train.txt').write_text('\n'.join(lines) + '\n')
    (tmp_path / 'cfg.py').write_text(f'''
default_scope = 'mmaction'
train_dataloader = dict(dataset=dict(type='RobustVideoDataset', ann_file='{tmp_path}/train.txt',
                                     data_prefix=dict(video='{root}'), pipeline=[], min_frames=2))
''')
    out = tmp_path / 'report'
    assert _tool().main([str(tmp_path / 'cfg.py'), '--out-dir', str(out), '--workers', '2',
                         '--timeout', '60']) == 1
    printed = capsys.readouterr().out
    assert 'train_dataloader: 8 videos, 1 missing, 4 unreadable' in printed
    assert f'  {root}/bad_too_few_frames.mp4: 1 frames, fewer than min_frames=2' in printed
    assert f'  {root}/bad_missing.mp4: file not found' in printed
    assert f'  {root}/bad_empty.mp4: empty file (0 bytes)' in printed
    for kind in ('truncated', 'random_bytes'):
        assert f'  {root}/bad_{kind}.mp4: RuntimeError: Error reading {root}/bad_{kind}.mp4' in printed
    clean = (out / 'train_dataloader.clean.txt').read_text().splitlines()
    assert clean == lines[:3]
    assert len((out / 'train_dataloader.bad.txt').read_text().splitlines()) == 5
    # the clean list passes
    (tmp_path / 'train.txt').write_text('\n'.join(clean) + '\n')
    assert _tool().main([str(tmp_path / 'cfg.py'), '--out-dir', str(out)]) == 0


def test_a_hung_decoder_is_killed_and_later_videos_get_their_time(tmp_path, monkeypatch):
    """One worker: a decoder that hangs on one video is killed after --timeout, the videos after it decode
    normally (they are not reported as timed out), and a decoder that crashes its process is reported too."""
    import multiprocessing as mp
    import os
    import time
    pool = importlib.import_module('ga2clip_mmaction.data_prep.video_probe')
    real = pool.probe_video

    def decoder(path, num_frames=4, min_frames=1):
        if 'hang' in path:
            with open(tmp_path / 'hung.pid', 'w') as f:
                f.write(str(os.getpid()))
            time.sleep(3600)
        if 'crash' in path:
            os._exit(11)
        return real(path, num_frames, min_frames)

    monkeypatch.setattr(pool, 'probe_video', decoder)
    from tests.reliability.world import write_video
    good = [write_video(str(tmp_path / f'good_{i}.mp4'), seed=i) for i in range(3)]
    paths = [good[0], str(tmp_path / 'hang.mp4'), good[1], str(tmp_path / 'crash.mp4'), good[2]]
    start = time.monotonic()
    bad = pool.probe_all(paths, workers=1, timeout=3, progress=False)
    assert time.monotonic() - start < 30
    assert bad == {paths[1]: 'decoding did not finish within 3 s (decoder killed)',
                   paths[3]: 'the decoder crashed (worker exit code 11)'}
    pid = int((tmp_path / 'hung.pid').read_text())
    try:
        os.kill(pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive and not mp.active_children()  # the hung decoder and every worker are gone
