"""tools/data/extract_hard_prompt.py: ours and released checkpoints -> a hard-prompt file the head loads."""
import importlib

import pytest
import torch
from mmaction.utils import register_all_modules

from ga2clip_mmaction.models.heads.text_prompt_learner import load_hard_prompt

register_all_modules(init_default_scope=True)



def _tool():
    return importlib.import_module('tools.data.extract_hard_prompt')


ehp = _tool()


@pytest.mark.parametrize('checkpoint', [
    lambda ctx: {'meta': {'epoch': 3}, 'state_dict': {'cls_head.prompt_learner.ctx': ctx,
                                                       'cls_head.prompt_learner.deep_ctx.0': ctx + 1}},
    lambda ctx: {'model_state_dict': {'module.prompt_learner.ctx_VPT': ctx.half(),
                                      'module.image_encoder.VPT': ctx + 2}},
    lambda ctx: {'prompt_learner.ctx_VPT': ctx},
])
def test_extract_round_trip(tmp_path, checkpoint):
    ctx = torch.randn(6, 64).half().float()
    torch.save(checkpoint(ctx), tmp_path / 'ckpt.pth')
    out = tmp_path / 'prompts' / 'hard.pt'
    assert ehp.main([str(tmp_path / 'ckpt.pth'), str(out)]) == 0
    saved = torch.load(out, weights_only=True)
    assert set(saved) == {'hard_prompt'} and saved['hard_prompt'].dtype == torch.float32
    torch.testing.assert_close(load_hard_prompt(str(out), torch.Size([6, 64])), ctx)


def test_errors_name_the_checkpoint(tmp_path):
    torch.save({'state_dict': {'backbone.prompt': torch.zeros(2, 4),
                               'cls_head.prompt_learner.deep_ctx.0': torch.zeros(2, 4)}}, tmp_path / 'a.pth')
    with pytest.raises(KeyError, match=r'a.pth: none of .* keys with "ctx": \[.*deep_ctx.0'):
        ehp.extract(str(tmp_path / 'a.pth'))
    torch.save({'state_dict': {'cls_head.prompt_learner.ctx': torch.zeros(4)}}, tmp_path / 'b.pth')
    with pytest.raises(ValueError, match=r'must be a \[n_ctx, width\] tensor, got \(4,\)'):
        ehp.extract(str(tmp_path / 'b.pth'))
    with pytest.raises(FileNotFoundError, match='nothing.pth'):
        ehp.extract(str(tmp_path / 'nothing.pth'))
    ctx = ehp.extract(str(tmp_path / 'a.pth'), key='cls_head.prompt_learner.deep_ctx.0')
    assert ctx.shape == (2, 4)


def test_extract_from_our_prompt_model_checkpoint(tmp_path):
    """The hard-prompt stage model (IVLP head) -> file -> the coupled head of the next stage."""
    from mmaction.registry import MODELS
    clip = dict(arch='GA2-Tiny-Random', weights=None)
    head = dict(type='PromptCouplingHead', clip=clip, classnames=['a', 'b'], language_ctx=3, language_depth=2)
    stage1 = MODELS.build(dict(type='GA2CLIPRecognizer',
                               backbone=dict(type='PromptedCLIPVision', clip=clip, vision_ctx=2, vision_depth=2),
                               cls_head=dict(head, coupling='none')))
    torch.save({'meta': {}, 'state_dict': stage1.state_dict()}, tmp_path / 'epoch_12.pth')
    out = tmp_path / 'k400_base.pt'
    ehp.main([str(tmp_path / 'epoch_12.pth'), str(out)])
    stage2 = MODELS.build(dict(head, coupling='concat_mlp', hard_prompt=str(out)))
    torch.testing.assert_close(stage2.prompt_learner.hard_prompt, stage1.cls_head.prompt_learner.ctx.detach())
