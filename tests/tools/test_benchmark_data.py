"""tools/benchmark_data.py: one interleaved run over sources x backends x pipelines on tiny real-codec clips,
the same sampled indices everywhere, the ratios and workers-per-GPU arithmetic; the optional torchcodec backends
(skipped with the reason where torchcodec or FFmpeg's shared libraries are missing, as in CI)."""
import json
import random

import av  # noqa: F401 - before decord (its bundled FFmpeg breaks PyAV's libvpx encoder otherwise)
import numpy as np
import pytest

import ga2clip_mmaction.benchmark.data_loading as benchmark_data
from ga2clip_mmaction.benchmark.data_loading import build_pipeline, main, run, torchcodec_unavailable
from tools.data.make_codec_corpus import write_video
from tools.data.prepare_videos import prepare_dataset


def test_benchmark_rows_ratios_and_workers(tmp_path, capsys):
    src = tmp_path / 'src'
    write_video(str(src / 'a.mp4'), 'libx264', 96, 64, 25, 250, {'preset': 'ultrafast'}, 40)
    prepare_dataset(str(src), str(tmp_path / 'g1'), workers=1, progress=False, gop=1)
    out = tmp_path / 'out.json'
    main(['--videos', str(src / 'a.mp4'), '--prepared', f'g1={tmp_path / "g1"}', '--rounds', '2',
          '--backends', 'decord', 'pyav_keyframe', '--json', str(out)])
    result = json.loads(out.read_text())
    keys = {(r['source'], r['backend'], r['pipeline']) for r in result['rows']}
    assert keys == {(s, b, p) for s in ('original', 'g1') for b in ('decord', 'pyav_keyframe')
                    for p in ('train', 'test')}
    assert all(r['clips'] == 2 and r['cpu_s'] > 0 for r in result['rows'])
    rate = {(r['source'], r['backend'], r['pipeline']): r['clips_per_s_per_core'] for r in result['rows']}
    for backend in ('decord', 'pyav_keyframe'):
        assert result['prepared_over_original_clips_per_s'][f'g1/{backend}'] == pytest.approx(
            rate[('g1', backend, 'train')] / rate[('original', backend, 'train')], rel=1e-2)
    best = max(r['clips_per_s_per_core'] for r in result['rows'] if r['pipeline'] == 'train')
    assert result['workers_per_gpu'] == pytest.approx(160 / best, abs=0.06)
    assert set(result['disk_bytes']) == {'original', 'g1'} and min(result['disk_bytes'].values()) > 0
    assert 'workers per GPU at 160 clips/s' in capsys.readouterr().out


def test_decode_pipeline_is_the_train_pipeline_cut_after_decoding():
    train = [type(t).__name__ for t in build_pipeline('train', 'pyav_keyframe').transforms]
    decode = [type(t).__name__ for t in build_pipeline('decode', 'pyav_keyframe').transforms]
    assert decode == ['KeyframePyAVInit', 'SegmentSample', 'KeyframePyAVDecode'] == train[:3]
    assert [type(t).__name__ for t in build_pipeline('decode', 'decord').transforms][-1] == 'DecordDecode'


def test_device_pipeline_is_the_cpu_side_of_the_device_augmentation(tmp_path, monkeypatch):
    monkeypatch.setenv('AUGMENT_ON', 'cpu')  # 'train' is the CPU-augmenting pipeline whatever the switch says
    device = [type(t).__name__ for t in build_pipeline('device', 'decord').transforms]
    assert device == ['DecordInit', 'SegmentSample', 'DecordDecode', 'ResizeParams', 'RandomResizedCropParams',
                      'FlipParams', 'RandomGrayscaleParams', 'FormatShape', 'PackActionInputs']
    monkeypatch.setenv('AUGMENT_ON', 'device')
    assert [type(t).__name__ for t in build_pipeline('train', 'decord').transforms][4] == 'RandomResizedCrop'
    write_video(str(tmp_path / 'a.mp4'), 'libx264', 96, 64, 25, 40, {'preset': 'ultrafast'}, 40)
    result = run([str(tmp_path / 'a.mp4')], {}, rounds=1, backends=('decord', ), pipelines=('train', 'device'))
    cell = result['device_cpu_ms_per_clip']['original/decord']
    assert 0 < cell['decode'] < min(cell['train'], cell['device'])
    assert cell['saving_pct'] == pytest.approx(100 * (1 - cell['device'] / cell['train']), abs=0.2)
    rows = {r['pipeline']: r for r in result['rows']}
    assert all(0 < r['post_decode_cpu_s'] < r['cpu_s'] for r in rows.values())


def test_torchcodec_backend_is_skipped_with_the_reason(tmp_path, monkeypatch, capsys):
    reason = torchcodec_unavailable()
    assert reason is None or reason.startswith('torchcodec')
    monkeypatch.setattr(benchmark_data, 'torchcodec_unavailable', lambda: 'torchcodec: no FFmpeg here')
    write_video(str(tmp_path / 'a.mp4'), 'libx264', 96, 64, 25, 40, {'preset': 'ultrafast'}, 40)
    out = tmp_path / 'out.json'
    main(['--videos', str(tmp_path / 'a.mp4'), '--rounds', '1', '--pipelines', 'test', '--backends', 'decord',
          'torchcodec', 'torchcodec_approx', '--json', str(out)])
    result = json.loads(out.read_text())
    assert {r['backend'] for r in result['rows']} == {'decord'}
    assert result['skipped_backends'] == {'torchcodec': 'torchcodec: no FFmpeg here',
                                          'torchcodec_approx': 'torchcodec: no FFmpeg here'}
    assert 'skipping backend torchcodec: torchcodec: no FFmpeg here' in capsys.readouterr().out


def _decode(pipeline, path, seed):
    np.random.seed(seed)
    random.seed(seed)
    return pipeline(dict(filename=path, label=0, start_index=0, modality='RGB'))


def test_torchcodec_backend_gives_decords_frames_and_raises_on_bad_videos(tmp_path):
    reason = torchcodec_unavailable()
    if reason is not None:
        pytest.skip(f'optional backend not usable here: {reason}')
    path = str(tmp_path / 'a.mp4')
    write_video(path, 'libx264', 96, 64, 25, 250, {'preset': 'ultrafast'}, 60)  # one GOP: seeking decodes forward
    ref = build_pipeline('decode', 'decord')
    for backend in ('torchcodec', 'torchcodec_approx'):
        pipeline = build_pipeline('decode', backend)
        for seed in range(3):
            want, got = _decode(ref, path, seed), _decode(pipeline, path, seed)
            assert got['total_frames'] == want['total_frames'] == 60
            assert np.array_equal(got['frame_inds'], want['frame_inds'])
            assert got['video_reader'] is None and got['img_shape'] == want['img_shape'] == (64, 96)
            assert len(got['imgs']) == 32 and all(g.flags['C_CONTIGUOUS'] for g in got['imgs'])
            assert np.array_equal(np.stack(got['imgs']), np.stack(want['imgs']))
        bad = tmp_path / 'bad.mp4'
        bad.write_bytes(b'not a video' * 100)
        with pytest.raises(Exception):
            _decode(pipeline, str(bad), 0)
        with pytest.raises(Exception):
            _decode(pipeline, str(tmp_path / 'missing.mp4'), 0)
