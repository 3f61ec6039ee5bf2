"""PromptedCLIPVision: shapes, prompt placement, frozen CLIP, checkpointing."""
import pytest
import torch

import ga2clip_mmaction  # noqa: F401
from ga2clip_mmaction.models.backbones import PromptedCLIPVision
from ga2clip_mmaction.models.clip_weights import build_clip
from ga2clip_mmaction.models.prompt_utils import run_block

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


def block_inputs(model, x):
    """The token sequence entering each transformer block (input of its first LayerNorm)."""
    seen = []
    hooks = [b.ln_1.register_forward_pre_hook(lambda m, args: seen.append(args[0].detach().clone()))
             for b in model.visual.transformer.resblocks]
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return seen


def test_deep_prompts_act_only_up_to_depth():
    x = torch.randn(1, 3, 2, 32, 32)
    n, tokens = 2, 1 + 16  # CLS + 4x4 patches, then the prompt slots
    model = make(vision_ctx=n, vision_depth=2).eval()
    assert len(model.deep_prompts) == 1
    inputs = block_inputs(model, x)
    # block 1 sees its own prompt tokens in the last n slots (unnormalised), the rest is block 0's output
    torch.testing.assert_close(inputs[1][:, tokens:], model.deep_prompts[0].detach().expand(2, -1, -1))
    before = model(x).detach()
    with torch.no_grad():
        model.deep_prompts[0].add_(torch.randn_like(model.deep_prompts[0]))
    after = block_inputs(model, x)
    torch.testing.assert_close(after[0], inputs[0])                   # block 0 is untouched
    torch.testing.assert_close(after[1][:, :tokens], inputs[1][:, :tokens])  # so are block 1's image tokens
    assert (model(x) - before).abs().max() > 1e-4                     # the prompt acts from block 1 on
    # depth 1: the layer-0 prompt is carried through, block 1 gets no prompt of its own
    shallow = make(vision_ctx=n, vision_depth=1).eval()
    assert len(shallow.deep_prompts) == 0
    first, second = block_inputs(shallow, x)
    carried = shallow.visual.transformer.resblocks[0]
    with torch.no_grad():
        out0 = run_block(carried, first, None, False)
    torch.testing.assert_close(second, out0)


def test_clip_frozen_prompts_trainable():
    model = make(vision_ctx=3, vision_depth=2)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {'prompt', 'deep_prompts.0'}
    assert model.prompt.shape == (3, 64)


def block_runs(blocks, forward):
    """Run ``forward()`` and backward from its output; (block runs in forward, block runs in backward, output)."""
    phase, runs = ['forward'], []
    hooks = [b.ln_1.register_forward_hook(lambda *args: runs.append(phase[0])) for b in blocks]
    out = forward()
    phase[0] = 'backward'
    out.square().sum().backward()
    for h in hooks:
        h.remove()
    return runs.count('forward'), runs.count('backward'), out.detach()


def test_grad_checkpointing_recomputes_every_block_in_backward():
    x = torch.randn(2, 3, 2, 32, 32)
    results = {}
    for ckpt in (False, True):
        model = make(vision_ctx=3, vision_depth=2, grad_checkpointing=ckpt).train()
        results[ckpt] = (*block_runs(model.visual.transformer.resblocks, lambda: model(x)), model.prompt.grad)
    assert results[False][:2] == (2, 0)
    assert results[True][:2] == (2, 2)  # each of the 2 blocks ran again during backward
    torch.testing.assert_close(results[False][2], results[True][2])
    torch.testing.assert_close(results[False][3], results[True][3])
    # in eval mode checkpointing is off (nothing to recompute)
    model = make(vision_ctx=3, vision_depth=2, grad_checkpointing=True).eval()
    assert block_runs(model.visual.transformer.resblocks, lambda: model(x))[:2] == (2, 0)


def test_feature_map_layouts_for_stock_heads():
    model = make(vision_ctx=3, vision_depth=2).eval()
    fmap = make(vision_ctx=3, vision_depth=2, feature_map=True).eval()
    x = torch.randn(2, 3, 4, 32, 32)
    with torch.no_grad():
        ntd = model(x)
        torch.testing.assert_close(fmap(x), ntd.transpose(1, 2)[..., None, None])        # [N, D, T, 1, 1]
        frames = x.permute(0, 2, 1, 3, 4).flatten(0, 1)                                   # Recognizer2D input
        torch.testing.assert_close(model(frames), ntd.flatten(0, 1))                     # [M, D]
        torch.testing.assert_close(fmap(frames), ntd.flatten(0, 1)[..., None, None])      # [M, D, 1, 1]


def test_bad_depth_and_input_rank_are_refused():
    with pytest.raises(ValueError, match='vision_depth'):
        make(vision_ctx=3, vision_depth=5)
    with pytest.raises(ValueError, match=r'\[N, C, T, H, W\] or \[M, C, H, W\]'):
        make(vision_ctx=3, vision_depth=2)(torch.randn(3, 32, 32))
