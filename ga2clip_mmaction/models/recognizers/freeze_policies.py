"""Freeze policies of :class:`GA2CLIPRecognizer` (``model.freeze``), entries of the ``FREEZE_POLICIES`` registry.

A policy is a function ``policy(towers)`` that sets ``requires_grad`` of the CLIP towers, given as
``{'vision': backbone.visual or None, 'text': cls_head.text or None}`` (``None`` when the backbone or head has no
CLIP tower, e.g. a ResNet3d backbone, which then trains as configured). The prompts, the coupling and the
inter-modal prompt mapping (``model.prompt_mapping``, a module of the recognizer, outside the towers) always train;
CLIP's logit scale always stays frozen. Register a new policy with
``@FREEZE_POLICIES.register_module('my_policy')``.
"""
from typing import Dict, Iterable, Optional

from torch import nn

from ...registry import FREEZE_POLICIES

Towers = Dict[str, Optional[nn.Module]]


def train_only(towers: Towers, names: Iterable[str]) -> None:
    """Make the towers named in ``names`` trainable and freeze the others.

    Args:
        towers (dict[str, nn.Module | None]): ``vision`` / ``text`` towers (None: absent).
        names (Iterable[str]): Towers that train.
    """
    names = set(names)
    for name, tower in towers.items():
        if tower is not None:
            tower.requires_grad_(name in names)


@FREEZE_POLICIES.register_module('prompts')
def train_prompts(towers: Towers) -> None:
    """Both CLIP towers frozen (the released setting)."""
    train_only(towers, ())


@FREEZE_POLICIES.register_module('prompts+vision')
def train_prompts_and_vision(towers: Towers) -> None:
    """The image tower trains too."""
    train_only(towers, ('vision', ))


@FREEZE_POLICIES.register_module('prompts+text')
def train_prompts_and_text(towers: Towers) -> None:
    """The text tower trains too."""
    train_only(towers, ('text', ))


@FREEZE_POLICIES.register_module('all')
def train_all(towers: Towers) -> None:
    """Both towers train."""
    train_only(towers, ('vision', 'text'))
