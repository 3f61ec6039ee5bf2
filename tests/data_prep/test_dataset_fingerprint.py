"""tools/data/fingerprint.py + tools/data/diff_dataset.py on the synthetic world: a copy with 3 videos deleted, 2
re-encoded, 1 truncated (and 1 re-muxed, which must agree) is told apart video by video, and testing on the common
annotation gives the same accuracy on both copies."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest

from tests.tools.tiny_eval import write_checkpoint, write_config

SPLIT = 'splits/base2novel_splits/synth_splits/base_novel_val.txt'


def _rewrite(path, keep=None):
    """Decode a video and encode it again (mp4v, same fps and size), keeping its first ``keep`` frames."""
    import cv2
    import decord
    frames = decord.VideoReader(path).get_batch(list(range(len(decord.VideoReader(path))))).asnumpy()
    frames = frames[:keep] if keep else frames
    writer = cv2.VideoWriter(path + '.tmp.mp4', cv2.VideoWriter_fourcc(*'mp4v'), 8,
                             (frames.shape[2], frames.shape[1]))
    for frame in frames:
        writer.write(np.ascontiguousarray(frame[..., ::-1]))
    writer.release()
    os.replace(path + '.tmp.mp4', path)


def _remux(path):
    """Copy the packets into a new container (no decoding): the decoded frames stay the same."""
    av = pytest.importorskip('av')
    with av.open(path) as src, av.open(path + '.tmp.mp4', 'w', format='mov') as dst:
        stream = dst.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                dst.mux(packet)
    os.replace(path + '.tmp.mp4', path)


@pytest.fixture(scope='module')
def copies(tmp_path_factory):
    import ga2clip_demo.make_synthetic_videos as make
    root = tmp_path_factory.mktemp('fingerprint')
    world = str(root / 'world')
    make.main(['--out', world, '--frames', '8', '--size', '32', '--shots', '1', '--base-pool', '1',
               '--val-per-class', '2', '--stage1-per-class', '1', '--anchors-per-class', '1'])
    ann = osp.join(world, SPLIT)
    ids = [line.split()[0] for line in open(ann).read().splitlines() if line.strip()]
    copy = str(root / 'copy')
    shutil.copytree(osp.join(world, 'videos'), copy)
    changed = {'missing_in_b': ids[0:3], 're-encoded': ids[10:12], 'truncated': ids[20:21]}
    for vid in changed['missing_in_b']:
        os.remove(osp.join(copy, vid))
    for vid in changed['re-encoded']:
        _rewrite(osp.join(copy, vid))
    for vid in changed['truncated']:
        _rewrite(osp.join(copy, vid), keep=5)
    remuxed = ids[30]
    _remux(osp.join(copy, remuxed))
    return root, world, ann, ids, copy, changed, remuxed


def test_diff_names_exactly_the_changed_videos_with_their_kind(copies, capsys):
    import tools.data.diff_dataset as diff_tool
    import tools.data.fingerprint as fp_tool
    root, world, ann, ids, copy, changed, remuxed = copies
    a = fp_tool.main([ann, '--video-root', osp.join(world, 'videos'), '--out', str(root / 'a.json'),
                      '--workers', '2'])
    b = fp_tool.main([ann, '--video-root', copy, '--out', str(root / 'b.json'), '--no-progress'])
    assert a['timing']['videos'] == len(ids) and 'per video (wall)' in capsys.readouterr().out
    entry = a['videos'][ids[0]]
    assert (entry['frames'], entry['width'], entry['height'], entry['fps']) == (8, 32, 32, 8.0)
    assert sorted(entry['frame_hashes']) == ['0', '2', '4', '5', '7'] and entry['size'] > 0
    assert b['videos'][changed['truncated'][0]]['frames'] == 5
    diff = diff_tool.main([str(root / 'a.json'), str(root / 'b.json'), '--common-ann', str(root / 'common.txt')])
    found = {kind: sorted(item['id'] for item in diff[kind]) for kind in diff_tool.KINDS if diff[kind]}
    assert found == {kind: sorted(v) for kind, v in changed.items()}
    assert remuxed in diff['agree'] and diff['remuxed'] == [remuxed]
    assert all('8 frames in A, 5 in B' == item['detail'] for item in diff['truncated'])
    out = capsys.readouterr().out
    assert f'truncated     {changed["truncated"][0]}  (8 frames in A, 5 in B)' in out
    assert f'{len(ids) - 6} videos agree (1 of them re-muxed' in out
    common = open(root / 'common.txt').read().splitlines()
    expected = [line for line in open(ann).read().splitlines()
                if line.split()[0] not in sum(changed.values(), [])]
    assert common == expected and len(common) == len(ids) - 6


def test_fingerprint_resumes_and_redoes_changed_files(copies, tmp_path):
    import tools.data.fingerprint as fp_tool
    root, world, ann, ids, copy, changed, _ = copies
    videos = str(tmp_path / 'videos')
    shutil.copytree(osp.join(world, 'videos'), videos)
    out = str(tmp_path / 'm.json')
    first = fp_tool.main([ann, '--video-root', videos, '--out', out, '--no-progress'])
    again = fp_tool.main([ann, '--video-root', videos, '--out', out, '--no-progress'])
    assert (again['timing']['videos'], again['timing']['resumed']) == (0, len(ids))
    assert again['videos'] == first['videos']
    _rewrite(osp.join(videos, ids[5]), keep=3)
    third = fp_tool.main([ann, '--video-root', videos, '--out', out, '--no-progress'])
    assert (third['timing']['videos'], third['videos'][ids[5]]['frames']) == (1, 3)


def test_common_annotation_gives_the_same_accuracy_on_both_copies(copies):
    import tools.data.diff_dataset as diff_tool
    import tools.data.fingerprint as fp_tool
    import tools.test as test
    root, world, ann, ids, copy, changed, _ = copies
    for side, videos in (('a3', osp.join(world, 'videos')), ('b3', copy)):
        fp_tool.main([ann, '--video-root', videos, '--out', str(root / f'{side}.json'), '--no-progress'])
    common = str(root / 'common3.txt')
    diff_tool.main([str(root / 'a3.json'), str(root / 'b3.json'), '--common-ann', common])
    names = [line.split(',', 1)[1] for line in open(osp.join(world, 'labels', 'synth_all_labels.csv'))
             .read().splitlines()[1:]]
    metrics = {}
    for side, videos in (('untouched', osp.join(world, 'videos')), ('copy', copy)):
        config = write_config(str(root / f'{side}.py'), names, data=(videos, common))
        ckpt = write_checkpoint(config, str(root / 'tiny.pth')) if side == 'untouched' else str(root / 'tiny.pth')
        metrics[side] = test.main([config, ckpt, '--work-dir', str(root / f'test_{side}'), '--dump',
                                   str(root / f'{side}.pkl')])
    assert metrics['copy'] == metrics['untouched'] and 'acc/top1' in metrics['copy']
    from mmengine.fileio import load
    untouched, copied = load(str(root / 'untouched.pkl')), load(str(root / 'copy.pkl'))
    assert len(copied) == len(ids) - 6
    for x, y in zip(untouched, copied):
        assert np.array_equal(x['pred_score'].numpy(), y['pred_score'].numpy())


def test_diff_kinds_on_hand_made_manifests():
    from ga2clip_mmaction.data_prep.dataset_diff import common_annotation, diff_manifests

    def video(frames=8, digest='x', size=10, **extra):
        return dict(frames=frames, frames_sha256=digest, frame_hashes={'0': digest}, size=size, **extra)

    a = dict(annotation=[['same', 'same 0'], ['gone', 'gone 1'], ['both', 'both 1'], ['bad', 'bad 0'],
                         ['long', 'long 1']],
             videos=dict(same=video(), gone=video(), both=dict(id='both', missing=True), bad=video(),
                         long=video()))
    b = dict(annotation=a['annotation'] + [['new', 'new 0']],
             videos=dict(same=video(size=11, container='avi'), gone=dict(id='gone', missing=True),
                         both=dict(id='both', missing=True), bad=dict(id='bad', error='DECORDError: eof'),
                         long=video(frames=9), new=video()))
    diff = diff_manifests(a, b)
    found = {k: [(i['id'], i['detail']) for i in v] for k, v in diff.items() if v and k not in ('agree', 'remuxed')}
    assert found == {'missing_in_a': [('new', 'not listed')], 'missing_in_b': [('gone', 'file absent')],
                     'missing_in_both': [('both', 'absent on both sides')],
                     'unreadable': [('bad', 'B: DECORDError: eof')], 'padded': [('long', '8 frames in A, 9 in B')]}
    assert diff['agree'] == diff['remuxed'] == ['same'] and common_annotation(a, diff) == ['same 0']
