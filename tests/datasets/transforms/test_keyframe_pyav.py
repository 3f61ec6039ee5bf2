"""KeyframePyAVInit/KeyframePyAVDecode: the frames decord gives at any indices (long and short GOP, B-frames,
VP9, AVI from the shared videos), the same pipeline output as DecordInit/DecordDecode, and bad videos through
RobustVideoDataset raise BadVideoError naming the file."""
import os.path as osp
import re

import av  # noqa: F401 - before decord (its bundled FFmpeg breaks PyAV's libvpx encoder otherwise)
import decord
import numpy as np
import pytest

import ga2clip_mmaction  # noqa: F401 - registers the transforms
from ga2clip_mmaction.datasets import BadVideoError, RobustVideoDataset
from ga2clip_mmaction.datasets.transforms.keyframe_video_reader import KeyframeVideoReader
from tests.reliability.harness import ChildError, run_with_timeout
from tests.reliability.world import BAD_KINDS, write_bad_video
from tools.data.make_codec_corpus import write_video

#: Tiny clips: (file name, codec, gop, extra options); B-frames on for x264 (its default).
CLIPS = [
    ('long_gop.mp4', 'libx264', 250, {'crf': '23', 'preset': 'ultrafast', 'bf': '2'}),
    ('short_gop.mp4', 'libx264', 5, {'crf': '23', 'preset': 'veryfast'}),
    ('vp9.webm', 'libvpx-vp9', 7, {'crf': '40', 'b': '0', 'deadline': 'realtime', 'cpu-used': '8'}),
]
NUM_FRAMES = 40


@pytest.fixture(scope='module')
def clips(tmp_path_factory):
    root = tmp_path_factory.mktemp('codec_clips')
    return {name: write_video(str(root / name), codec, 96, 64, 25, gop, opts, NUM_FRAMES, seed=i)
            for i, (name, codec, gop, opts) in enumerate(CLIPS)}


def _indices():
    rng = np.random.default_rng(0)
    # unsorted, repeated, both ends, backward jumps across keyframes
    return [17, 3, 3, 39, 0, 22, 21, 38, 5, 10] + rng.integers(0, NUM_FRAMES, 12).tolist()


@pytest.mark.parametrize('name', [c[0] for c in CLIPS])
def test_frames_equal_decord_at_any_indices(clips, name):
    path = clips[name]
    reader = KeyframeVideoReader(path)
    expected = decord.VideoReader(path, num_threads=1)
    assert len(reader) == len(expected) == NUM_FRAMES
    idx = _indices()
    got = np.stack(reader.get_batch(idx))
    want = expected.get_batch(idx).asnumpy()
    assert got.shape == want.shape and got.dtype == np.uint8
    # Same FFmpeg decoders: equal up to the colour conversion (codec noise bound: 2 levels).
    assert np.abs(got.astype(int) - want).max() <= 2
    # and the frames differ from each other, so a wrong index would be seen
    assert np.abs(got[0].astype(int) - got[1]).mean() > 5
    reader.close()


@pytest.mark.parametrize('name', ['short_gop.mp4'])
def test_short_gop_seeks_instead_of_decoding_everything(clips, name):
    reader = KeyframeVideoReader(clips[name])
    assert reader.seekable and reader.key_frames == list(range(0, NUM_FRAMES, 5))
    decoded = []
    original = reader._restart

    def counting_restart(index):
        decoded.append(index)
        original(index)

    reader._restart = counting_restart
    reader.get_batch([1, 36])
    assert decoded == [1, 36]  # a seek for 36 (keyframe 35), not a decode through 2..35


@pytest.mark.parametrize('shared', ['demo.mp4', 'test.avi'])
def test_shared_real_videos_equal_decord(shared_path, shared):
    path = shared_path('videos', shared)
    reader = KeyframeVideoReader(path)
    expected = decord.VideoReader(path, num_threads=1)
    assert len(reader) == len(expected)
    idx = sorted(np.random.default_rng(1).integers(0, len(reader), 8).tolist()) + [len(reader) - 1]
    got = np.stack(reader.get_batch(idx))
    assert np.abs(got.astype(int) - expected.get_batch(idx).asnumpy()).max() <= 2


def _pipeline(init, decode):
    from mmengine.dataset import Compose
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmaction'):
        return Compose([init, dict(type='SegmentSample', num_segments=8), decode,
                        dict(type='Resize', scale=(-1, 32))])


def test_pipeline_drop_in_for_decord(clips):
    ours = _pipeline(dict(type='KeyframePyAVInit'), dict(type='KeyframePyAVDecode'))
    theirs = _pipeline(dict(type='DecordInit'), dict(type='DecordDecode'))
    for path in clips.values():
        outs = []
        for pipe in (ours, theirs):
            np.random.seed(3)
            outs.append(pipe(dict(filename=path, label=0, start_index=0, modality='RGB')))
        a, b = outs
        assert a['total_frames'] == b['total_frames'] and a['avg_fps'] == pytest.approx(b['avg_fps'])
        assert a['frame_inds'].tolist() == b['frame_inds'].tolist()
        assert a['original_shape'] == b['original_shape'] and a['img_shape'] == b['img_shape']
        assert a['video_reader'] is None
        assert np.abs(np.stack(a['imgs']).astype(int) - np.stack(b['imgs'])).max() <= 2


PIPELINE = [dict(type='KeyframePyAVInit'), dict(type='SegmentSample', num_segments=2, test_mode=True),
            dict(type='KeyframePyAVDecode'), dict(type='Resize', scale=(16, 16), keep_ratio=False),
            dict(type='FormatShape', input_format='NCTHW'), dict(type='PackActionInputs')]


@pytest.mark.parametrize('kind', [k for k in BAD_KINDS if k != 'too_few_frames'])
def test_bad_video_raises_bad_video_error_naming_the_file(clips, tmp_path, kind):
    from mmengine.registry import DefaultScope
    good = clips['short_gop.mp4']
    write_bad_video(str(tmp_path / 'bad.mp4'), kind, good)
    (tmp_path / 'ann.txt').write_text(f'{good} 0\nbad.mp4 0\n')
    with DefaultScope.overwrite_default_scope('mmaction'):
        ds = RobustVideoDataset(ann_file=str(tmp_path / 'ann.txt'), data_prefix=dict(video=str(tmp_path)),
                                pipeline=PIPELINE, test_mode=True)
    assert ds[0]['inputs'].shape == (1, 3, 2, 16, 16)
    with pytest.raises(ChildError) as err:
        run_with_timeout(lambda: ds[1], timeout=60)
    assert err.value.type_name == BadVideoError.__name__
    assert err.value.message.startswith(osp.join(str(tmp_path), 'bad.mp4: ')), err.value.message
    if kind in ('truncated', 'random_bytes'):  # the decoder's reason, from our Init transform
        assert re.search(r'KeyframePyAVInit: \w+', err.value.message), err.value.message


def test_io_backend_reads_the_bytes_through_mmengines_file_backend(clips, monkeypatch):
    """As DecordInit's io_backend: a non-disk backend's ``get`` supplies the bytes (here MMEngine's local backend,
    counted), and the frames are those read from the path."""
    from mmengine.fileio import LocalBackend
    gets = []
    get = LocalBackend.get
    monkeypatch.setattr(LocalBackend, 'get', lambda self, path: gets.append(path) or get(self, path))
    path = clips['short_gop.mp4']
    outs = []
    for args in (dict(), dict(io_backend='local')):
        pipe = _pipeline(dict(type='KeyframePyAVInit', **args), dict(type='KeyframePyAVDecode'))
        np.random.seed(3)
        outs.append(pipe(dict(filename=path, label=0, start_index=0, modality='RGB')))
    assert gets == [path]  # disk: the path is opened itself; 'local': through the backend
    assert np.array_equal(np.stack(outs[0]['imgs']), np.stack(outs[1]['imgs']))
    assert 'io_backend=local' in repr(pipe)


def test_a_demux_error_closes_the_container_at_once(clips, monkeypatch):
    import av
    from ga2clip_mmaction.datasets.transforms import keyframe_video_reader
    opened = []

    class Failing:
        def __init__(self, container):
            self.container, self.closed = container, False
            self.streams = container.streams
            opened.append(self)

        def demux(self, *args, **kwargs):
            raise av.error.InvalidDataError(1094995529, 'Invalid data found when processing input')

        def close(self):
            self.closed = True
            self.container.close()

    real_open = av.open
    monkeypatch.setattr(keyframe_video_reader.av, 'open', lambda *a, **k: Failing(real_open(*a, **k)))
    with pytest.raises(av.error.InvalidDataError):
        KeyframeVideoReader(clips['long_gop.mp4'])
    assert [c.closed for c in opened] == [True]
