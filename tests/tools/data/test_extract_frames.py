"""tools/data/extract_frames.py: MMAction2's rawframe layout (img_{k+1:05d}.jpg is frame k), frames equal to the
original's at the same indices within JPEG noise (PSNR >= 30 dB, kept size and 2x down), resumability, failures
with their reason, the rawframe annotation files; and the rawframes variant of a protocol config
(configs/ga2clip_b2n_hmdb51_rawframes.py) builds a RobustRawframeDataset + RawFrameDecode pipeline that loads a clip
from them."""
import os
import os.path as osp

import av  # noqa: F401 - before decord (its bundled FFmpeg breaks PyAV's libvpx encoder otherwise)
import cv2
import decord
import numpy as np
import pytest

from tools.data.extract_frames import extract_dataset, main

from tests.helpers.codec_sources import psnr, write_codec_sources

NUM_FRAMES = 24
REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


@pytest.fixture
def src(tmp_path):
    """A long-GOP H.264 clip, a VP9 clip in a subfolder, a junk file, and an annotation list."""
    return write_codec_sources(str(tmp_path / 'videos'), NUM_FRAMES)


def _video(path):
    reader = decord.VideoReader(path, num_threads=1)
    return reader.get_batch(list(range(len(reader)))).asnumpy()


def _jpeg(folder, k):
    return cv2.imread(osp.join(folder, f'img_{k + 1:05d}.jpg'))[..., ::-1]


@pytest.mark.parametrize('short_side', [0, 48])
def test_frames_match_the_original_at_the_same_indices(src, tmp_path, short_side):
    dst = str(tmp_path / 'rawframes')
    result = extract_dataset(src, dst, osp.join(src, 'train.txt'), progress=False, short_side=short_side)
    assert (result['done'], result['skipped'], len(result['failed'])) == (2, 0, 1)
    for rel, folder in (('a.mp4', 'a'), ('sub/b.webm', 'sub/b')):
        want = _video(osp.join(src, rel))
        names = sorted(os.listdir(osp.join(dst, folder)))
        assert names == [f'img_{k:05d}.jpg' for k in range(1, NUM_FRAMES + 1)]
        got = np.stack([_jpeg(osp.join(dst, folder), k) for k in range(NUM_FRAMES)])
        if short_side:
            assert got.shape[1:] == (48, 64, 3)
            want = np.stack([cv2.resize(f, (64, 48), interpolation=cv2.INTER_AREA) for f in want])
        values = [psnr(g, w) for g, w in zip(got, want)]
        assert min(values) >= 30.0, values
        assert psnr(got[5], want[6]) < min(values) - 3  # a neighbour is far worse: the indices line up
    assert open(result['ann_out']).read() == f'a {NUM_FRAMES} 3\nsub/b {NUM_FRAMES} 1\n'
    assert open(result['index']).read() == f'a {NUM_FRAMES} 3\nsub/b {NUM_FRAMES} 1\n'


def test_resumable_failures_listed(src, tmp_path, capsys):
    dst = str(tmp_path / 'rawframes')
    assert main([src, dst, '--workers', '2', '--short-side', '0']) == 1
    out = capsys.readouterr().out
    assert 'extracted 2, already done 0, failed 1' in out
    assert f"FAILED {osp.join(src, 'junk.mp4')}: InvalidDataError" in out
    failures = open(osp.join(dst, 'failures.txt')).read().splitlines()
    assert len(failures) == 1 and failures[0].startswith(osp.join(src, 'junk.mp4') + '\tInvalidDataError')
    assert not [d for d, _, _ in os.walk(dst) if d.endswith('.part')]
    assert open(osp.join(dst, 'rawframes.txt')).read() == f'a {NUM_FRAMES} -1\nsub/b {NUM_FRAMES} -1\n'

    first = os.stat(osp.join(dst, 'a', 'img_00001.jpg')).st_mtime_ns
    os.remove(osp.join(dst, 'sub', 'b', 'img_00003.jpg'))  # a finished folder is not checked frame by frame
    result = extract_dataset(src, dst, progress=False, short_side=0)
    assert (result['done'], result['skipped']) == (0, 2)
    assert os.stat(osp.join(dst, 'a', 'img_00001.jpg')).st_mtime_ns == first  # not rewritten
    assert f'sub/b {NUM_FRAMES - 1} -1' in open(result['index']).read()  # counted from the folder

    import shutil
    shutil.rmtree(osp.join(dst, 'sub', 'b'))
    os.makedirs(osp.join(dst, 'sub', 'b.part'))  # an interrupted extraction is redone
    result = extract_dataset(src, dst, progress=False, short_side=0)
    assert (result['done'], result['skipped']) == (1, 1)
    assert len(os.listdir(osp.join(dst, 'sub', 'b'))) == NUM_FRAMES and not osp.exists(osp.join(dst, 'sub', 'b.part'))


def test_two_lists_into_one_root_merge_the_index_and_a_conflicting_label_is_refused(src, tmp_path):
    """Train list, then val list, into one root: both lists' videos are in rawframes.txt (before: only the
    last list's, every train video then read as 0 frames)."""
    dst = str(tmp_path / 'rawframes')
    (tmp_path / 'train.txt').write_text('a.mp4 3\n')
    (tmp_path / 'val.txt').write_text('sub/b.webm 1\n')
    extract_dataset(src, dst, str(tmp_path / 'train.txt'), progress=False, short_side=32)
    result = extract_dataset(src, dst, str(tmp_path / 'val.txt'), progress=False, short_side=32)
    assert open(result['index']).read() == f'a {NUM_FRAMES} 3\nsub/b {NUM_FRAMES} 1\n'
    assert open(result['ann_out']).read() == f'sub/b {NUM_FRAMES} 1\n'
    extract_dataset(src, dst, progress=False, short_side=32)  # every video, no labels: the labels stay
    assert open(result['index']).read() == f'a {NUM_FRAMES} 3\nsub/b {NUM_FRAMES} 1\n'
    (tmp_path / 'other.txt').write_text('a.mp4 2\n')
    with pytest.raises(ValueError, match=r'a.mp4: .*other.txt labels it 2, but .*rawframes.txt already has a '
                                         r'labelled 3'):
        extract_dataset(src, dst, str(tmp_path / 'other.txt'), progress=False, short_side=32)
    assert open(result['index']).read() == f'a {NUM_FRAMES} 3\nsub/b {NUM_FRAMES} 1\n'  # untouched


def test_protocol_config_switched_to_rawframes_loads_a_clip(src, tmp_path, monkeypatch):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmaction.registry import DATASETS
    import ga2clip_mmaction  # noqa: F401 - registers the dataset

    extract_dataset(src, str(tmp_path / 'rawframes'), progress=False, short_side=0)  # default frames root
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'ga2clip_b2n_hmdb51_rawframes.py'))
    video_cfg = Config.fromfile(osp.join(REPO, 'configs', 'ga2clip_b2n_hmdb51.py'))
    init_default_scope('mmaction')
    dataset_cfg = cfg.train_dataloader.dataset
    assert dataset_cfg.type == 'RobustRawframeDataset'
    assert [t['type'] for t in dataset_cfg.pipeline[:2]] == ['SegmentSample', 'RawFrameDecode']
    for key in ('val_dataloader', 'test_dataloader'):
        dataset = cfg[key].dataset
        assert dataset.type == 'RobustRawframeDataset' and dataset.pipeline[1]['type'] == 'RawFrameDecode'
    assert video_cfg.train_dataloader.dataset.type == 'RobustVideoDataset'
    dataset_cfg.update(ann_file=osp.join(src, 'train.txt'), data_prefix=dict(video=src))
    dataset = DATASETS.build(dataset_cfg)
    assert dataset.get_data_info(0)['frame_dir'] == str(tmp_path / 'rawframes' / 'a')
    steps = dataset.pipeline.transforms
    np.random.seed(0)
    loaded = steps[1](steps[0](dataset.get_data_info(1)))  # sub/b: sample + decode only
    want = _video(osp.join(src, 'sub', 'b.webm'))[loaded['frame_inds'] - 1]
    assert len(loaded['imgs']) == 32 and loaded['total_frames'] == NUM_FRAMES
    assert min(psnr(g, w) for g, w in zip(loaded['imgs'], want)) >= 30.0
    sample = dataset[1]  # the whole released train pipeline
    assert tuple(sample['inputs'].shape) == (1, 3, 32, 224, 224)
    # the junk video was never extracted: a bad video under the raise policy, named by its first frame
    dataset_cfg.update(bad_video='raise')
    from ga2clip_mmaction.datasets import BadVideoError
    with pytest.raises(BadVideoError, match='junk/img_00001.jpg: file not found'):
        DATASETS.build(dataset_cfg)[2]
