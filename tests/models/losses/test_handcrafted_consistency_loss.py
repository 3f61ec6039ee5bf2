"""HandcraftedConsistencyLoss: values vs hand computation, fp32 under autocast, errors.

Its frozen features are the head's (cached there): tests/models/recognizers/test_vilt_clip.py.
"""
import pytest
import torch

from ga2clip_mmaction.models.losses import HandcraftedConsistencyLoss


def features(seed=0, c=3, d=6):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(c, d, generator=g)


def test_cos_and_l2_values_match_a_hand_computation():
    tuned, frozen = features(0), features(1) * 3.0
    cos = torch.tensor([float(torch.dot(t, f) / (t.norm() * f.norm())) for t, f in zip(tuned, frozen)])
    dist = torch.tensor([float(((t / t.norm() - f / f.norm())**2).sum()) for t, f in zip(tuned, frozen)])
    loss_cos = HandcraftedConsistencyLoss(mode='cos', loss_weight=2.0)(tuned, frozen)
    loss_l2 = HandcraftedConsistencyLoss(mode='l2', loss_weight=0.5)(tuned, frozen)
    torch.testing.assert_close(loss_cos, 2.0 * (1 - cos).mean())
    torch.testing.assert_close(loss_l2, 0.5 * dist.mean())
    torch.testing.assert_close(loss_l2 / 0.5, 2 * loss_cos / 2.0)  # l2 of unit vectors = 2 (1 - cos)


@pytest.mark.parametrize('mode', ['cos', 'l2'])
def test_zero_when_tuned_equal_frozen_and_gradient_flows(mode):
    frozen = features(2)
    tuned = (frozen * 5.0).requires_grad_()  # same direction: the normalised features are equal
    loss = HandcraftedConsistencyLoss(mode=mode)(tuned, frozen)
    assert loss.item() == pytest.approx(0.0, abs=1e-6)
    other = features(3).requires_grad_()
    HandcraftedConsistencyLoss(mode=mode)(other, frozen).backward()
    assert other.grad.abs().sum() > 0


def test_float32_under_bf16_autocast():
    tuned, frozen = features(0).bfloat16(), features(1)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = HandcraftedConsistencyLoss(mode='cos', loss_weight=1.0)(tuned, frozen)
    assert loss.dtype == torch.float32
    torch.testing.assert_close(loss, HandcraftedConsistencyLoss(mode='cos', loss_weight=1.0)(tuned.float(), frozen))


@pytest.mark.parametrize('kwargs, match', [
    (dict(mode='kl'), r"consistency_loss.mode must be one of \('cos', 'l2'\), got 'kl'"),
    (dict(loss_weight=-1.0), 'consistency_loss.loss_weight must be a number >= 0, got -1.0'),
    (dict(loss_weight='big'), "consistency_loss.loss_weight must be a number >= 0, got 'big'"),
    (dict(template='a video of a person'), 'consistency_loss.template must contain'),
])
def test_bad_arguments_name_the_key(kwargs, match):
    with pytest.raises(ValueError, match=match):
        HandcraftedConsistencyLoss(**kwargs)
