"""``torch.compile`` of GA2-CLIP (MMEngine's ``compile=True`` Runner switch compiles ``model.train_step``).

* Dynamo captures the prompt/text paths (class features, prompted image tower, embedding) as single graphs, and the
  loss without an anchor term breaks only in MMAction2's numpy top-k accuracy (a logged figure, after the loss);
* two training steps (SGD) of the prompted image tower compiled by inductor on the CPU equal eager: outputs,
  gradients and updated parameters within 1e-5;
* the Runner's ``compile`` switch compiles ``train_step`` (Dynamo capture with the ``eager`` backend: inductor's
  code generation is the previous check's) and trains to the same prompts as eager;
* the class-feature cache under a compiled ``predict``: filled once, switched with the class list.
"""
import copy
from typing import Optional

import pytest
import torch

import ga2clip_mmaction  # noqa: F401

#: Tolerance of compiled vs eager (float32 on the CPU: inductor fuses and reorders reductions).
ATOL = 1e-5


def tiny_model(mode: Optional[str] = 'kl'):
    from mmaction.registry import MODELS
    from mmengine.registry import DefaultScope
    torch.manual_seed(0)
    clip = dict(arch='GA2-Tiny-Random', weights=None)
    cfg = dict(type='GA2CLIPRecognizer',
               backbone=dict(type='PromptedCLIPVision', clip=clip, vision_ctx=2, vision_depth=2),
               cls_head=dict(type='PromptCouplingHead', clip=clip, classnames=['a', 'b', 'c'], language_ctx=3,
                             language_depth=2, hard_prompt=torch.randn(3, 64), coupling_dropout=0.0,
                             anchor_loss=dict(type='AnchorLoss', mode=mode, anchor_names=['else', 'something'])
                             if mode else None),
               data_preprocessor=dict(type='AnchorActionDataPreprocessor', mean=[122.771, 116.746, 104.094],
                                      std=[68.501, 66.632, 70.323], format_shape='NCTHW'))
    with DefaultScope.overwrite_default_scope('mmaction'):
        return MODELS.build(cfg)


def batch(seed: int = 1):
    """Two main clips and one anchor clip, as the anchor batch sampler delivers them."""
    from mmaction.structures import ActionDataSample
    g = torch.Generator().manual_seed(seed)
    samples = [ActionDataSample().set_gt_label(torch.tensor(i % 3)) for i in range(3)]
    samples[2].set_metainfo(dict(is_anchor=True))
    return dict(inputs=[torch.rand(1, 3, 4, 32, 32, generator=g) * 255 for _ in range(3)], data_samples=samples)


def test_prompt_and_text_paths_compile_without_graph_breaks():
    model = tiny_model().train()
    x = torch.randn(2, 1, 3, 4, 32, 32)
    head = model.cls_head
    for name, fn, args in (('class features', head.class_features, ()),
                           ('prompted image tower', model.backbone, (x[:, 0],)),
                           ('embedding', model.embed, (x,))):
        torch._dynamo.reset()
        explained = torch._dynamo.explain(fn)(*args)
        assert explained.graph_break_count == 0, (name, [r.reason[:200] for r in explained.break_reasons])
    # the loss without an anchor term: the anchor term's text (tokenising the anchor names each step, the
    # frozen-feature cache lookup) still breaks the graph, see docs/performance.md
    model = tiny_model(mode=None).train()
    data = model.data_preprocessor(batch(), True)
    torch._dynamo.reset()
    explained = torch._dynamo.explain(model.loss)(data['inputs'][:2], data['data_samples'][:2])
    files = {r.user_stack[-1].filename for r in explained.break_reasons}
    assert files and all(f.endswith('mmaction/evaluation/functional/accuracy.py') for f in files), files


def test_inductor_compiled_prompted_image_tower_trains_like_eager():
    """Inductor on the smallest graph that holds our code: the prompted image tower (deep vision prompts inserted
    into CLIP's blocks, the fused-QKV attention), forward and backward. Two SGD steps of its prompt: outputs,
    gradients and updated prompts within ATOL of eager. (Inductor on the whole loss took ~150 s on 2 loaded
    cores, this ~35 s; the rest of the loss is covered by Dynamo's capture above and the Runner switch below.)"""
    eager = tiny_model().backbone.train()
    compiled_module = copy.deepcopy(eager)
    torch._dynamo.reset()
    compiled = torch.compile(compiled_module, backend='inductor')
    x = torch.randn(2, 3, 4, 32, 32, generator=torch.Generator().manual_seed(1))
    target = torch.randn(2, 64, generator=torch.Generator().manual_seed(2))
    start = eager.prompt.detach().clone()
    steps = {}
    for model, params in ((eager, eager), (compiled, compiled_module)):
        # SGD: the update is proportional to the gradient (AdamW's normalisation would turn rounding-level
        # differences of near-zero gradients into lr-sized ones)
        optim = torch.optim.SGD([p for p in params.parameters() if p.requires_grad], lr=0.1)
        for _ in range(2):
            out = model(x)
            loss = ((out.mean(1) - target) ** 2).mean()
            optim.zero_grad()
            loss.backward()
            steps.setdefault(model is eager, []).append((out.detach().clone(), params.prompt.grad.detach().clone()))
            optim.step()
    for (out_e, grad_e), (out_c, grad_c) in zip(steps[True], steps[False]):
        torch.testing.assert_close(out_c, out_e, rtol=0, atol=ATOL)
        torch.testing.assert_close(grad_c, grad_e, rtol=0, atol=ATOL)
    assert not torch.equal(eager.prompt, start)  # the prompt trained
    for (name, p_e), p_c in zip(eager.named_parameters(), compiled_module.parameters()):
        torch.testing.assert_close(p_c, p_e, rtol=0, atol=ATOL, msg=lambda m, name=name: f'{name}: {m}')


def test_runner_compile_switch_trains_like_eager(tmp_path, make_video):
    from mmengine.config import Config
    from mmengine.runner import Runner

    from tests.models.recognizers.test_ga2clip_runner import runner_cfg, write_lists
    # one iteration: MMEngine's compiled train_step re-traces the data preprocessor at every step (its guards hold
    # the id of each sample's metainfo), which only costs time
    videos = [make_video(f'v{i}.mp4', num_frames=8, size=(40, 32)) for i in range(2)]
    ann, anchor_ann = write_lists(tmp_path, [v.split('/')[-1] for v in videos])
    prompts = {}
    for switch in (None, dict(backend='eager')):  # Dynamo capture of the whole train_step (inductor: above)
        cfg = runner_cfg(str(tmp_path / f'w{switch is not None}'), str(tmp_path), ann, anchor_ann, 'kl')
        cfg['train_cfg'] = dict(type='EpochBasedTrainLoop', max_epochs=1, val_interval=10)
        cfg['optim_wrapper'] = dict(optimizer=dict(type='SGD', lr=0.1))  # AdamW's step is slow to trace
        if switch is not None:
            cfg['compile'] = switch
        torch._dynamo.reset()
        runner = Runner.from_cfg(Config(cfg, format_python_code=False))  # no yapf
        runner.train()
        if switch is not None:
            assert type(runner.model.train_step).__name__ != 'method', 'train_step was not compiled'
        prompts[switch is not None] = runner.model.backbone.prompt.detach().clone()
    torch.testing.assert_close(prompts[True], prompts[False], rtol=0, atol=ATOL)
    assert not torch.equal(prompts[True], tiny_model().backbone.prompt)


def test_class_feature_cache_under_a_compiled_predict():
    from mmaction.structures import ActionDataSample
    model = tiny_model().eval()
    x = torch.randn(2, 1, 3, 4, 32, 32)
    samples = lambda: [ActionDataSample() for _ in range(2)]  # noqa: E731
    with torch.no_grad():
        expected = torch.stack([s.pred_score for s in model.predict(x, samples())])
        model.cls_head.invalidate_cache()
        torch._dynamo.reset()
        predict = torch.compile(model.predict, backend='eager')
        first = torch.stack([s.pred_score for s in predict(x, samples())])
        cached = model.cls_head._cache.values()
        assert cached  # the compiled call filled the cache ...
        second = torch.stack([s.pred_score for s in predict(x, samples())])
        assert model.cls_head._cache.values()[0] is cached[0]  # ... and the next one used it
        model.cls_head.set_class_names(['a', 'b', 'c', 'd', 'e'])
        switched = torch.stack([s.pred_score for s in predict(x, samples())])
    torch.testing.assert_close(first, expected, rtol=0, atol=ATOL)
    torch.testing.assert_close(second, expected, rtol=0, atol=ATOL)
    assert switched.shape == (2, 5)  # the new class list, not the cached three classes
    torch.testing.assert_close(switched.sum(-1), torch.ones(2))


@pytest.fixture(autouse=True)
def _reset_dynamo():
    yield
    torch._dynamo.reset()
