"""tools/data/from_folder.py: a folder of class folders -> annotation files, class lists, splits and a config."""
import importlib
import os
import os.path as osp

import pytest

from tests.conftest import REPO_ROOT
from tests.reliability.world import write_bad_video, write_video

# class folder -> number of readable videos (one more, broken, in 'juggling_balls'; one nested one deeper)
CLASSES = {'arm_wrestling': 3, 'juggling_balls': 3, 'typing': 3, 'riding_a_bike': 3, 'swimming': 1}


def _tool():
    return importlib.import_module('tools.data.from_folder')


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / 'my videos'.replace(' ', '_')
    for label, (name, count) in enumerate(CLASSES.items()):
        for k in range(count):
            sub = 'day2' if k == 2 else ''  # any depth below the class folder
            write_video(str(root / name / sub / f'{name}_{k}.mp4'), seed=10 * label + k, label=label)
    write_bad_video(str(root / 'juggling_balls' / 'broken.mp4'), 'truncated', str(root / 'typing' / 'typing_0.mp4'))
    (root / 'juggling_balls' / 'notes.txt').write_text('not a video')
    return root


def _files(out):
    found = {}
    for folder, _, files in os.walk(out):
        for f in files:
            path = osp.join(folder, f)
            found[osp.relpath(path, out)] = open(path, 'rb').read()
    return found


def _lines(path):
    return [line.rsplit(' ', 1) for line in open(path).read().splitlines()]


def test_folder_to_lists_and_config(folder, tmp_path, capsys):
    from mmengine.config import Config
    out = tmp_path / 'run'
    args = [str(folder), '--out', str(out), '--base-config', osp.join(REPO_ROOT, 'configs', 'ga2clip_b2n_demo.py'),
            '--novel-fraction', '0.25', '--shots', '2', '--val-fraction', '0.34', '--seed', '3', '--workers', '2']
    config = _tool().main(args)
    printed = capsys.readouterr().out.splitlines()
    # the bad video is listed with its reason and left out; the short class is named with what is missing
    assert any(line.startswith('  juggling_balls/broken.mp4: ') for line in printed)
    assert open(out / 'bad_videos.txt').read().startswith('juggling_balls/broken.mp4\t')
    [short] = [line for line in printed if "'swimming'" in line]
    assert 'needs 2 training (2 shots) + 1 validation: 2 missing' in short
    # the last two lines are the commands to train and test the written config
    assert printed[-2:] == [f'python tools/train.py {config}',
                            f'python tools/test.py {config} work_dirs/ga2clip_b2n_demo_my_videos/epoch_6.pth']
    base = open(out / 'labels' / 'base_labels.csv').read().splitlines()
    novel = open(out / 'labels' / 'novel_labels.csv').read().splitlines()
    names = [line.split(',', 1)[1] for line in base[1:] + novel[1:]]
    assert base[0] == 'id,name' and sorted(names) == sorted(n.replace('_', ' ') for n in CLASSES)
    assert len(novel) - 1 == 1  # round(0.25 * 5)
    listed = {}
    for name in ('base_train', 'fs_base_s1_train', 'base_val', 'novel_val', 'base_novel_val'):
        rows = _lines(out / 'splits' / f'{name}.txt')
        assert all(osp.isfile(folder / path) for path, _ in rows)
        assert all(path.split('/')[0].replace('_', ' ') == names[int(label) if name != 'novel_val'
                                                                  else len(base) - 1 + int(label)]
                   for path, label in rows)
        listed[name] = [path for path, _ in rows]
    assert 'juggling_balls/day2/juggling_balls_2.mp4' in sum(listed.values(), []) or \
        'juggling_balls' in names[len(base) - 1:]
    assert not any('broken' in p for p in sum(listed.values(), []))
    assert not set(listed['base_val']) & set(listed['base_train'])
    assert set(listed['fs_base_s1_train']) <= set(listed['base_train'])
    assert listed['base_novel_val'] == listed['base_val'] + listed['novel_val']
    # the config inherits the base config and points every data path at the new files
    cfg = Config.fromfile(config)
    assert cfg.model.cls_head.classnames == str(out / 'labels' / 'base_labels.csv')
    assert cfg.train_dataloader.dataset.dataset.ann_file == str(out / 'splits' / 'fs_base_s1_train.txt')
    assert cfg.train_dataloader.dataset.dataset.data_prefix.video == str(folder)
    assert cfg.train_dataloader.dataset.eval_ann_files == [str(out / 'splits' / 'base_val.txt'),
                                                           str(out / 'splits' / 'novel_val.txt')]
    assert cfg.test_dataloader.dataset.ann_file == str(out / 'splits' / 'base_novel_val.txt')
    assert cfg.test_evaluator == dict(type='BaseNovelMetric', num_base_classes=len(base) - 1)
    assert cfg.custom_hooks == [dict(type='ClassNamesHook', test=str(out / 'labels' / 'all_labels.csv'))]
    assert cfg.model.cls_head.anchor_loss.type == 'AnchorLoss'  # the rest is the base config's

    # same options: the same files, nothing rewritten; other options: refused unless --overwrite
    before = _files(out)
    _tool().main(args)
    assert 'unchanged (same as the earlier output)' in capsys.readouterr().out
    assert _files(out) == before
    other = args[:-4] + ['--seed', '4', '--workers', '2']
    with pytest.raises(FileExistsError, match=r'holds a different earlier output .*pass --overwrite'):
        _tool().main(other)
    assert _files(out) == before
    _tool().main(other + ['--overwrite'])
    assert _files(out) != before


def test_default_base_config_and_no_split(folder, tmp_path, capsys):
    from mmengine.config import Config
    out = tmp_path / 'plain'
    config = _tool().main([str(folder), '--out', str(out), '--workers', '1'])
    assert osp.basename(config) == 'ga2clip_b2n_k400_my_videos.py'
    cfg = Config.fromfile(config)
    assert cfg.model.backbone.clip.weights == 'data/weights/ViT-B-16.pt'  # ViT-B/16 base-to-novel
    assert cfg.test_evaluator == dict(type='AccMetric')
    assert cfg.val_dataloader.dataset.ann_file == cfg.test_dataloader.dataset.ann_file == str(
        out / 'splits' / 'base_val.txt')
    # the released base-to-novel recipe trains anchors off: a plain dataset (no anchor wrapper) and the
    # base config's SeededBatchSampler
    assert 'anchor_dataset' not in cfg.train_dataloader.dataset
    assert cfg.train_dataloader.dataset.ann_file == str(out / 'splits' / 'base_train.txt')
    assert cfg.train_dataloader.dataset.data_prefix.video == str(folder)
    assert cfg.train_dataloader.batch_sampler.type == 'SeededBatchSampler'
    assert not (out / 'labels' / 'novel_labels.csv').exists()
    assert capsys.readouterr().out.splitlines()[-1].endswith('work_dirs/ga2clip_b2n_k400_my_videos/epoch_12.pth')


def test_bad_inputs(folder, tmp_path):
    tool = _tool()
    with pytest.raises(FileNotFoundError, match='Not a directory: .*nowhere'):
        tool.main([str(tmp_path / 'nowhere'), '--out', str(tmp_path / 'o')])
    with pytest.raises(ValueError, match=r'--novel-fraction must be in \[0, 1\), got 1.5'):
        tool.main([str(folder), '--out', str(tmp_path / 'o'), '--novel-fraction', '1.5'])
    (tmp_path / 'full').mkdir()
    (tmp_path / 'full' / 'something.txt').write_text('x')
    with pytest.raises(FileExistsError, match='is not empty and holds no report.json'):
        tool.main([str(folder), '--out', str(tmp_path / 'full'), '--workers', '1'])
    empty = tmp_path / 'empty' / 'a'
    empty.mkdir(parents=True)
    with pytest.raises(ValueError, match='no class folder with videos'):
        tool.main([str(tmp_path / 'empty'), '--out', str(tmp_path / 'o')])
