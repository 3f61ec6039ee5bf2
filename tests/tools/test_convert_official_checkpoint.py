"""tools/convert_official_checkpoint.py: released names + CLIP + hard prompt -> a checkpoint tools/test.py loads."""
import pytest
import torch

import ga2clip_mmaction  # noqa: F401
from ga2clip_mmaction.models.official_checkpoint import official_to_ours_name
from tools.convert_official_checkpoint import main as convert_main


def official_names(n_layers: int) -> list:
    names = ['prompt_learner.ctx_VPT', 'prompt_learner.proj_b2n_VPT.0.weight',
             'prompt_learner.proj_b2n_VPT.0.bias', 'image_encoder.VPT']
    for i in range(1, n_layers):
        names += [f'image_encoder.transformer.resblocks.{i}.VPT_shallow',
                  f'text_encoder.transformer.resblocks.{i}.VPT_shallow']
    return names


def test_round_trip_through_released_format(tmp_path, build_model_cfg_free):
    model = build_model_cfg_free()
    ours = model.state_dict()
    # write the model as the released code would: official names, DDP prefix, no CLIP, no hard prompt
    released = {f'module.{n}': ours[official_to_ours_name(n)].clone() for n in official_names(2)}
    released['module.logit_scale_unrelated'] = torch.zeros(1)  # non-GA2 keys are ignored
    torch.save({'model_state_dict': released, 'epoch': 3}, tmp_path / 'released.pt')
    clip = {k[len('backbone.'):]: v for k, v in ours.items() if k.startswith('backbone.visual.')}
    clip.update({k[len('cls_head.text.'):]: v for k, v in ours.items() if k.startswith('cls_head.text.')})
    torch.save(clip, tmp_path / 'clip.pt')
    hard = ours['cls_head.prompt_learner.hard_prompt']
    torch.save(hard.clone(), tmp_path / 'hard.pt')

    convert_main([str(tmp_path / 'released.pt'), str(tmp_path / 'ours.pth'), '--clip', str(tmp_path / 'clip.pt'),
                  '--hard-prompt', str(tmp_path / 'hard.pt')])

    from mmengine.runner import load_checkpoint
    fresh = build_model_cfg_free(seed=99)
    load_checkpoint(fresh, str(tmp_path / 'ours.pth'), strict=True, logger='silent')
    for key, value in ours.items():
        torch.testing.assert_close(fresh.state_dict()[key], value, msg=key)


def test_unknown_official_key_and_empty_source_are_refused(tmp_path):
    with pytest.raises(KeyError, match='Unknown official'):
        official_to_ours_name('prompt_learner.something_VPT')
    torch.save({'state_dict': {'foo': torch.zeros(1)}}, tmp_path / 'empty.pt')
    with pytest.raises(KeyError, match='no GA2-CLIP parameters'):
        convert_main([str(tmp_path / 'empty.pt'), str(tmp_path / 'o.pth'), '--clip', str(tmp_path / 'empty.pt')])
