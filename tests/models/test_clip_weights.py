"""Loading CLIP weights: OpenAI TorchScript/state dict, open_clip state dict, Text4Vis/GA2 checkpoints."""
import warnings

import pytest
import torch

import ga2clip_mmaction  # noqa: F401
from ga2clip_mmaction.models.clip_weights import build_clip, read_clip_state_dict


@pytest.fixture(scope='module')
def reference():
    torch.manual_seed(11)
    return build_clip('GA2-Tiny-Random')


def assert_same_weights(model, reference):
    ref = reference.state_dict()
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, ref[key], msg=key)


def test_open_clip_state_dict_with_arch_name(tmp_path, reference):
    torch.save(reference.state_dict(), tmp_path / 'w.pt')
    assert_same_weights(build_clip('GA2-Tiny-Random', str(tmp_path / 'w.pt')), reference)


def test_openai_state_dict_architecture_read_off_the_weights(tmp_path, reference):
    state = {k: v.half() for k, v in reference.state_dict().items() if k != 'attn_mask'}  # OpenAI ships fp16
    state.update(input_resolution=torch.tensor(32), context_length=torch.tensor(77))
    torch.save(state, tmp_path / 'openai.pt')
    model = build_clip(None, str(tmp_path / 'openai.pt'))
    assert model.visual.conv1.weight.dtype == torch.float32
    assert model.visual.transformer.resblocks[0].attn.num_heads == 1
    torch.testing.assert_close(model.visual.proj, reference.visual.proj.half().float())


def test_float32_weights_with_arch_read_off_them_stay_exact(tmp_path, reference):
    """open_clip's OpenAI builder loads into a half model; float32 weights must not come out fp16-rounded."""
    torch.save({k: v for k, v in reference.state_dict().items() if k != 'attn_mask'}, tmp_path / 'fp32.pt')
    model = build_clip(None, str(tmp_path / 'fp32.pt'))
    assert_same_weights(model, reference)
    assert not torch.equal(reference.visual.proj.half().float(), reference.visual.proj)  # rounding would show
    torch.testing.assert_close(model.visual.proj, reference.visual.proj, rtol=0, atol=0)


def test_openai_torchscript_archive(tmp_path, reference):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        traced = torch.jit.trace(reference, (torch.randn(1, 3, 32, 32), torch.zeros(1, 77, dtype=torch.long)),
                                 strict=False)
    traced.save(str(tmp_path / 'ViT-Tiny.pt'))
    assert_same_weights(build_clip('GA2-Tiny-Random', str(tmp_path / 'ViT-Tiny.pt')), reference)
    assert_same_weights(build_clip(None, str(tmp_path / 'ViT-Tiny.pt')), reference)
    # an OpenAI release with a GELU architecture would load silently into the wrong activation
    with pytest.raises(ValueError, match='QuickGELU.*ViT-B-16-quickgelu'):
        build_clip('ViT-B-16', str(tmp_path / 'ViT-Tiny.pt'))


def test_text4vis_checkpoint_with_prefix_and_extra_keys(tmp_path, reference):
    state = {f'module.{k}': v for k, v in reference.state_dict().items()}
    state['module.fusion_model.frame_position_embeddings.weight'] = torch.zeros(32, 64)
    torch.save({'model_state_dict': state, 'epoch': 30}, tmp_path / 'k400_text4vis.pt')
    sd = read_clip_state_dict(str(tmp_path / 'k400_text4vis.pt'))
    assert not any(k.startswith(('module.', 'fusion_model')) for k in sd)
    assert_same_weights(build_clip('GA2-Tiny-Random', str(tmp_path / 'k400_text4vis.pt')), reference)


def test_errors_name_the_file(tmp_path, reference):
    with pytest.raises(FileNotFoundError, match='nope.pt'):
        build_clip('GA2-Tiny-Random', str(tmp_path / 'nope.pt'))
    torch.save({'other': torch.zeros(1)}, tmp_path / 'empty.pt')
    with pytest.raises(KeyError, match='empty.pt.*no CLIP keys'):
        build_clip('GA2-Tiny-Random', str(tmp_path / 'empty.pt'))
    torch.save(reference.state_dict(), tmp_path / 'tiny.pt')
    with pytest.raises(RuntimeError, match='do not match arch'):
        build_clip('ViT-B-32', str(tmp_path / 'tiny.pt'))
    with pytest.raises(KeyError, match='unknown open_clip model'):
        build_clip('ViT-Nonexistent')
    with pytest.raises(ValueError, match='give `arch`'):
        build_clip(None, None)
