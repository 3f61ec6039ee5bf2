"""Fixtures for model tests: a tiny random CLIP recognizer built from config dicts."""
import copy
from typing import Callable

import pytest
import torch

TINY_CLIP = dict(arch='GA2-Tiny-Random', weights=None)
CLASSES = ['ride_bike', 'juggling balls', 'Typing', 'eat']


#: Overrides that are the head's (``cls_head.<key>``), accepted at the top level for brevity.
HEAD_KEYS = ('anchor_loss', 'consistency_loss')


def tiny_model_cfg(**overrides) -> dict:
    """A GA2CLIPRecognizer config on the tiny random CLIP; keyword overrides replace top-level keys
    (``anchor_loss`` and ``consistency_loss`` go into ``cls_head``, which owns the losses)."""
    head = {k: overrides.pop(k) for k in HEAD_KEYS if k in overrides}
    cfg = dict(
        type='GA2CLIPRecognizer',
        backbone=dict(type='PromptedCLIPVision', clip=TINY_CLIP, vision_ctx=3, vision_depth=2),
        cls_head=dict(type='PromptCouplingHead', clip=TINY_CLIP, classnames=list(CLASSES),
                      language_ctx=4, language_depth=2, coupling='concat_mlp', coupling_dropout=0.0),
        data_preprocessor=dict(type='ActionDataPreprocessor', format_shape='NCTHW'))
    cfg.update(copy.deepcopy(overrides))
    cfg['cls_head'] = {**cfg['cls_head'], **copy.deepcopy(head)}
    return cfg


@pytest.fixture
def build_model() -> Callable[..., torch.nn.Module]:
    """``build_model(**overrides)`` builds a seeded tiny recognizer under the mmaction scope."""
    import ga2clip_mmaction  # noqa: F401
    from mmaction.registry import MODELS
    from mmengine.registry import DefaultScope

    def _build(**overrides) -> torch.nn.Module:
        torch.manual_seed(0)
        with DefaultScope.overwrite_default_scope('mmaction'):
            return MODELS.build(tiny_model_cfg(**overrides))

    return _build


@pytest.fixture
def samples() -> Callable[..., list]:
    """``samples(labels)``: ActionDataSamples with the given ground-truth labels."""
    from mmaction.structures import ActionDataSample

    def _samples(labels) -> list:
        return [ActionDataSample().set_gt_label(torch.tensor(int(label))) for label in labels]

    return _samples


def clips(batch: int = 2, views: int = 1, frames: int = 3, seed: int = 1) -> torch.Tensor:
    """Random normalised clips ``[B, V, 3, T, 32, 32]``."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, views, 3, frames, 32, 32, generator=g)


@pytest.fixture
def make_clips() -> Callable[..., torch.Tensor]:
    """``make_clips(batch=2, views=1, frames=3, seed=1)``: random clips ``[B, V, 3, T, 32, 32]``."""
    return clips


@pytest.fixture
def class_names() -> list:
    """The class names of :func:`tiny_model_cfg`."""
    return list(CLASSES)
