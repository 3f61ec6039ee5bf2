"""Heads and their parts."""
from .coupling import SHORT_NAMES as COUPLING_NAMES
from .coupling import build_coupling
from .prompt_coupling_head import PromptCouplingHead
from .text_prompt_learner import TextPromptLearner, load_hard_prompt

__all__ = ['PromptCouplingHead', 'TextPromptLearner', 'COUPLING_NAMES', 'build_coupling', 'load_hard_prompt']
