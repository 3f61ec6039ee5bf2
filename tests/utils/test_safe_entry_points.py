"""Every file entry point refuses a malicious pickle (never runs it): hard-prompt files, released checkpoints
in tools/convert_official_checkpoint.py, parity fixtures and tools/infer.py, all through safe_torch_load
(the weights_only path MMEngine loading uses). tools/infer.py also names a bad video clearly."""
import os
import os.path as osp

import pytest
import torch

from ga2clip_mmaction.utils.checkpoint import TRUST_ENV, UntrustedCheckpointError


class _Payload:
    """Unpickling this object runs ``os.system(command)``."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command, )


@pytest.fixture
def evil(tmp_path):
    """``evil(content_key)``: a file whose unpickling would create ``tmp_path / 'pwned'``; returns (path, marker)."""
    marker = tmp_path / 'pwned'

    def _make(name='evil.pt', **content):
        path = tmp_path / name
        torch.save({**content, 'payload': _Payload(f'touch {marker}')}, str(path))
        return str(path), marker

    return _make


def _refused(call, path, marker):
    with pytest.raises(UntrustedCheckpointError) as err:
        call()
    assert '`posix.system`' in str(err.value) and f'export {TRUST_ENV}=' in str(err.value)
    assert osp.realpath(path) in str(err.value)
    assert not marker.exists()


def test_hard_prompt_file(evil):
    from ga2clip_mmaction.models.heads.text_prompt_learner import load_hard_prompt
    path, marker = evil('hard.pt', hard_prompt=torch.zeros(2, 64))
    _refused(lambda: load_hard_prompt(path, torch.Size([2, 64])), path, marker)


def test_released_checkpoint_in_the_converter(evil, tmp_path):
    import tools.convert_official_checkpoint as conv
    path, marker = evil('released.pth', model={'prompt_learner.ctx': torch.zeros(2, 64)})
    _refused(lambda: conv.main([path, str(tmp_path / 'out.pth'), '--clip', path]), path, marker)


def test_parity_fixture(evil):
    from ga2clip_parity.parity import check_parity
    path, marker = evil('fixture.pt', format='ga2clip-official-parity/1')
    _refused(lambda: check_parity(path), path, marker)


def _infer_files(tmp_path):
    from tests.tools.tiny_eval import write_checkpoint, write_config
    from tests.reliability.world import write_video
    config = write_config(str(tmp_path / 'cfg.py'), ['a', 'b'], labels=[0, 1])
    checkpoint = write_checkpoint(config, str(tmp_path / 'ok.pth'))
    return config, checkpoint, write_video(str(tmp_path / 'clip.mp4'))


def test_infer_checkpoint(evil, tmp_path):
    import tools.infer as infer
    config, _, video = _infer_files(tmp_path)
    path, marker = evil('model.pth', state_dict={})
    _refused(lambda: infer.main([video, '--config', config, '--checkpoint', path, '--classes', 'a,b']), path,
             marker)


@pytest.mark.parametrize('kind, reason', [
    ('empty', r'empty file \(0 bytes\)'),
    ('truncated', r'RuntimeError: Error reading .*truncated.mp4'),
    ('random_bytes', r'RuntimeError: Error reading .*random_bytes.mp4'),
])
def test_infer_names_a_bad_video(tmp_path, kind, reason):
    import tools.infer as infer
    from ga2clip_mmaction.datasets import BadVideoError
    from tests.reliability.world import write_bad_video
    config, checkpoint, video = _infer_files(tmp_path)
    bad = write_bad_video(str(tmp_path / f'{kind}.mp4'), kind, video)
    with pytest.raises(BadVideoError, match=f'{bad}: cannot read the video: {reason}'):
        infer.main([bad, '--config', config, '--checkpoint', checkpoint, '--classes', 'a,b'])
