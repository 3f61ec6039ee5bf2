"""Class prompts sharded across ranks: same loss and prompt gradients as unsharded, under real 2-rank DDP.

Also under 2 gloo ranks: each rank draws its own dropout masks at a step (ResumableRandomnessHook seeds by
(seed, rank, iteration)), while the sharded text encoding uses one mask on all ranks, seeded by
(``shared_text_seed``, step) from the head's own step count with no collective (two consecutive steps, each
against the unsharded encoding under that step's seed); a gradient-enabled ``class_features()`` called on one
rank only (a hook, Grad-CAM) runs no collective, so it cannot hang the others.

In one process: the head counts its training loss calls in a persistent buffer that a small checkpoint (the
format of configs/_base_/default_runtime.py) carries into a strict load, and a checkpoint written before the
count existed loads with the count at 0.

Also: MMEngine's ``MMDistributedDataParallel`` with ``find_unused_parameters=False`` trains the recognizer in
every coupling / anchor mode with gradient checkpointing on (an unused parameter fails the second step).
Tolerance of sharded vs unsharded (float32; the shards run the text tower on 3 and 2 prompts instead of 5, so
BLAS sums in another order, and the all-gather's backward adds the ranks' gradients in another order): losses
1e-6 absolute (+1e-5 relative), gradients 1e-5 absolute (+1e-4 relative; the largest entries are ~2,
measured differences up to 4e-6, losses equal).
"""
import pytest
import torch

from ga2clip_mmaction.models.heads.text_sharding import shard_bounds, sharding_active
from tests.helpers.dist import run_ranks

TINY_CLIP = dict(arch='GA2-Tiny-Random', weights=None)
CLASSES = ['ride bike', 'juggle', 'type', 'eat', 'swim']  # 5 classes on 2 ranks: shards of 3 and 2
COUPLINGS = {'concat_mlp': 0.5, 'add': 0.0, 'seq_concat': 0.0, 'none': 0.0}  # coupling -> dropout


@pytest.mark.parametrize('num, world', [(5, 2), (200, 8), (4, 3), (3, 3), (7, 1)])
def test_shards_cover_every_prompt_once_in_order(num, world):
    bounds = [shard_bounds(num, r, world) for r in range(world)]
    assert bounds[0][0] == 0 and bounds[-1][1] == num
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
    sizes = [b - a for a, b in bounds]
    assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1


def test_no_sharding_without_a_process_group():
    assert not sharding_active(200)


def _head(coupling: str, **kwargs):
    import ga2clip_mmaction  # noqa: F401
    from mmaction.registry import MODELS
    from mmengine.registry import DefaultScope
    torch.manual_seed(0)  # same weights on every rank
    hard = torch.randn(4, 64) if coupling != 'none' else None
    with DefaultScope.overwrite_default_scope('mmaction'):
        head = MODELS.build(dict(type='PromptCouplingHead', clip=TINY_CLIP, classnames=CLASSES, language_ctx=4,
                                 language_depth=2, coupling=coupling, coupling_dropout=COUPLINGS[coupling],
                                 hard_prompt=hard, grad_checkpointing=True, **kwargs))
    return head.train()


class _HeadLoss(torch.nn.Module):
    """``loss_cls`` of the head's own training loss path (class features sharded when the head says so), as the
    recognizer's ``loss`` calls it."""

    def __init__(self, head):
        super().__init__()
        self.head = head

    def forward(self, emb, data_samples):
        return self.head.loss(emb, data_samples)['loss_cls']


SEED, FIRST_STEP = 5, 7  # shared_text_seed, and the head's step count before the first of the two steps


def _sharded_vs_unsharded(rank: int, world_size: int) -> dict:
    """Per coupling, two consecutive steps: loss and DDP-averaged prompt gradients, sharded and unsharded (the
    unsharded reference under the CPU generator seeded with the step's shared seed: the same dropout mask)."""
    from mmaction.structures import ActionDataSample
    from torch.nn.parallel import DistributedDataParallel as DDP
    from ga2clip_mmaction.utils.randomness import STREAM_SHARED_TEXT, derive_seed
    gen = torch.Generator().manual_seed(100 + rank)  # each rank its own batch
    emb, labels = torch.randn(3, 64, generator=gen), torch.randint(0, len(CLASSES), (3, ), generator=gen)
    samples = [ActionDataSample().set_gt_label(label) for label in labels]
    out = {}
    for coupling in COUPLINGS:
        results = {}
        for shard in (True, False):
            head = _head(coupling, shared_text_seed=SEED)
            head.shard_text_across_ranks = shard
            head.shared_text_step.fill_(FIRST_STEP)  # as a resumed run's head holds it
            calls = []
            encode = head.encode_prompted_tokens
            head.encode_prompted_tokens = lambda tokens, *a, **k: calls.append(len(tokens)) or encode(tokens, *a, **k)
            model = DDP(_HeadLoss(head), find_unused_parameters=False)
            steps = []
            for step in (FIRST_STEP, FIRST_STEP + 1):
                torch.manual_seed(rank + 10 * step)  # the ranks' own generators differ (ResumableRandomnessHook)
                model.zero_grad()
                if shard:
                    loss = model(emb, samples)  # draws the dropout mask from the head's own step count
                else:  # reference: every class encoded here, under the CPU generator seeded with the step's seed
                    with torch.random.fork_rng(devices=[]):
                        torch.manual_seed(derive_seed(STREAM_SHARED_TEXT, SEED, step))
                        loss = model(emb, samples)
                loss.backward()
                steps.append(dict(loss=loss.item(), grads={
                    n: p.grad.clone() for n, p in head.prompt_learner.named_parameters()}))
            results[shard] = dict(steps=steps, calls=calls, count=int(head.shared_text_step))
        out[coupling] = results
    return out


def _rank_randomness(rank: int, world_size: int) -> dict:
    """Dropout masks after ResumableRandomnessHook at iterations 3, 3 (again) and 4; a class_features() with
    gradients on rank 0 only, which must return without waiting for rank 1."""
    from types import SimpleNamespace
    import torch.distributed as dist
    from ga2clip_mmaction.engine.hooks import ResumableRandomnessHook
    hook = ResumableRandomnessHook()
    masks = {}
    for name, step in (('it3', 3), ('it3_again', 3), ('it4', 4)):
        hook.before_train_iter(SimpleNamespace(seed=0, iter=step, _randomness_cfg={}), 0)
        masks[name] = torch.nn.functional.dropout(torch.ones(256), 0.5, training=True).bool().tolist()
    local = None
    if rank == 0:
        head = _head('concat_mlp')
        local = list(head.class_features().shape)  # gradients on, one rank only: no collective
    dist.barrier()  # rank 1 arrives here at once; rank 0 only if class_features() did not wait for it
    return dict(masks=masks, local=local)


def _both(rank: int, world_size: int) -> dict:
    """Both 2-rank checks in one start of the ranks (a rank's start-up costs more than its work)."""
    return dict(sharding=_sharded_vs_unsharded(rank, world_size), modes=_ddp_modes(rank, world_size),
                randomness=_rank_randomness(rank, world_size))


@pytest.fixture(scope='module')
def two_ranks() -> list:
    return run_ranks(_both, 2)


def test_sharded_text_gives_the_unsharded_loss_and_gradients(two_ranks):
    ranks = [r['sharding'] for r in two_ranks]
    for coupling in COUPLINGS:
        for rank, res in enumerate(ranks):
            sharded, full = res[coupling][True], res[coupling][False]
            assert sharded['calls'] == [(3, 2)[rank]] * 2 and full['calls'] == [len(CLASSES)] * 2
            # each training loss call advanced the head's step count, sharded or not
            assert sharded['count'] == full['count'] == FIRST_STEP + 2
            for step, (got, want) in enumerate(zip(sharded['steps'], full['steps'])):
                assert got['loss'] == pytest.approx(want['loss'], abs=1e-6, rel=1e-5), (coupling, step)
                assert got['grads'].keys() == want['grads'].keys()
                for name, grad in want['grads'].items():
                    assert grad.abs().max() > 0, (coupling, name)
                    torch.testing.assert_close(got['grads'][name], grad, atol=1e-5, rtol=1e-4)
                    torch.testing.assert_close(ranks[0][coupling][True]['steps'][step]['grads'][name],
                                               got['grads'][name])
        assert ranks[0][coupling][True]['steps'][0]['loss'] != ranks[1][coupling][True]['steps'][0]['loss']
    # the coupling dropout's mask changes from step to step (the test would not see a step count that stood still)
    for res in ranks:
        assert res['concat_mlp'][False]['steps'][0]['loss'] != res['concat_mlp'][False]['steps'][1]['loss']


def _ddp_modes(rank: int, world_size: int) -> dict:
    """Two MMDDP train steps (find_unused_parameters=False, checkpointing on) per coupling / anchor mode."""
    import ga2clip_mmaction  # noqa: F401
    from mmaction.registry import MODELS
    from mmaction.structures import ActionDataSample
    from mmengine.model import MMDistributedDataParallel
    from mmengine.optim import OptimWrapper
    from mmengine.registry import DefaultScope
    modes = [('concat_mlp', dict(mode='official', anchor_names=list(CLASSES))),
             ('concat_mlp', dict(mode='official', anchor_names=['else'], allow_inert=True)),
             ('add', dict(mode='kl', anchor_names=['red thing', 'round thing'])),
             ('seq_concat', dict(mode='negative', anchor_names=['something else'])),
             ('none', None),
             ('none', 'vilt')]  # ViLT-CLIP: inter-modal prompt mapping + hand-crafted consistency loss
    gen = torch.Generator().manual_seed(rank)
    batch = dict(inputs=[torch.randint(0, 255, (1, 3, 2, 32, 32), generator=gen).float() for _ in range(3)],
                 data_samples=[ActionDataSample().set_gt_label(torch.tensor(i)) for i in (0, 3)]
                 + [ActionDataSample(metainfo=dict(is_anchor=True)).set_gt_label(torch.tensor(0))])
    losses = {}
    for coupling, anchor in modes:
        torch.manual_seed(0)
        cfg = dict(type='GA2CLIPRecognizer',
                   backbone=dict(type='PromptedCLIPVision', clip=TINY_CLIP, vision_ctx=2, vision_depth=2,
                                 grad_checkpointing=True),
                   cls_head=dict(type='PromptCouplingHead', clip=TINY_CLIP, classnames=CLASSES, language_ctx=2,
                                 language_depth=2, coupling=coupling, coupling_dropout=0.5,
                                 hard_prompt=torch.randn(2, 64) if coupling != 'none' else None,
                                 grad_checkpointing=True),
                   freeze='prompts',
                   data_preprocessor=dict(type='AnchorActionDataPreprocessor', mean=[127.5] * 3, std=[64.0] * 3,
                                          format_shape='NCTHW'))
        if anchor == 'vilt':
            cfg.update(type='ViLTCLIPRecognizer', prompt_mapping=dict(type='InterModalPromptMapping'))
            cfg['cls_head']['consistency_loss'] = dict(type='HandcraftedConsistencyLoss', loss_weight=8.0,
                                                       template='a video of a {}.')
            anchor = None
        if anchor is not None:
            cfg['cls_head']['anchor_loss'] = dict(type='AnchorLoss', loss_weight=0.5, **anchor)
        with DefaultScope.overwrite_default_scope('mmaction'):
            model = MODELS.build(cfg)
        ddp = MMDistributedDataParallel(module=model, broadcast_buffers=False, find_unused_parameters=False)
        optim = OptimWrapper(torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1))
        key = f'{coupling}/{anchor and anchor["mode"]}/{anchor and len(anchor["anchor_names"])}' \
              f'/{anchor and anchor.get("allow_inert", False)}/{"prompt_mapping" in cfg}'
        data = batch if anchor is not None else {k: v[:2] for k, v in batch.items()}  # anchor clips only with a term
        losses[key] = [float(ddp.train_step(data, optim)['loss']) for _ in range(2)]
    return losses


def test_ranks_draw_their_own_dropout_masks_reproducibly_per_iteration(two_ranks):
    (r0, r1) = [r['randomness']['masks'] for r in two_ranks]
    assert r0['it3'] != r1['it3'] and r0['it4'] != r1['it4']  # ranks differ
    assert r0['it3'] == r0['it3_again'] and r1['it3'] == r1['it3_again']  # a function of the iteration
    assert r0['it3'] != r0['it4']  # steps differ


def test_class_features_with_gradients_on_one_rank_runs_no_collective(two_ranks):
    assert two_ranks[0]['randomness']['local'] == [len(CLASSES), 64] and two_ranks[1]['randomness']['local'] is None


def test_ddp_without_unused_parameter_search_trains_every_mode_with_checkpointing(two_ranks):
    ranks = [r['modes'] for r in two_ranks]
    assert ranks[0].keys() == ranks[1].keys() and len(ranks[0]) == 6
    for key, steps in ranks[0].items():
        assert all(torch.isfinite(torch.tensor(steps))), key
        assert steps[0] != steps[1], key  # the first step changed the prompts


# ---------------------------------------------------------------------------------------------- one process
def _recognizer():
    """A tiny GA2-CLIP recognizer with the coupling dropout on (same weights for the same torch seed)."""
    import ga2clip_mmaction  # noqa: F401
    from mmaction.registry import MODELS
    from mmengine.registry import DefaultScope
    torch.manual_seed(0)
    cfg = dict(type='GA2CLIPRecognizer',
               backbone=dict(type='PromptedCLIPVision', clip=TINY_CLIP, vision_ctx=2, vision_depth=2),
               cls_head=dict(type='PromptCouplingHead', clip=TINY_CLIP, classnames=CLASSES, language_ctx=2,
                             language_depth=2, coupling='concat_mlp', coupling_dropout=0.5,
                             hard_prompt=torch.randn(2, 64)),
               freeze='prompts',
               data_preprocessor=dict(type='ActionDataPreprocessor', mean=[127.5] * 3, std=[64.0] * 3,
                                      format_shape='NCTHW'))
    with DefaultScope.overwrite_default_scope('mmaction'):
        return MODELS.build(cfg)


def _batch():
    from mmaction.structures import ActionDataSample
    gen = torch.Generator().manual_seed(0)
    return dict(inputs=[torch.randint(0, 255, (1, 3, 2, 32, 32), generator=gen).float() for _ in range(2)],
                data_samples=[ActionDataSample().set_gt_label(torch.tensor(i)) for i in (0, 3)])


def _save_small(model, path) -> dict:
    """Save ``model`` as SmallCheckpointHook does (frozen CLIP weights left out, recorded in ``meta``)."""
    from ga2clip_mmaction.utils.small_checkpoint import shrink_checkpoint
    ckpt = dict(state_dict=model.state_dict(), meta=dict())
    assert shrink_checkpoint(model, ckpt)
    torch.save(ckpt, path)
    return ckpt


def test_the_head_counts_its_training_steps_and_a_small_checkpoint_carries_the_count(tmp_path):
    from mmengine.optim import OptimWrapper
    from mmengine.runner import load_checkpoint
    model = _recognizer().train()
    head = model.cls_head
    assert head.shared_text_step.dtype == torch.long and int(head.shared_text_step) == 0
    optim = OptimWrapper(torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1))
    for _ in range(3):
        model.train_step(_batch(), optim)
    assert int(head.shared_text_step) == 3  # one per training step
    model.eval()
    model.val_step(_batch())  # prediction is no training step
    assert int(head.shared_text_step) == 3
    ckpt = _save_small(model, tmp_path / 'small.pth')
    assert 'cls_head.text.token_embedding.weight' not in ckpt['state_dict']  # a small checkpoint ...
    assert int(ckpt['state_dict']['cls_head.shared_text_step']) == 3  # ... that keeps the count
    fresh = _recognizer()
    load_checkpoint(fresh, str(tmp_path / 'small.pth'), map_location='cpu', strict=True, logger='silent')
    assert int(fresh.cls_head.shared_text_step) == 3
    assert fresh.cls_head.shared_text_step_seed() == head.shared_text_step_seed()
    assert head.shared_text_step_seed() != _recognizer().cls_head.shared_text_step_seed()  # the step enters


def test_a_checkpoint_without_the_step_count_loads_strictly_with_the_count_at_zero(tmp_path):
    from mmengine.runner import load_checkpoint
    ckpt = _save_small(_recognizer(), tmp_path / 'new.pth')
    del ckpt['state_dict']['cls_head.shared_text_step']  # as written before the head counted its steps
    torch.save(ckpt, tmp_path / 'old.pth')
    model = _recognizer()
    model.cls_head.shared_text_step.fill_(5)
    load_checkpoint(model, str(tmp_path / 'old.pth'), map_location='cpu', strict=True, logger='silent')
    assert int(model.cls_head.shared_text_step) == 0
    head = model.cls_head  # torch's own strict load of the head alone, too
    state = {k: v for k, v in head.state_dict().items() if k != 'shared_text_step'}
    head.shared_text_step.fill_(5)
    head.load_state_dict(state, strict=True)
    assert int(head.shared_text_step) == 0
