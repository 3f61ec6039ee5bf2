"""Parity with the released implementation: the shipped oracle, and fixtures of other sizes."""
import copy
import json

import pytest
import torch

import ga2clip_mmaction  # noqa: F401
from ga2clip_mmaction.models.clip_weights import build_clip
from ga2clip_parity.parity import FORMAT, build_parity_model, check_parity, compute_outputs


def test_shipped_fixture_matches_the_released_code(shared_path):
    result = check_parity(shared_path('parity', 'official_tiny.pt'))
    failed = {k: v for k, v in result['errors'].items() if not v['ok']}
    assert result['ok'], failed
    assert len(result['errors']) >= 40  # every output, both anchor variants, every gradient


def test_check_parity_cli_json(shared_path, capsys):
    from ga2clip_parity.check import main
    assert main([shared_path('parity', 'official_tiny.pt'), '--json']) == 0
    report = json.loads(capsys.readouterr().out)
    assert report['ok'] is True and report['errors']['train_loss']['max_abs'] < 1e-5


def make_fixture(width=128, layers=3, depth=2, n_v=2, n_t=3, frames=3, classes=3, batch=2) -> dict:
    """A fixture in the official format with other sizes (2 heads), outputs produced by our model."""
    torch.manual_seed(3)
    arch = dict(embed_dim=32, quick_gelu=True,
                vision_cfg=dict(layers=layers, width=width, head_width=64, patch_size=8, image_size=16),
                text_cfg=dict(context_length=77, vocab_size=49408, width=width, heads=width // 64, layers=layers))
    clip_sd = {k: v for k, v in build_clip(arch).state_dict().items() if k != 'attn_mask'}
    official = {'prompt_learner.ctx_VPT': torch.randn(n_t, width) * 0.02,
                'prompt_learner.proj_b2n_VPT.0.weight': torch.randn(width, 2 * width) * 0.05,
                'prompt_learner.proj_b2n_VPT.0.bias': torch.randn(width) * 0.05,
                'image_encoder.VPT': torch.randn(n_v, width) * 0.02}
    for i in range(1, depth):
        official[f'image_encoder.transformer.resblocks.{i}.VPT_shallow'] = torch.randn(n_v, width) * 0.02
        official[f'text_encoder.transformer.resblocks.{i}.VPT_shallow'] = torch.randn(n_t, width) * 0.02
    names = [f'class_{i}' for i in range(classes)]
    rec = dict(
        format=FORMAT,
        config=dict(vision_depth=depth, vision_ctx=n_v, language_depth=depth, language_ctx=n_t, frames=frames,
                    batch=batch, num_classes=classes, seed=0, mlp_dropout=0.5, alpha=1.0,
                    alpha_sweep=[0.0, 1.0, 5.0], anchor_template='a video of a person {}.',
                    anchor_underscore_to_space=False, use_hard_prompt=True),
        clip_state_dict=clip_sd, official_state_dict=official, hard_prompt=torch.randn(n_t, width) * 0.02,
        classnames=names, anchor_classnames=['else'], anchor_classnames_multi=[f'other_{i}' for i in names],
        inputs=dict(videos=torch.randn(batch, frames, 3, 16, 16), labels=torch.arange(batch) % classes,
                    anchor_video=torch.randn(1, frames, 3, 16, 16)))
    from ga2clip_parity.parity import load_fixture_weights
    model = build_parity_model(rec)
    load_fixture_weights(model, rec)
    rec['outputs'] = compute_outputs(model, rec)
    return rec


def test_other_sizes_multi_head_and_a_perturbed_output_is_caught(tmp_path):
    rec = make_fixture()
    path = tmp_path / 'variant.pt'
    torch.save(rec, path)
    result = check_parity(str(path))
    assert result['ok'], {k: v for k, v in result['errors'].items() if not v['ok']}
    bad = copy.deepcopy(rec)
    bad['outputs']['cls_emb'][0, 0] += 1e-3
    bad['outputs']['train_grads']['image_encoder.VPT'] *= 1.01
    result = check_parity(str(path), rec=bad)
    failed = {k for k, v in result['errors'].items() if not v['ok']}
    assert not result['ok'] and failed == {'cls_emb', 'train_grads[image_encoder.VPT]'}


def test_wrong_format_is_refused(tmp_path):
    path = tmp_path / 'x.pt'
    torch.save({'format': 'something-else'}, path)
    with pytest.raises(ValueError, match='not a parity fixture'):
        check_parity(str(path))
