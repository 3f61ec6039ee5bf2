"""InterModalPromptMapping: zero init, per-layer linear maps vs a hand computation, size checks."""
import pytest
import torch

from ga2clip_mmaction.models.mappings import InterModalPromptMapping


def test_zero_init_draws_no_random_numbers_and_maps_to_zero():
    state = torch.random.get_rng_state()
    mapping = InterModalPromptMapping(text_width=5, vision_width=3, num_layers=2, text_ctx=4, vision_ctx=4)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert mapping.weight.shape == (2, 3, 5) and mapping.bias.shape == (2, 3)
    offsets = mapping([torch.randn(4, 5), torch.randn(4, 5), torch.randn(4, 5)])  # layer 2 is not mapped
    assert len(offsets) == 2 and all(torch.equal(o, torch.zeros(4, 3)) for o in offsets)


def test_each_layer_has_its_own_linear_map():
    mapping = InterModalPromptMapping(text_width=5, vision_width=3, num_layers=2, text_ctx=4, vision_ctx=4)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        mapping.weight.copy_(torch.randn(2, 3, 5, generator=g))
        mapping.bias.copy_(torch.randn(2, 3, generator=g))
    prompts = [torch.randn(4, 5, generator=g) for _ in range(2)]
    offsets = mapping(prompts)
    for layer in range(2):
        expected = prompts[layer] @ mapping.weight[layer].t() + mapping.bias[layer]
        torch.testing.assert_close(offsets[layer], expected)


def test_token_count_mismatch_names_both_keys():
    with pytest.raises(ValueError, match=r'cls_head.language_ctx \(4\) must equal backbone.vision_ctx \(3\)'):
        InterModalPromptMapping(text_width=5, vision_width=3, num_layers=1, text_ctx=4, vision_ctx=3)


def test_too_few_text_prompts_is_refused():
    mapping = InterModalPromptMapping(text_width=5, vision_width=3, num_layers=2, text_ctx=4, vision_ctx=4)
    with pytest.raises(ValueError, match='maps 2 layers but got 1'):
        mapping([torch.randn(4, 5)])
