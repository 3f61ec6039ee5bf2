"""Tests for AnchorSetDataset: index spaces, anchor metainfo, subset and the leakage guard."""
import pytest
from mmaction.registry import DATASETS
from mmaction.utils import register_all_modules

import ga2clip_mmaction  # noqa: F401

register_all_modules(init_default_scope=True)

PIPELINE = [
    dict(type='DecordInit'),
    dict(type='SegmentSample', num_segments=4),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(16, 16), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs'),
]


def _write_list(path, names, label=0):
    path.write_text(''.join(f'{n} {label}\n' for n in names))
    return str(path)


def _video_dataset(ann_file, prefix='', pipeline=()):
    return dict(type='VideoDataset', ann_file=ann_file, data_prefix=dict(video=prefix),
                pipeline=list(pipeline))


def _wrapper(tmp_path, anchors, main=('m0.mp4', 'm1.mp4', 'm2.mp4'), **kwargs):
    main_ann = _write_list(tmp_path / 'main.txt', main, label=1)
    anchor_ann = _write_list(tmp_path / 'anchors.txt', anchors)
    return DATASETS.build(dict(type='AnchorSetDataset', dataset=_video_dataset(main_ann),
                               anchor_dataset=_video_dataset(anchor_ann), **kwargs))


def test_index_spaces_and_anchor_metainfo(tmp_path, make_video):
    for name in ('m0.mp4', 'm1.mp4', 'a0.mp4', 'a1.mp4'):
        make_video(name, num_frames=6)
    main_ann = _write_list(tmp_path / 'main.txt', ['m0.mp4', 'm1.mp4'], label=2)
    anchor_ann = _write_list(tmp_path / 'anchors.txt', ['a0.mp4', 'a1.mp4'])
    ds = DATASETS.build(dict(
        type='AnchorSetDataset',
        dataset=_video_dataset(main_ann, str(tmp_path), PIPELINE),
        anchor_dataset=_video_dataset(anchor_ann, str(tmp_path), PIPELINE)))
    assert len(ds) == ds.num_main == 2 and ds.num_anchors == 2
    main = ds[1]
    assert tuple(main['inputs'].shape) == (1, 3, 4, 16, 16)
    assert 'is_anchor' not in main['data_samples'].metainfo
    assert main['data_samples'].gt_label.item() == 2
    anchor = ds[3]
    assert anchor['data_samples'].metainfo['is_anchor'] is True
    assert tuple(anchor['inputs'].shape) == (1, 3, 4, 16, 16)
    assert ds.get_data_info(2)['filename'].endswith('a0.mp4')
    with pytest.raises(IndexError, match=r'index 4 out of range \[0, 4\)'):
        ds[4]


def test_max_anchor_videos_is_a_seeded_subset(tmp_path):
    anchors = [f'vol_00/clip{i:03d}.mp4' for i in range(50)]
    files = lambda ds: [ds.get_data_info(ds.num_main + i)['filename'] for i in range(ds.num_anchors)]  # noqa
    a = files(_wrapper(tmp_path, anchors, max_anchor_videos=8))
    b = files(_wrapper(tmp_path, anchors, max_anchor_videos=8))
    c = files(_wrapper(tmp_path, anchors, max_anchor_videos=8, subset_seed=1))
    assert len(a) == 8 and len(set(a)) == 8 and a == b
    assert set(a) <= set(anchors) and a != c
    assert len(files(_wrapper(tmp_path, anchors, max_anchor_videos=0))) == 50


def test_leakage_guard_drop_strict_and_match_modes(tmp_path):
    anchors = ['vol_01/AAAAAAAAAAA_000001_000011.mp4',   # same clip as an eval clip
               'vol_02/AAAAAAAAAAA_000050_000060.mp4',   # other segment of the same YouTube video
               'vol_03/BBBBBBBBBBB_000000_000010.mp4',   # eval list names it by YouTube id only
               'vol_04/CCCCCCCCCCC_000000_000010.mp4']   # clean
    eval1 = tmp_path / 'novel_val.txt'
    eval1.write_bytes(b'val/AAAAAAAAAAA_000001_000011.mp4 3\r\n')
    eval2 = tmp_path / 'base_val_new.txt'
    eval2.write_text('BBBBBBBBBBB.mp4, 5')
    evals = [str(eval1), str(eval2)]
    ds = _wrapper(tmp_path, anchors, eval_ann_files=evals)
    assert ds.num_anchors == 2
    assert ds.leaked_anchors == [anchors[0], anchors[2]]
    ds = _wrapper(tmp_path, anchors, eval_ann_files=evals, leakage_match='video')
    assert ds.num_anchors == 1 and len(ds.leaked_anchors) == 3
    assert _wrapper(tmp_path, anchors, eval_ann_files=evals, leakage='off').num_anchors == 4
    with pytest.raises(ValueError, match=r'2 of 4 anchor clips appear in the evaluation lists .*novel_val'):
        _wrapper(tmp_path, anchors, eval_ann_files=evals, leakage='strict')
    with pytest.raises(ValueError, match='no anchor clips left'):
        _wrapper(tmp_path, anchors[:1], eval_ann_files=evals)


def test_bad_options(tmp_path):
    with pytest.raises(ValueError, match="leakage must be one of"):
        _wrapper(tmp_path, ['a.mp4'], leakage='warn')
    with pytest.raises(ValueError, match='max_anchor_videos must be >= 0'):
        _wrapper(tmp_path, ['a.mp4'], max_anchor_videos=-1)


def test_shipped_anchor_list_overlaps_k400_val(tmp_path, shared_path):
    anchors = shared_path('data', 'anchors', 'k600_anchor_clips.txt')
    b2n = shared_path('data', 'splits', 'base2novel_splits', 'k400_splits')
    base_val, novel_val = f'{b2n}/base_val.txt', f'{b2n}/novel_val.txt'
    main_ann = _write_list(tmp_path / 'main.txt', ['m0.mp4'])

    def build(evals, **kwargs):
        return DATASETS.build(dict(type='AnchorSetDataset', dataset=_video_dataset(main_ann),
                                   anchor_dataset=_video_dataset(anchors), eval_ann_files=evals,
                                   **kwargs))

    ds = build([base_val, novel_val])
    assert (len(ds.leaked_anchors), ds.num_anchors) == (136, 4595 - 136)
    assert len(build([novel_val]).leaked_anchors) == 80
    assert len(build([shared_path('data', 'splits', 'k400_splits', 'val.txt')]).leaked_anchors) == 136
    # the GA2 variant names base_val clips by YouTube id only: the same 56 base_val clips are found
    variant = shared_path('data', 'splits', 'base2novel_splits', 'k400_splits_ga2_variant',
                          'base_val_new.txt')
    assert len(build([variant]).leaked_anchors) == 56
    # three more anchor clips are other segments of K400 val videos
    assert len(build([base_val, novel_val], leakage_match='video').leaked_anchors) == 139
