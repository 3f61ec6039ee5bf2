"""``torch.compile`` of GA2-CLIP (MMEngine's ``compile=True`` Runner switch compiles ``model.train_step``).

* Dynamo captures the prompt/text paths (class features, prompted image tower, embedding) as single graphs, and the
  loss without an anchor term breaks only in MMAction2's numpy top-k accuracy (a logged figure, after the loss);
* two training steps (SGD) with the loss compiled by inductor on the CPU equal eager: losses and updated
  parameters within 1e-5;
* the Runner's ``compile`` switch trains to the same prompts as eager;
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
                             language_depth=2, hard_prompt=torch.randn(3, 64), coupling_dropout=0.0),
               anchor_loss=dict(type='AnchorLoss', mode=mode, anchor_names=['else', 'something']) if mode else None,
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


def test_inductor_compiled_training_step_equals_eager():
    from mmengine.optim import OptimWrapper
    eager = tiny_model().train()
    compiled = copy.deepcopy(eager)
    torch._dynamo.reset()
    compiled.loss = torch.compile(compiled.loss, backend='inductor')
    results = []
    for model in (eager, compiled):
        # SGD: the update is proportional to the gradient (AdamW's normalisation would turn rounding-level
        # differences of near-zero gradients into lr-sized ones)
        wrapper = OptimWrapper(torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1))
        losses = [model.train_step(batch(seed), wrapper) for seed in (1, 2)]
        results.append((losses, {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}))
    (eager_losses, eager_params), (comp_losses, comp_params) = results
    for a, b in zip(eager_losses, comp_losses):
        assert set(a) == set(b) and 'loss_anchor' in a
        for key in a:
            torch.testing.assert_close(b[key].detach().double(), a[key].detach().double(), rtol=0, atol=ATOL)
    moved = [n for n in eager_params if not torch.equal(eager_params[n], dict(tiny_model().named_parameters())[n])]
    assert 'backbone.prompt' in moved and 'cls_head.prompt_learner.ctx' in moved
    for name in eager_params:
        torch.testing.assert_close(comp_params[name], eager_params[name], rtol=0, atol=ATOL,
                                   msg=lambda m, name=name: f'{name}: {m}')


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
        runner = Runner.from_cfg(Config(cfg))
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
