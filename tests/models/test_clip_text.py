"""CLIPTextTower (through PromptCouplingHead): gradient checkpointing of the prompted text blocks."""
import torch

import ga2clip_mmaction  # noqa: F401
from ga2clip_mmaction.models.heads import PromptCouplingHead
from tests.models.backbones.test_prompted_clip_vision import block_runs

TINY = dict(arch='GA2-Tiny-Random', weights=None)


def make_head(grad_checkpointing: bool) -> PromptCouplingHead:
    torch.manual_seed(0)
    return PromptCouplingHead(classnames=['ride bike', 'eat', 'typing'], clip=TINY, language_ctx=3,
                              language_depth=2, coupling='concat_mlp', coupling_dropout=0.0,
                              hard_prompt=torch.full((3, 64), 0.01), grad_checkpointing=grad_checkpointing)


def test_text_grad_checkpointing_recomputes_every_block_in_backward():
    results = {}
    for ckpt in (False, True):
        head = make_head(ckpt).train()
        blocks = head.text.transformer.resblocks
        runs = block_runs(blocks, head.class_features)
        results[ckpt] = (*runs, head.prompt_learner.ctx.grad, head.prompt_learner.coupling.mlp[0].weight.grad)
    layers = len(make_head(False).text.transformer.resblocks)
    assert results[False][:2] == (layers, 0)
    assert results[True][:2] == (layers, layers)  # every text block ran again during backward
    for a, b in zip(results[False][2:], results[True][2:]):
        torch.testing.assert_close(a, b)
