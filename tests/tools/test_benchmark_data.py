"""tools/benchmark_data.py: one interleaved run over sources x backends x pipelines on tiny real-codec clips,
the same sampled indices everywhere, the ratios and workers-per-GPU arithmetic."""
import json

import av  # noqa: F401 - before decord (its bundled FFmpeg breaks PyAV's libvpx encoder otherwise)
import pytest

from tools.benchmark_data import build_pipeline, main, run
from tools.data.make_codec_corpus import write_video
from tools.data.prepare_videos import prepare_dataset


def test_benchmark_rows_ratios_and_workers(tmp_path, capsys):
    src = tmp_path / 'src'
    write_video(str(src / 'a.mp4'), 'libx264', 96, 64, 25, 250, {'preset': 'ultrafast'}, 40)
    prepare_dataset(str(src), str(tmp_path / 'g1'), workers=1, progress=False, gop=1)
    out = tmp_path / 'out.json'
    main(['--videos', str(src / 'a.mp4'), '--prepared', f'g1={tmp_path / "g1"}', '--rounds', '2',
          '--json', str(out)])
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
