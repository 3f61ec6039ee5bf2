"""GA2CLIPRecognizer view averaging against hand-computed probabilities.

Two classes with text features (1, 0) and (0, 1), logit scale 2, and three views of one sample
with embeddings (1, 0), (1, 0), (0, 1):

* ``'feature'``: mean embedding (2/3, 1/3) has cosines (2, 1)/sqrt(5), logits 2 * that;
* ``'score'``: per-view logits (2, 0), (2, 0), (0, 2), mean (4/3, 2/3);
* ``'prob'``: per-view probabilities sigmoid(+-2), mean (2 sigmoid(2) + sigmoid(-2)) / 3.

P(class a) is 0.710, 0.661 and 0.627: a mode computed the wrong way fails.
"""
import math

import pytest
import torch


def _sigmoid(x):
    return 1 / (1 + math.exp(-x))


EXPECTED_P0 = {
    'feature': _sigmoid(2 * (2 - 1) / math.sqrt(5)),
    'score': _sigmoid(4 / 3 - 2 / 3),
    'prob': (2 * _sigmoid(2) + _sigmoid(-2)) / 3,
}


@pytest.mark.parametrize('mode', sorted(EXPECTED_P0))
def test_hand_computed_view_average(build_model, samples, mode):
    model = build_model(view_average=mode, cls_head=dict(
        type='PromptCouplingHead', clip=dict(arch='GA2-Tiny-Random', weights=None),
        classnames=['a', 'b'], language_ctx=2, language_depth=1, coupling='none')).eval()
    views = torch.tensor([[[1., 0.], [1., 0.], [0., 1.]]])  # [B=1, V=3, D=2]
    model.embed = lambda inputs, prompts=True: views
    model.cls_head.class_features = lambda: torch.eye(2)
    model.cls_head.text.logit_scale.data.fill_(math.log(2.0))
    with torch.no_grad():
        score = model.predict(torch.zeros(1, 3, 3, 1, 32, 32), samples([0]))[0].pred_score
    expected = torch.tensor([EXPECTED_P0[mode], 1 - EXPECTED_P0[mode]])
    torch.testing.assert_close(score, expected.to(score.dtype))

