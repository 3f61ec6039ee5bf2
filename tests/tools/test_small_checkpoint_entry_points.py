"""A small checkpoint (written by SmallCheckpointHook during a real run) is completed or refused the same way in
every entry point: ``tools/test.py``, ``--resume``, ``load_from``, ``tools/convert_official_checkpoint.py``
(``tools/infer.py``: tests/tools/test_infer.py). Another ``randomness.seed`` builds the tiny random CLIP with
other frozen weights, as another ``clip.weights`` file would."""
import os.path as osp

import pytest

from ga2clip_mmaction.utils.checkpoint import safe_torch_load
from ga2clip_mmaction.utils.small_checkpoint import SmallCheckpointError
from tests.reliability.world import make_world

EXTRA = "default_hooks['checkpoint'] = dict(type='SmallCheckpointHook', interval=1)\n"


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    import tools.train as train
    root = tmp_path_factory.mktemp('small_entry')
    config = make_world(str(root / 'w'), num_train=4, epochs=1, extra=EXTRA)
    work_dir = str(root / 'run')
    train.main([config, '--work-dir', work_dir])
    ckpt = osp.join(work_dir, 'epoch_1.pth')
    assert safe_torch_load(ckpt, map_location='cpu')['meta']['small_checkpoint']['kind'] == 'small'
    return config, work_dir, ckpt


def test_tools_test_refills_or_refuses(trained, tmp_path):
    import tools.test as test
    config, _, ckpt = trained
    metrics = test.main([config, ckpt, '--work-dir', str(tmp_path / 'ok')])
    assert 'acc/top1' in metrics
    with pytest.raises(SmallCheckpointError, match='other frozen weights'):
        test.main([config, ckpt, '--work-dir', str(tmp_path / 'other'), '--cfg-options', 'randomness.seed=5'])


@pytest.mark.parametrize('how', ['resume', 'load_from'])
def test_training_entry_points_refuse_other_frozen_weights(trained, tmp_path, how):
    import tools.train as train
    config, _, ckpt = trained
    args = ['--resume', ckpt] if how == 'resume' else ['--cfg-options', f'load_from={ckpt}']
    other = ['randomness.seed=5'] if how == 'load_from' else ['--cfg-options', 'randomness.seed=5']
    with pytest.raises(SmallCheckpointError, match='other frozen weights'):
        train.main([config, '--work-dir', str(tmp_path / how), *args, *other])


def test_converter_refuses_a_small_checkpoint_naming_the_left_out_keys(trained, tmp_path):
    import tools.convert_official_checkpoint as convert
    _, _, ckpt = trained
    with pytest.raises(SmallCheckpointError, match=r'small checkpoint.*left out \d+ frozen weights '
                                                   r'\(backbone\.visual\.'):
        convert.main([ckpt, str(tmp_path / 'out.pth'), '--clip', ckpt])
