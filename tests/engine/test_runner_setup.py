"""The tools' command-line flags turn into the Runner config MMAction2's tools would make."""
import os.path as osp

import pytest

from ga2clip_mmaction.engine.runner_setup import (build_test_config, build_test_parser,
                                                 build_train_config, build_train_parser)


def train_cfg(*argv: str):
    return build_train_config(build_train_parser().parse_args(list(argv)))


def test_defaults_keep_the_config(toy_recognizer_config):
    cfg = train_cfg(toy_recognizer_config)
    assert cfg.work_dir == osp.join('./work_dirs', 'toy_i3d_local')
    assert cfg.resume is False and cfg.load_from is None
    assert cfg.optim_wrapper.get('type', 'OptimWrapper') == 'OptimWrapper'
    assert cfg.val_dataloader is not None and cfg.launcher == 'none'


@pytest.mark.parametrize('flag, resume, load_from', [
    ([], False, None),
    (['--resume'], True, None),  # the latest checkpoint of the work dir
    (['--resume', 'w/epoch_3.pth'], True, 'w/epoch_3.pth'),
])
def test_resume(toy_recognizer_config, flag, resume, load_from):
    cfg = train_cfg(toy_recognizer_config, *flag)
    assert (cfg.resume, cfg.load_from) == (resume, load_from)


def test_amp_no_validate_seed_work_dir_and_options(toy_recognizer_config):
    cfg = train_cfg(toy_recognizer_config, '--amp', '--no-validate', '--seed', '3',
                    '--deterministic', '--work-dir', 'w', '--cfg-options',
                    'train_cfg.max_epochs=5')
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert cfg.val_cfg is None and cfg.val_dataloader is None and cfg.val_evaluator is None
    assert cfg.randomness == dict(seed=3, diff_rank_seed=False, deterministic=True)
    assert cfg.work_dir == 'w' and cfg.train_cfg.max_epochs == 5


def test_amp_is_bf16_where_the_gpu_supports_it(toy_recognizer_config, monkeypatch):
    import torch
    assert train_cfg(toy_recognizer_config, '--amp').optim_wrapper.dtype == \
        ('bfloat16' if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else 'float16')
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda *a, **k: True)
    assert train_cfg(toy_recognizer_config, '--amp').optim_wrapper.dtype == 'bfloat16'
    forced = train_cfg(toy_recognizer_config, '--amp', '--cfg-options', 'optim_wrapper.dtype=float16')
    assert forced.optim_wrapper.dtype == 'float16'


def test_amp_refuses_a_custom_optim_wrapper(toy_recognizer_config):
    with pytest.raises(ValueError, match='MyWrapper'):
        train_cfg(toy_recognizer_config, '--amp', '--cfg-options', 'optim_wrapper.type=MyWrapper')


def test_auto_scale_lr_needs_the_config_entry(toy_recognizer_config):
    with pytest.raises(KeyError, match='base_batch_size'):
        train_cfg(toy_recognizer_config, '--auto-scale-lr')
    cfg = train_cfg(toy_recognizer_config, '--auto-scale-lr', '--cfg-options',
                    'auto_scale_lr.base_batch_size=8', 'auto_scale_lr.enable=False')
    assert cfg.auto_scale_lr == dict(base_batch_size=8, enable=True)


def test_missing_config_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.py'):
        train_cfg(str(tmp_path / 'nope.py'))


def test_test_config_loads_the_checkpoint_and_adds_the_dump(toy_recognizer_config, tmp_path):
    ckpt = tmp_path / 'epoch_1.pth'
    ckpt.write_bytes(b'')
    args = build_test_parser().parse_args(
        [toy_recognizer_config, str(ckpt), '--dump', str(tmp_path / 'r.pkl')])
    cfg = build_test_config(args)
    assert cfg.load_from == str(ckpt)
    assert cfg.test_evaluator == [
        dict(type='AccMetric'), dict(type='DumpResults', out_file_path=str(tmp_path / 'r.pkl'))]


def test_test_views_flag_rewrites_the_test_pipeline(toy_recognizer_config, tmp_path):
    ckpt = tmp_path / 'epoch_1.pth'
    ckpt.write_bytes(b'')
    config = tmp_path / 'with_crop.py'
    config.write_text(
        f"_base_ = ['{toy_recognizer_config}']\n"
        "test_pipeline = [dict(type='DecordInit'), "
        "dict(type='SegmentSample', num_segments=4, test_mode=True), dict(type='DecordDecode'), "
        "dict(type='Resize', scale=(-1, 32)), dict(type='CenterCrop', crop_size=32), "
        "dict(type='FormatShape', input_format='NCTHW'), dict(type='PackActionInputs')]\n"
        "test_dataloader = dict(dataset=dict(pipeline=test_pipeline))\n")

    def pipeline(*flags):
        cfg = build_test_config(build_test_parser().parse_args([str(config), str(ckpt), *flags]))
        return [t['type'] for t in cfg.test_dataloader.dataset.pipeline]

    assert 'CenterCrop' in pipeline() and 'ThreeCrop' not in pipeline()
    assert 'ThreeCrop' in pipeline('--views', '2x3') and 'SegmentClips' in pipeline('--views', '2x3')
    with pytest.raises(ValueError):
        pipeline('--views', '2by3')


def test_test_amp_and_show_flags(toy_recognizer_config, tmp_path):
    ckpt = tmp_path / 'epoch_1.pth'
    ckpt.write_bytes(b'')
    cfg = build_test_config(build_test_parser().parse_args(
        [toy_recognizer_config, str(ckpt), '--amp', '--show-dir', str(tmp_path / 'vis'), '--interval', '5']))
    assert cfg.test_cfg == dict(type='TestLoop', fp16=True)
    assert cfg.default_hooks.visualization == dict(type='ClipVisualizationHook', enable=True, show=False,
                                                   wait_time=2, out_dir=str(tmp_path / 'vis'), interval=5)
    plain = build_test_config(build_test_parser().parse_args([toy_recognizer_config, str(ckpt)]))
    assert 'fp16' not in plain.test_cfg and 'visualization' not in plain.default_hooks


def test_plain_config_skips_yapf_in_every_config_text(toy_recognizer_config, tmp_path, monkeypatch):
    """``--plain-config``: the texts MMEngine writes (log, dumped config, checkpoint meta: ``pretty_text`` of the
    Runner's deep copy) never call yapf, are valid Python and hold the merged options; without it yapf runs."""
    import copy

    import mmengine.config.config as mm_config
    from mmengine.config import Config

    calls = []
    yapf = mm_config.FormatCode
    monkeypatch.setattr(mm_config, 'FormatCode', lambda *a, **k: calls.append(1) or yapf(*a, **k))
    ckpt = tmp_path / 'epoch_1.pth'
    ckpt.write_bytes(b'')
    opts = ['--cfg-options', 'train_cfg.max_epochs=5']
    for cfg in (train_cfg(toy_recognizer_config, '--plain-config', *opts),
                build_test_config(build_test_parser().parse_args([toy_recognizer_config, str(ckpt),
                                                                   '--plain-config', *opts]))):
        text = copy.deepcopy(cfg).pretty_text
        assert not calls
        assert Config.fromstring(text, '.py').to_dict() == cfg.to_dict() and cfg.train_cfg.max_epochs == 5
        assert cfg.filename == toy_recognizer_config
    train_cfg(toy_recognizer_config, *opts).pretty_text
    assert calls
