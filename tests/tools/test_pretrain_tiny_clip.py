"""projects/ga2clip_demo/tools/pretrain_tiny_clip.py: the multi-positive contrastive loss and the caption-set reader."""
import importlib

import pytest
import torch
import torch.nn.functional as F


@pytest.fixture(scope='module')
def tool():
    return importlib.import_module('ga2clip_demo.pretrain_tiny_clip')


def test_one_positive_is_clip_loss(tool):
    logits = torch.randn(5, 5)
    expected = 0.5 * (F.cross_entropy(logits, torch.arange(5)) + F.cross_entropy(logits.t(), torch.arange(5)))
    assert torch.allclose(tool.multi_positive_loss(logits, torch.eye(5, dtype=torch.bool)), expected)


def test_repeated_caption_counts_as_positive(tool):
    # images 0 and 1 both match caption 0: with both as positives the loss is log 1 = 0 when the
    # caption scores the two images equally and the others far lower
    logits = torch.tensor([[10., -10.], [10., -10.], [-10., 10.]])
    pos = torch.tensor([[True, False], [True, False], [False, True]])
    loss = tool.multi_positive_loss(logits, pos)
    assert loss.item() < 1e-3
    # counting image 1 as a negative of caption 0 (plain InfoNCE) would cost about log 2 on that column
    only_first = pos.clone()
    only_first[1, 0] = False
    only_first[1, 1] = True
    assert tool.multi_positive_loss(logits, only_first).item() > 0.2


def test_read_captions(tool, tmp_path):
    good = tmp_path / 'c.tsv'
    good.write_text('caption\tcolour\tshape\tsize\ttexture\tbackground\n'
                    'red object\tred\t-\t-\t-\t-\n')
    caps, cons = tool.read_captions(str(good))
    assert caps == ['red object']
    assert cons == [dict(colour='red', shape=None, size=None, texture=None, background=None)]
    bad = tmp_path / 'bad.tsv'
    bad.write_text('text\tcolour\n')
    with pytest.raises(ValueError, match='bad.tsv:1: expected header'):
        tool.read_captions(str(bad))
    with pytest.raises(FileNotFoundError, match='make_synthetic_videos'):
        tool.read_captions(str(tmp_path / 'missing.tsv'))
