"""PromptedCLIPVision: shapes, prompt placement, frozen CLIP, checkpointing."""
import pytest
import torch

import ga2clip_mmaction  # noqa: F401
from ga2clip_mmaction.models.backbones import PromptedCLIPVision
from ga2clip_mmaction.models.clip_weights import build_clip

TINY = dict(arch='GA2-Tiny-Random', weights=None)


def make(**kwargs) -> PromptedCLIPVision:
    torch.manual_seed(0)
    return PromptedCLIPVision(clip=TINY, **kwargs)


def test_output_shape_and_frame_independence():
    model = make(vision_ctx=3, vision_depth=2).eval()
    x = torch.randn(2, 3, 4, 32, 32)
    out = model(x)
    assert out.shape == (2, 4, 64)
    # frames never interact: encoding one frame alone gives the same embedding
    single = model(x[:1, :, 2:3])
    torch.testing.assert_close(single[0, 0], out[0, 2], atol=1e-5, rtol=1e-5)


def test_without_prompts_equals_open_clip_encode_image():
    model = make(vision_ctx=3, vision_depth=2).eval()
    torch.manual_seed(0)
    clip = build_clip(**TINY)
    clip.visual.load_state_dict(model.visual.state_dict())
    frames = torch.randn(5, 3, 32, 32)
    with torch.no_grad():
        ours = model.encode_frames(frames, prompts=False)
        ref = clip.encode_image(frames)
    torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-5)
    # and the prompts really change the output
    assert (model.encode_frames(frames) - ours).abs().max() > 1e-4


def test_deep_prompts_act_only_up_to_depth():
    model = make(vision_ctx=2, vision_depth=2).eval()
    assert len(model.deep_prompts) == 1
    x = torch.randn(1, 3, 2, 32, 32)
    before = model(x)
    with torch.no_grad():
        model.deep_prompts[0].add_(torch.randn_like(model.deep_prompts[0]))
    assert (model(x) - before).abs().max() > 1e-4


def test_clip_frozen_prompts_trainable():
    model = make(vision_ctx=3, vision_depth=2)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {'prompt', 'deep_prompts.0'}
    assert model.prompt.shape == (3, 64)


def test_grad_checkpointing_same_values_and_grads():
    x = torch.randn(2, 3, 2, 32, 32)
    grads = []
    outs = []
    for ckpt in (False, True):
        model = make(vision_ctx=3, vision_depth=2, grad_checkpointing=ckpt).train()
        out = model(x)
        out.sum().backward()
        outs.append(out.detach())
        grads.append(model.prompt.grad.clone())
    torch.testing.assert_close(outs[0], outs[1])
    torch.testing.assert_close(grads[0], grads[1])


def test_bad_depth_and_input_rank_are_refused():
    with pytest.raises(ValueError, match='vision_depth'):
        make(vision_ctx=3, vision_depth=5)
    with pytest.raises(ValueError, match=r'\[N, C, T, H, W\]'):
        make(vision_ctx=3, vision_depth=2)(torch.randn(2, 3, 32, 32))
