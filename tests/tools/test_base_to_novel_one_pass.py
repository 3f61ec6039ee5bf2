"""tools/test.py on base_val + novel_val in one pass (ClassNamesHook + BaseNovelMetric) equals the
released two-run protocol (a base run among base names, a novel run among novel names)."""
import importlib

import pytest

from tiny_eval import write_checkpoint, write_config, write_videos

BASE = ['red square', 'green circle']
NOVEL = ['blue triangle', 'red circle', 'green square']
LABELS = [0, 1, 0, 1, 2, 3, 4, 2, 3, 4, 0, 2]  # base + novel index space, base first
ONE_PASS = f"""
test_evaluator = dict(type='BaseNovelMetric', num_base_classes={len(BASE)})
custom_hooks = [dict(type='ClassNamesHook', test={BASE + NOVEL!r})]
"""


def _test_tool():
    return importlib.import_module('tools.test').main


def _subset(ann_file, keep, shift, out):
    """An annotation file with the lines whose label is kept, labels shifted down by ``shift``."""
    lines = [line.split() for line in open(ann_file).read().splitlines()]
    with open(out, 'w') as f:
        f.write(''.join(f'{name} {int(label) - shift}\n' for name, label in lines
                        if keep(int(label))))
    return out


def test_one_pass_equals_two_separate_runs(tmp_path):
    video_root, ann_file = write_videos(str(tmp_path / 'data'), LABELS)
    one_pass = write_config(str(tmp_path / 'b2n.py'), BASE, extra=ONE_PASS,
                            data=(video_root, ann_file))
    checkpoint = write_checkpoint(one_pass, str(tmp_path / 'ckpt.pth'))
    base_only = write_config(str(tmp_path / 'base.py'), BASE, data=(video_root, _subset(
        ann_file, lambda label: label < 2, 0, str(tmp_path / 'base_val.txt'))))
    novel_only = write_config(str(tmp_path / 'novel.py'), NOVEL, data=(video_root, _subset(
        ann_file, lambda label: label >= 2, 2, str(tmp_path / 'novel_val.txt'))))

    run = _test_tool()
    got = run([one_pass, checkpoint, '--work-dir', str(tmp_path / 'wd_b2n')])
    base = run([base_only, checkpoint, '--work-dir', str(tmp_path / 'wd_base')])
    novel = run([novel_only, checkpoint, '--work-dir', str(tmp_path / 'wd_novel')])

    for key in ('top1', 'top5', 'mean1'):
        assert got[f'b2n/base_{key}'] == pytest.approx(base[f'acc/{key}'])
        assert got[f'b2n/novel_{key}'] == pytest.approx(novel[f'acc/{key}'])
    b, n = base['acc/top1'], novel['acc/top1']
    assert got['b2n/hm'] == pytest.approx(0 if b + n == 0 else 2 * b * n / (b + n))
    assert 'b2n/all_top1' in got


def test_without_the_hook_the_metric_names_the_problem(tmp_path):
    config = write_config(str(tmp_path / 'b2n.py'), BASE, LABELS, extra=ONE_PASS.replace(
        'custom_hooks', 'unused_hooks'))
    checkpoint = write_checkpoint(config, str(tmp_path / 'ckpt.pth'))
    # this config declares no ConfigCheckHook: the metric itself says what is wrong
    with pytest.raises(ValueError, match=r"Label 2 out of range for pred_score with 2 classes \(is the head's class "
                       r'list the full `base \+ novel` list at test time\?\)'):
        _test_tool()([config, checkpoint, '--work-dir', str(tmp_path / 'wd')])
    # with the hook our configs declare (default_hooks.config_check), the run stops before testing, at file:line
    with open(config, 'a') as f:
        f.write("\ndefault_hooks['config_check'] = dict(type='ConfigCheckHook')\n")
    with pytest.raises(ValueError, match=r'ann.txt:5: label 2 but model.cls_head.classnames has 2 classes'):
        _test_tool()([config, checkpoint, '--work-dir', str(tmp_path / 'wd2')])
