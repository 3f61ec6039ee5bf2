"""tools/publish_model.py: a published checkpoint (weights only, named by sha256) of a real small-checkpoint run
gives the same test metrics and the same inference as the original (CLIP weights read from a file, so the
small checkpoints are refilled from it)."""
import glob
import hashlib
import os.path as osp
import re

import pytest

from ga2clip_mmaction.utils.checkpoint import safe_torch_load
from tests.reliability.world import make_world

EXTRA = "default_hooks['checkpoint'] = dict(type='SmallCheckpointHook', interval=1)\n"


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    import tools.train as train
    import torch
    from ga2clip_mmaction.models.clip_weights import build_clip
    root = tmp_path_factory.mktemp('publish')
    # CLIP weights from a file, as in a real run: a small checkpoint is refilled from it by every entry point
    weights = str(root / 'clip.pt')
    torch.save(build_clip('GA2-Tiny-Random').state_dict(), weights)
    extra = EXTRA + ''.join(f"model['{part}']['clip'] = dict(arch='GA2-Tiny-Random', weights={weights!r})\n"
                            for part in ('backbone', 'cls_head'))
    config = make_world(str(root / 'w'), num_train=4, epochs=1, extra=extra)
    work_dir = str(root / 'run')
    train.main([config, '--work-dir', work_dir])
    return root, config, osp.join(work_dir, 'epoch_1.pth')


def test_published_checkpoint_tests_and_infers_as_the_original(trained, capsys):
    import tools.infer as infer
    import tools.publish_model as publish
    import tools.test as test
    root, config, ckpt = trained
    out = publish.main([ckpt, str(root / 'pub' / 'ga2clip_world')])
    assert re.fullmatch(re.escape(str(root / 'pub' / 'ga2clip_world')) + r'-[0-9a-f]{8}\.pth', out)
    assert hashlib.sha256(open(out, 'rb').read()).hexdigest()[:8] == out[-12:-4]
    assert glob.glob(str(root / 'pub' / '*')) == [out]  # no temporary file left
    printed = capsys.readouterr().out
    assert 'dropped: ' in printed and 'optimizer' in printed and 'message_hub' in printed
    original, published = safe_torch_load(ckpt), safe_torch_load(out)
    assert set(published) == {'state_dict', 'meta'}
    assert {'optimizer', 'message_hub'} <= set(original)
    assert published['meta']['small_checkpoint'] == original['meta']['small_checkpoint']  # the fingerprint
    assert sorted(published['state_dict']) == sorted(original['state_dict'])
    assert osp.getsize(out) < osp.getsize(ckpt)

    metrics = {}
    for name, path in (('original', ckpt), ('published', out)):
        metrics[name] = test.main([config, path, '--work-dir', str(root / f'test_{name}')])
    assert 'acc/top1' in metrics['original'] and metrics['published'] == metrics['original']

    video = osp.join(osp.dirname(config), 'test_1.mp4')
    top = {name: infer.main([video, '--config', config, '--checkpoint', path, '--classes',
                             'red square,green circle,blue triangle'])
           for name, path in (('original', ckpt), ('published', out))}
    assert top['published'] == top['original']


def test_refuses_a_file_that_is_not_a_training_checkpoint(tmp_path):
    import torch
    from ga2clip_mmaction.utils.publish import publish_checkpoint
    torch.save({'hard_prompt': torch.zeros(2, 4)}, tmp_path / 'hard.pt')
    with pytest.raises(KeyError, match=r"not an MMEngine checkpoint: no `state_dict` \(top level: \['hard_prompt'\]"):
        publish_checkpoint(str(tmp_path / 'hard.pt'), str(tmp_path / 'out'))
    assert not list(tmp_path.glob('out*'))
