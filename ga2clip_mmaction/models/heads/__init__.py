"""Heads and their parts."""
from ...registry import COUPLINGS
from .coupling import build_coupling
from .prompt_coupling_head import PromptCouplingHead
from .text_prompt_learner import TextPromptLearner, load_hard_prompt

__all__ = ['PromptCouplingHead', 'TextPromptLearner', 'COUPLINGS', 'build_coupling', 'load_hard_prompt']
