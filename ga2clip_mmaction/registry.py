"""The plugin's one registry of its own kind: ``FREEZE_POLICIES``.

Every component that is built from a config (backbones, necks, heads, couplings, losses, recognizers) is
registered in MMAction2's ``mmaction.registry.MODELS`` under its class name. ``FREEZE_POLICIES`` holds functions,
not modules: ``GA2CLIPRecognizer.freeze`` names one, ``policy(towers)`` sets which CLIP towers train besides the
prompts (``models/recognizers/freeze_policies.py``); register a new one with
``@FREEZE_POLICIES.register_module('my_policy')``.
"""
from mmengine.registry import Registry

FREEZE_POLICIES = Registry('freeze policy', scope='ga2clip_freeze',
                           locations=['ga2clip_mmaction.models.recognizers.freeze_policies'])

__all__ = ['FREEZE_POLICIES']
