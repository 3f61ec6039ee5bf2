"""PromptCouplingHead: prompts, coupling variants, hard prompt in the state, class-feature cache."""
import pytest
import torch

from ga2clip_mmaction.models.heads import PromptCouplingHead

TINY = dict(arch='GA2-Tiny-Random', weights=None)


def make(**kwargs) -> PromptCouplingHead:
    torch.manual_seed(0)
    kwargs.setdefault('classnames', ['ride_bike', 'Typing'])
    kwargs.setdefault('coupling_dropout', 0.0)
    return PromptCouplingHead(clip=TINY, language_ctx=3, language_depth=2, **kwargs)


def test_prompt_strings_and_tokens():
    head = make(hard_prompt=torch.zeros(3, 64))
    assert head.class_prompt('ride_bike') == 'X X X ride bike.'
    tokens = head.class_tokens
    assert tokens.shape == (2, 77)
    assert tokens[0, 0].item() == 49406 and (tokens[:, 1:4] == 343).all()  # SOT, then one token per X


def test_logits_are_scaled_cosines():
    head = make(hard_prompt=torch.zeros(3, 64)).eval()
    video = torch.randn(5, 64)
    with torch.no_grad():
        logits = head(video)
        text = head.class_features()
    cos = torch.nn.functional.cosine_similarity(video[:, None], text[None], dim=-1)
    torch.testing.assert_close(logits, head.logit_scale * cos, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('coupling', ['add', 'concat_mlp', 'none', 'seq_concat'])
def test_coupling_variants(coupling):
    hard = None if coupling == 'none' else torch.randn(3, 64) * 0.02
    head = make(coupling=coupling, hard_prompt=hard).eval()
    ctx = head.prompt_learner.context()
    assert ctx.shape == ((6 if coupling == 'seq_concat' else 3), 64)
    assert head.class_tokens[:, 1:1 + ctx.shape[0]].eq(343).all()
    feats = head.class_features()
    assert feats.shape == (2, 64) and torch.isfinite(feats).all()
    if coupling != 'none':  # the hard prompt reaches the class features
        before = feats.clone()
        with torch.no_grad():
            head.prompt_learner.hard_prompt.add_(torch.randn(3, 64))
        assert (head.class_features() - before).abs().max() > 1e-4


def test_concat_mlp_matches_formula():
    hard = torch.randn(3, 64)
    head = make(hard_prompt=hard)
    mlp = head.prompt_learner.coupling.mlp[0]
    expected = torch.relu(torch.cat([hard, head.prompt_learner.ctx], -1) @ mlp.weight.t() + mlp.bias)
    torch.testing.assert_close(head.prompt_learner.context(), expected)


def test_trainable_parameters_are_prompts_and_coupling():
    head = make(hard_prompt=torch.zeros(3, 64))
    trainable = {n for n, p in head.named_parameters() if p.requires_grad}
    assert trainable == {'prompt_learner.ctx', 'prompt_learner.deep_ctx.0',
                         'prompt_learner.coupling.mlp.0.weight', 'prompt_learner.coupling.mlp.0.bias'}


def test_hard_prompt_file_and_state_dict_round_trip(tmp_path):
    hard = torch.randn(3, 64)
    path = tmp_path / 'hard.pt'
    torch.save({'hard_prompt': hard}, path)
    head = make(hard_prompt=str(path))
    torch.testing.assert_close(head.prompt_learner.hard_prompt, hard)
    state = head.state_dict()
    assert 'prompt_learner.hard_prompt' in state
    # a head built without the file gets the hard prompt back from the checkpoint state alone
    with pytest.warns(UserWarning, match='hard prompt is zeros'):
        fresh = make()
    fresh.load_state_dict(state)
    torch.testing.assert_close(fresh.prompt_learner.hard_prompt, hard)
    torch.testing.assert_close(fresh.eval().class_features(), head.eval().class_features())


def test_bad_hard_prompt_is_refused_with_the_file_name(tmp_path):
    path = tmp_path / 'wrong.pt'
    torch.save({'hard_prompt': torch.zeros(5, 64)}, path)
    with pytest.raises(ValueError, match=r'wrong\.pt.*\(3, 64\)'):
        make(hard_prompt=str(path))
    with pytest.raises(FileNotFoundError, match='missing.pt'):
        make(hard_prompt=str(tmp_path / 'missing.pt'))
    with pytest.raises(ValueError, match="coupling='none'"):
        make(coupling='none', hard_prompt=torch.zeros(3, 64))
    with pytest.raises(KeyError, match='unknown coupling'):
        make(coupling='mul', hard_prompt=torch.zeros(3, 64))


def test_text_encoder_runs_once_across_eval_batches():
    head = make(hard_prompt=torch.zeros(3, 64)).eval()
    with torch.no_grad():
        for _ in range(4):
            head(torch.randn(2, 64))
    assert head.text_encoder_calls == 1
    # an optimizer step on a prompt invalidates the cache
    with torch.no_grad():
        head.prompt_learner.ctx.add_(0.1)
        head(torch.randn(2, 64))
    assert head.text_encoder_calls == 2
    # so does switching the class names (base -> novel at test time), without retraining
    with torch.no_grad():
        head.set_class_names(['a', 'b', 'c'])
        out = head(torch.randn(2, 64))
    assert out.shape == (2, 3) and head.num_classes == 3 and head.text_encoder_calls == 3


def test_training_pass_recomputes_with_grad():
    head = make(hard_prompt=torch.zeros(3, 64)).train()
    head(torch.randn(2, 64)).sum().backward()
    assert head.prompt_learner.ctx.grad is not None and head.prompt_learner.ctx.grad.abs().sum() > 0


def test_class_names_from_csv_file(tmp_path):
    path = tmp_path / 'labels.csv'
    path.write_bytes(b'id,name\r\n0,"Pushing something, slowly"\r\n1,ride_bike')
    head = make(classnames=str(path), hard_prompt=torch.zeros(3, 64))
    assert head.classnames == ['Pushing something, slowly', 'ride_bike']
