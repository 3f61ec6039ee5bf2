"""Couplings are MODELS entries: short names, config dicts and user-registered variants."""
import pytest
import torch

import ga2clip_mmaction  # noqa: F401
from ga2clip_mmaction.models.heads import PromptCouplingHead, build_coupling
from ga2clip_mmaction.models.heads.coupling import Coupling, ConcatMLPCoupling
from mmaction.registry import MODELS

TINY = dict(arch='GA2-Tiny-Random', weights=None)


def test_short_name_and_config_dict_build_the_same_module():
    by_name = build_coupling('concat_mlp', width=8, dropout=0.5)
    by_cfg = build_coupling(dict(type='ConcatMLPCoupling', dropout=0.1), width=8)
    assert type(by_name) is type(by_cfg) is ConcatMLPCoupling
    assert (by_name.mlp[2].p, by_cfg.mlp[2].p) == (0.5, 0.1)  # the config's own dropout wins
    with pytest.raises(KeyError, match=r"unknown coupling 'mul'; choose from .*'concat_mlp'"):
        build_coupling('mul', width=8)


def test_a_registered_coupling_is_usable_from_the_head_config():
    @MODELS.register_module(name='TestScaledHardCoupling', force=True)
    class ScaledHard(Coupling):
        def __init__(self, width: int, dropout: float = 0.0, scale: float = 2.0) -> None:
            super().__init__()
            self.scale = scale

        def forward(self, soft, hard):
            return soft + self.scale * hard

    torch.manual_seed(0)
    head = PromptCouplingHead(classnames=['a', 'b'], clip=TINY, language_ctx=2, language_depth=1,
                              coupling=dict(type='TestScaledHardCoupling', scale=3.0),
                              hard_prompt=torch.ones(2, 64))
    learner = head.prompt_learner
    torch.testing.assert_close(learner.context(), learner.ctx + 3.0)
