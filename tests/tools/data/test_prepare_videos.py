"""tools/data/prepare_videos.py: prepared frames match the original's at the same indices (PSNR >= 30 dB, same
count), the GOP asked for, resumability (finished files skipped, not rewritten), failures listed with their reason,
and the annotation file pointing at the prepared files."""
import os
import os.path as osp

import av  # noqa: F401 - before decord (its bundled FFmpeg breaks PyAV's libvpx encoder otherwise)
import cv2
import decord
import numpy as np
import pytest

from tools.data.prepare_videos import main, output_size, prepare_dataset

from tests.helpers.codec_sources import psnr, write_codec_sources

NUM_FRAMES = 30


@pytest.fixture
def src(tmp_path):
    """A long-GOP H.264 clip with B-frames, a VP9 clip in a subfolder, a junk file, and an annotation list."""
    return write_codec_sources(str(tmp_path / 'src'), NUM_FRAMES)


def _frames(path):
    reader = decord.VideoReader(path, num_threads=1)
    return reader, reader.get_batch(list(range(len(reader)))).asnumpy()


def test_output_size_short_side_even_never_upscaled():
    assert output_size(1280, 720, 256) == (454, 256)
    assert output_size(256, 340, 256) == (256, 340)
    assert output_size(426, 240, 256) == (426, 240)  # not upscaled
    assert output_size(341, 257, 0) == (340, 256)


@pytest.mark.parametrize('short_side', [0, 64])
def test_prepared_frames_match_the_original_at_the_same_indices(src, tmp_path, short_side):
    dst = str(tmp_path / 'dst')
    result = prepare_dataset(src, dst, osp.join(src, 'train.txt'), workers=1, progress=False, gop=4,
                             short_side=short_side)
    assert result['done'] == 2 and result['skipped'] == 0
    for rel, out in (('a.mp4', 'a.mp4'), ('sub/b.webm', 'sub/b.mp4')):
        original, want = _frames(osp.join(src, rel))
        prepared, got = _frames(osp.join(dst, out))
        assert len(prepared) == len(original) == NUM_FRAMES
        assert prepared.get_key_indices() == list(range(0, NUM_FRAMES, 4))
        if short_side:
            assert got.shape[1:] == (64, 84, 3)
            want = np.stack([cv2.resize(f, (84, 64), interpolation=cv2.INTER_AREA) for f in want])
        values = [psnr(g, w) for g, w in zip(got, want)]
        assert min(values) >= 30.0, values
        # a neighbouring frame is far worse: the indices line up
        assert psnr(got[5], want[6]) < min(values) - 3


def test_resumable_failures_listed_and_annotation_points_at_prepared_files(src, tmp_path, capsys):
    dst = str(tmp_path / 'dst')
    ann = osp.join(src, 'train.txt')
    assert main([src, dst, '--ann-file', ann, '--workers', '2', '--short-side', '0']) == 1
    out = capsys.readouterr().out
    assert 'prepared 2, already done 0, failed 1' in out
    assert f"FAILED {osp.join(src, 'junk.mp4')}: InvalidDataError" in out
    failures = open(osp.join(dst, 'failures.txt')).read().splitlines()
    assert len(failures) == 1 and failures[0].startswith(osp.join(src, 'junk.mp4') + '\tInvalidDataError')
    assert open(osp.join(dst, 'train.txt')).read() == 'a.mp4 3\nsub/b.mp4 1\n'
    assert not [n for _, _, names in os.walk(dst) for n in names if '.part' in n]

    first = {p: os.stat(osp.join(dst, p)).st_mtime_ns for p in ('a.mp4', 'sub/b.mp4')}
    result = prepare_dataset(src, dst, ann, workers=1, progress=False, short_side=0)
    assert (result['done'], result['skipped'], len(result['failed'])) == (0, 2, 1)
    assert {p: os.stat(osp.join(dst, p)).st_mtime_ns for p in first} == first  # not rewritten

    os.remove(osp.join(dst, 'sub', 'b.mp4'))
    result = prepare_dataset(src, dst, ann, workers=1, progress=False, short_side=0)
    assert (result['done'], result['skipped']) == (1, 1)
    assert len(decord.VideoReader(osp.join(dst, 'sub', 'b.mp4'))) == NUM_FRAMES

    # without an annotation file: every video under SRC, one prepared path per line
    result = prepare_dataset(src, str(tmp_path / 'dst2'), workers=1, progress=False, short_side=0)
    assert open(result['ann_out']).read().splitlines() == ['a.mp4', 'sub/b.mp4']
