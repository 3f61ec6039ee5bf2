"""PromptCouplingHead: prompts, coupling variants, hard prompt in the state, class-feature cache."""
import pytest
import torch
import torch.nn.functional as F

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


def count_text_passes(head):
    """Count text-tower passes of ``head`` with a mock around ``encode_prompted_tokens``."""
    from unittest import mock
    return mock.patch.object(head, 'encode_prompted_tokens', wraps=head.encode_prompted_tokens)


def test_text_encoder_runs_once_across_eval_batches():
    head = make(hard_prompt=torch.zeros(3, 64)).eval()
    with count_text_passes(head) as calls, torch.no_grad():
        for _ in range(4):
            head(torch.randn(2, 64))
        assert calls.call_count == 1
        # an optimizer step on a prompt invalidates the cache
        head.prompt_learner.ctx.add_(0.1)
        head(torch.randn(2, 64))
        assert calls.call_count == 2
        # so does switching the class names (base -> novel at test time), without retraining
        head.set_class_names(['a', 'b', 'c'])
        out = head(torch.randn(2, 64))
        assert out.shape == (2, 3) and head.num_classes == 3 and calls.call_count == 3


def test_cache_dropped_on_load_state_dict_and_mode_switch():
    head = make(hard_prompt=torch.zeros(3, 64)).eval()
    other = make(hard_prompt=torch.ones(3, 64)).eval()
    with torch.no_grad():
        before = head.class_features().clone()
        # load_state_dict writes with copy_ under no_grad; the cache must not survive it
        head.load_state_dict(other.state_dict())
        torch.testing.assert_close(head.class_features(), other.class_features())
        assert not torch.allclose(before, head.class_features())
    with count_text_passes(head) as calls, torch.no_grad():
        head.class_features()
        assert calls.call_count == 0  # still cached
        head.eval()  # eval() again (what MMEngine's loops do after EMAHook swapped parameters)
        head.class_features()
        assert calls.call_count == 1
        head.train().eval()
        head.class_features()
        assert calls.call_count == 2


def test_cache_follows_ema_hook_parameter_swap():
    """EMAHook swaps parameters with ``.data.copy_`` (no version bump); the val loop's eval() drops the cache."""
    from mmengine.hooks import EMAHook
    head = make(hard_prompt=torch.zeros(3, 64))

    class Runner:  # what EMAHook reads of a runner
        model = head
    hook = EMAHook(momentum=0.5)
    hook.before_run(Runner)
    with torch.no_grad():
        hook.ema_model.module.prompt_learner.ctx.add_(1.0)  # the averaged prompt differs
        head.eval()
        tuned = head.class_features().clone()
        hook.before_val_epoch(Runner)  # swap the EMA weights in, as before a validation epoch
        head.eval()  # ValLoop.run: model.eval() right after before_val_epoch
        ema = head.class_features().clone()
        expected = make(hard_prompt=torch.zeros(3, 64)).eval()
        expected.load_state_dict(hook.ema_model.module.state_dict())
        hook.after_val_epoch(Runner)
    assert not torch.allclose(tuned, ema)
    head.eval()
    with torch.no_grad():
        torch.testing.assert_close(head.class_features(), tuned)


def test_cache_keyed_by_autocast_and_logits_float32():
    head = make(hard_prompt=torch.zeros(3, 64)).eval()
    video = torch.randn(4, 64)
    with count_text_passes(head) as calls, torch.no_grad():
        fp32 = head(video)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            bf16 = head(video.bfloat16())
            assert head.class_features().dtype == torch.float32
        again = head(video)
        assert calls.call_count == 3  # fp32, bf16, fp32 again (the bf16 features are not reused)
    assert bf16.dtype == torch.float32 and fp32.dtype == torch.float32
    torch.testing.assert_close(again, fp32)
    # bf16 text tower, float32 cosine: logits (scale 100) within 1.0 of fp32 (a bf16 cosine is off by ~0.4)
    assert (bf16 - fp32).abs().max() < 1.0


def test_truncated_text_equals_full_context():
    head = make(hard_prompt=torch.randn(3, 64), classnames=['ride_bike', 'a much longer class name here'])
    head.eval()
    with torch.no_grad():
        short = head.encode_prompted_tokens(head.class_tokens)
        head.text.truncate = False
        full = head.encode_prompted_tokens(head.class_tokens)
    assert head.class_tokens.argmax(-1).max() + 1 < head.class_tokens.shape[1]  # the cut is real
    # the features the logits use (unit vectors) agree to 1e-6; raw features to float32 rounding (~5e-7 rel.)
    torch.testing.assert_close(F.normalize(short, dim=-1), F.normalize(full, dim=-1), atol=1e-6, rtol=0)
    assert (short - full).abs().max() <= 1e-6 * full.abs().max()


def test_training_pass_recomputes_with_grad():
    head = make(hard_prompt=torch.zeros(3, 64)).train()
    head(torch.randn(2, 64)).sum().backward()
    assert head.prompt_learner.ctx.grad is not None and head.prompt_learner.ctx.grad.abs().sum() > 0


def test_class_names_from_csv_file(tmp_path):
    path = tmp_path / 'labels.csv'
    path.write_bytes(b'id,name\r\n0,"Pushing something, slowly"\r\n1,ride_bike')
    head = make(classnames=str(path), hard_prompt=torch.zeros(3, 64))
    assert head.classnames == ['Pushing something, slowly', 'ride_bike']
