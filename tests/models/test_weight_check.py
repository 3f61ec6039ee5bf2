"""Weight-file checks (models/weight_check.py, tools/check_weights.py) on files the tests make: a truncated copy,
another width, renamed keys, an fp16 copy, non-checkpoint files; and the config check that runs them before training.
"""
import dataclasses
import glob
import os.path as osp

import pytest
import torch

import ga2clip_mmaction  # noqa: F401
from ga2clip_mmaction.models.clip_weights import build_clip
from ga2clip_mmaction.models.weight_check import (KNOWN, OPENAI_VIT_B16_SHA256, OPENAI_VIT_B16_URL, WeightFileError,
                                                  check_weight_file, clip_arch, clip_keys, sha256_file)
from tests.conftest import REPO_ROOT


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    """The tiny random CLIP as a bare fp32 state dict (the reference) and an expectation made from it."""
    root = tmp_path_factory.mktemp('weights')
    state = build_clip('GA2-Tiny-Random').state_dict()
    state.pop('attn_mask', None)
    ref = root / 'tiny.pt'
    torch.save(state, ref)
    spec = dataclasses.replace(KNOWN['text4vis-k400'], arch=clip_arch(state), dtypes=('float32', ),
                               sha256=sha256_file(str(ref)), container=None)
    return root, state, str(ref), spec


def problems(path, expect):
    report = check_weight_file(path, expect)
    return report, '\n'.join(report.problems)


def test_the_reference_passes_and_its_keys_are_open_clips(files):
    _, state, ref, spec = files
    report = check_weight_file(ref, spec)
    assert report.ok, report.format()
    assert set(clip_keys(report.arch)) == set(state)
    assert report.sha256 == spec.sha256 and 'OK as text4vis-k400' in report.format()


def test_truncated_copy(files):
    root, _, ref, spec = files
    data = open(ref, 'rb').read()
    (root / 'truncated.pt').write_bytes(data[:len(data) // 3])
    report, text = problems(str(root / 'truncated.pt'), spec)
    assert report.identified == 'unreadable'
    assert 'truncated: a zip archive' in text and 'stopped early' in text
    assert f'differs from text4vis-k400\'s {spec.sha256}' in text
    assert 'the right file: the K400 ViT-B/16 checkpoint' in report.format()


def test_different_width(files):
    root, _, _, spec = files
    torch.save(build_clip('GA2-Tiny').state_dict(), root / 'wide.pt')  # width 128, 4 layers, 64 px
    _, text = problems(str(root / 'wide.pt'), spec)
    assert 'architecture: vision width 128 (expected 64); vision layers 4 (expected 2)' in text
    assert 'image size 64 (expected 32); text layers 3 (expected 2); embed dim 128 (expected 64)' in text


def test_renamed_keys(files):
    root, state, _, spec = files
    renamed = {k.replace('mlp.c_fc', 'mlp.fc1'): v for k, v in state.items()}
    torch.save(renamed, root / 'renamed.pt')
    _, text = problems(str(root / 'renamed.pt'), spec)
    assert 'key set: 8 CLIP keys missing' in text and 'visual.transformer.resblocks.0.mlp.c_fc.bias' in text
    assert '8 unexpected' in text and 'mlp.fc1' in text
    no_conv = {k.replace('visual.conv1', 'visual.patch_embed'): v for k, v in state.items()}
    torch.save(no_conv, root / 'no_conv.pt')
    _, text = problems(str(root / 'no_conv.pt'), spec)
    assert "cannot read the CLIP architecture, no key 'visual.conv1.weight'" in text


def test_fp16_copy_and_partial_cast(files):
    root, state, _, spec = files
    torch.save({k: v.half() for k, v in state.items()}, root / 'fp16.pt')
    _, text = problems(str(root / 'fp16.pt'), spec)
    assert 'dtype float16, expected float32: a cast copy' in text
    partial = {k: (v.half() if k.startswith('visual.') else v) for k, v in state.items()}
    torch.save(partial, root / 'partial.pt')
    report, text = problems(str(root / 'partial.pt'), None)  # wrong whatever the file is meant to be
    assert "mixed dtypes ['float16', 'float32']" in text and not report.ok


@pytest.mark.parametrize('content, message', [
    (b'', 'empty file (0 bytes)'),
    (b'<!DOCTYPE html><html><body>Access denied</body></html>', 'not a checkpoint: an HTML/XML page'),
    (b'version https://git-lfs.github.com/spec/v1\noid sha256:abc\n', 'not a checkpoint: a Git LFS pointer'),
    (b'\x00\x01garbage' * 100, "not a checkpoint: no torch checkpoint (starts with b'\\x00\\x01garbage"),
])
def test_non_checkpoint_files(files, content, message):
    root = files[0]
    (root / 'bad.pt').write_bytes(content)
    report = check_weight_file(str(root / 'bad.pt'))
    assert report.identified == 'unreadable' and message in '\n'.join(report.problems)


def test_kinds_are_identified(files):
    root, state, ref, _ = files
    torch.save({'hard_prompt': torch.randn(16, 512)}, root / 'hard.pt')
    assert check_weight_file(str(root / 'hard.pt'), 'hard-prompt').ok
    _, text = problems(str(root / 'hard.pt'), 'openai-vit-b16')
    assert 'this is a hard prompt file, expected openai-vit-b16' in text
    torch.save({'hard_prompt': torch.randn(2, 64)}, root / 'hard_small.pt')
    _, text = problems(str(root / 'hard_small.pt'), 'hard-prompt')
    assert 'shape (2, 64), expected (16, 512)' in text
    release = {'module.prompt_learner.ctx_VPT': torch.randn(16, 512), 'module.image_encoder.VPT': torch.randn(16, 768),
               'module.image_encoder.transformer.resblocks.1.VPT_shallow': torch.randn(16, 768)}
    torch.save({'model_state_dict': release, 'epoch': 11}, root / 'release.pt')
    report = check_weight_file(str(root / 'release.pt'), 'ga2clip-release')
    assert report.ok and report.identified.startswith('released GA2-CLIP checkpoint (3 official')
    torch.save({'model_state_dict': state}, root / 'k400.pt')
    report = check_weight_file(str(root / 'k400.pt'), 'ga2clip-release')
    assert 'this is a clip file, expected ga2clip-release' in '\n'.join(report.problems)
    ours = {'state_dict': {'backbone.prompt': torch.zeros(2, 64)},
            'meta': {'small_checkpoint': {'kind': 'small', 'frozen': ['backbone.visual.proj'], 'fingerprint': 'ab'}},
            'optimizer': {}}
    torch.save(ours, root / 'ours.pth')
    report = check_weight_file(str(root / 'ours.pth'), 'ours')
    assert report.ok and 'small: frozen CLIP weights left out' in report.identified
    assert 'frozen-weight fingerprint ab' in report.format() and 'training state: optimizer' in report.format()


def test_the_released_codes_clip_state_dict_has_exactly_the_expected_keys(shared_path):
    """The parity fixture holds a CLIP in OpenAI's state-dict format written by the released code: the key
    template (clip_keys) and the architecture reader agree with it."""
    path = shared_path('parity', 'official_tiny.pt')
    report = check_weight_file(path)
    assert report.ok, report.format()
    assert report.identified.startswith('parity fixture of the released code')
    assert 'key set: complete (' in report.format() and report.arch.vision_layers >= 1


def test_openai_digest_is_the_one_in_open_clips_table():
    from open_clip import pretrained
    assert pretrained._VITB16['openai']['url'] == OPENAI_VIT_B16_URL
    assert len(OPENAI_VIT_B16_SHA256) == 64 and f'/{OPENAI_VIT_B16_SHA256}/' in OPENAI_VIT_B16_URL


def test_tool_prints_the_problems_and_the_right_file(files, capsys):
    import tools.check_weights as tool
    _, _, ref, _ = files
    assert tool.main([ref, '--expect', 'openai-vit-b16']) == 1
    out = capsys.readouterr().out
    assert 'architecture: vision width 64 (expected 768); vision layers 2 (expected 12); patch size 8 ' \
           '(expected 16)' in out
    assert f"differs from openai-vit-b16's {OPENAI_VIT_B16_SHA256}" in out
    assert f'the right file: OpenAI: {OPENAI_VIT_B16_URL}' in out
    assert tool.main([ref]) == 0
    assert capsys.readouterr().out.rstrip().endswith('OK')


def _world_with_weights(root, weights):
    from tests.reliability.world import make_world
    extra = (f"model['backbone']['clip'] = dict(arch=None, weights={weights!r})\n"
             f"model['cls_head']['clip'] = dict(arch=None, weights={weights!r})\n")
    return make_world(str(root), num_train=2, epochs=1, extra=extra)


def _train(config):
    import tools.train
    work = osp.join(osp.dirname(config), 'work')
    try:
        tools.train.main([config, '--work-dir', work, '--plain-config', '--cfg-options',
                          f'experiment_name={osp.basename(osp.dirname(config))}'])
    finally:
        assert not glob.glob(osp.join(work, '*', 'epoch_*.pth')) and not glob.glob(osp.join(work, 'epoch_*.pth'))


def test_config_check_refuses_a_wrong_file_before_training(files, tmp_path):
    _, _, ref, _ = files
    named = tmp_path / 'data' / 'weights' / 'ViT-B-16.pt'  # the OpenAI file's name, another file
    named.parent.mkdir(parents=True)
    named.write_bytes(open(ref, 'rb').read())
    config = _world_with_weights(tmp_path / 'w1', str(named))
    from ga2clip_mmaction.engine.config_checks import ConfigError
    with pytest.raises(ConfigError) as err:
        _train(config)
    text = str(err.value)
    assert text.startswith(f'model.backbone.clip.weights: the weight file is not what this run needs (python '
                           f'tools/check_weights.py {named})')
    assert 'expected: openai-vit-b16' in text and 'vision width 64 (expected 768)' in text
    assert f'the right file: OpenAI: {OPENAI_VIT_B16_URL}' in text


def test_truncated_file_fails_at_model_build_with_the_report(files, tmp_path):
    _, _, ref, _ = files
    data = open(ref, 'rb').read()
    (tmp_path / 'cut.pt').write_bytes(data[:len(data) // 2])
    config = _world_with_weights(tmp_path / 'w2', str(tmp_path / 'cut.pt'))
    with pytest.raises(WeightFileError, match=r'CLIP weights cannot be read:\n.*cut.pt: unreadable\n(.|\n)*'
                                              r'truncated: a zip archive'):
        _train(config)


def test_the_shipped_tiny_clip_passes():
    report = check_weight_file(osp.join(REPO_ROOT, 'ga2clip_mmaction', 'assets', 'GA2-Tiny.pt'))
    assert report.ok, report.format()
