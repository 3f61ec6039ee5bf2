"""PromptedCLIPVision's optional per-layer prompt offsets (ViLT-CLIP's mapping): exact when zero, checked shapes."""
import pytest
import torch

TINY_CLIP = dict(arch='GA2-Tiny-Random', weights=None)


@pytest.fixture(scope='module')
def backbone():
    import ga2clip_mmaction  # noqa: F401
    from mmaction.registry import MODELS
    from mmengine.registry import DefaultScope
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmaction'):
        return MODELS.build(dict(type='PromptedCLIPVision', clip=TINY_CLIP, vision_ctx=3, vision_depth=2)).eval()


def test_offsets_add_to_the_prompts_of_their_layers(backbone):
    x = torch.randn(2, 3, 2, 32, 32, generator=torch.Generator().manual_seed(1))
    g = torch.Generator().manual_seed(2)
    offsets = [torch.randn(3, 64, generator=g) for _ in range(2)]
    with torch.no_grad():
        plain = backbone(x)
        assert torch.equal(backbone(x, prompt_offsets=[torch.zeros(3, 64)] * 2), plain)
        shifted = backbone(x, prompt_offsets=offsets)
        assert not torch.allclose(shifted, plain)
        prompt, deep = backbone.prompt.clone(), backbone.deep_prompts[0].clone()
        backbone.prompt.add_(offsets[0])
        backbone.deep_prompts[0].add_(offsets[1])
        moved = backbone(x)
        backbone.prompt.copy_(prompt)
        backbone.deep_prompts[0].copy_(deep)
        torch.testing.assert_close(shifted, moved)
        # only layer 0 mapped: the deep prompt stays as it is
        backbone.prompt.add_(offsets[0])
        only_first = backbone(x)
        backbone.prompt.copy_(prompt)
        torch.testing.assert_close(backbone(x, prompt_offsets=offsets[:1]), only_first)
        assert torch.equal(backbone(x, prompts=False, prompt_offsets=offsets), backbone(x, prompts=False))


def test_offsets_that_do_not_fit_are_refused(backbone):
    x = torch.randn(1, 3, 1, 32, 32)
    with pytest.raises(ValueError, match=r'prompt_offsets\[1\] has shape \(2, 64\), the prompts are \(3, 64\)'):
        backbone(x, prompt_offsets=[torch.zeros(3, 64), torch.zeros(2, 64)])
    with pytest.raises(ValueError, match='3 prompt offsets for vision_depth=2'):
        backbone(x, prompt_offsets=[torch.zeros(3, 64)] * 3)
