"""MMEngine's DDP through our launchers, on CPU (gloo), on a tiny GA2-CLIP config.

One process with batch 2b is the oracle of every distributed run (tests/data/configs/ga2clip_tiny_dist.py is
deterministic for this; b = 2):

* ``tools/dist_train.sh CFG 2`` (torchrun, batch b per rank, gradient checkpointing on in both towers,
  ``find_unused_parameters=False``, class prompts sharded across the ranks) gives the same per-iteration losses
  and final prompt parameters; the ranks draw disjoint main samples and different anchor clips; one checkpoint
  per epoch is written, by rank 0;
* ``tools/dist_test.sh`` on that checkpoint gives exactly the single-process metrics and predictions, every test
  sample once (7 samples on 2 ranks: one padded sample dropped);
* two nodes (two torchrun launchers with ``NNODES=2`` on 127.0.0.1, one process each) train one epoch, and
  ``--resume`` from its checkpoint finishes with the 2-process single-node result;
* ``tools/slurm_train.sh`` (``--launcher slurm``, 3 tasks started by a stand-in ``srun``) keeps the frozen hard
  prompt bit-identical on every rank.

Tolerances: losses and parameters within 2e-5 absolute (float32; the runs differ in the order of reductions:
DDP's gradient all-reduce, checkpoint recomputation, the batch split of the mean).
"""
import contextlib
import csv
import glob
import json
import os
import os.path as osp
import pickle
import stat
import sys

import cv2
import numpy as np
import pytest
import torch

from tests.helpers.dist import run_commands, with_free_port

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = osp.join(REPO, 'tests', 'data', 'configs', 'ga2clip_tiny_dist.py')
BASE = ['red', 'green', 'blue', 'white']
NOVEL = ['yellow', 'cyan']
COLOURS = dict(red=(0, 0, 220), green=(0, 220, 0), blue=(220, 0, 0), white=(220, 220, 220),
               yellow=(0, 220, 220), cyan=(220, 220, 0))  # BGR
NUM_TRAIN, NUM_TEST, BATCH = 8, 7, 2
ITERS_PER_EPOCH, EPOCHS = NUM_TRAIN // (2 * BATCH), 2
ATOL = 2e-5
CKPT_FLAGS = ['model.backbone.grad_checkpointing=True', 'model.cls_head.grad_checkpointing=True']


def _write_video(path: str, colour, seed: int) -> None:
    rng = np.random.default_rng(seed)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 8, (32, 32))
    for t in range(8):
        frame = np.clip(np.array(colour)[None, None] * (0.5 + 0.06 * t) + rng.integers(0, 40, (32, 32, 3)),
                        0, 255).astype(np.uint8)
        writer.write(frame)
    writer.release()


@pytest.fixture(scope='module')
def world(tmp_path_factory) -> str:
    """Videos, class lists, hard prompt and a config pointing at them; returns the config path."""
    root = tmp_path_factory.mktemp('tiny_dist')
    (root / 'videos').mkdir()
    lines = dict(train=[], test=[], anchors=[])
    for i in range(NUM_TRAIN):
        name = BASE[i % 4]
        _write_video(str(root / 'videos' / f'train{i}.mp4'), COLOURS[name], i)
        lines['train'].append(f'train{i}.mp4 {i % 4}')
    test_labels = [0, 1, 2, 3, 4, 5, 1]
    for i, label in enumerate(test_labels):
        _write_video(str(root / 'videos' / f'test{i}.mp4'), COLOURS[(BASE + NOVEL)[label]], 100 + i)
        lines['test'].append(f'test{i}.mp4 {label}')
    for i in range(6):
        _write_video(str(root / 'videos' / f'anchor{i}.mp4'), (40 * i, 90, 200 - 30 * i), 200 + i)
        lines['anchors'].append(f'anchor{i}.mp4 0')
    for split, rows in lines.items():
        (root / f'{split}.txt').write_text('\n'.join(rows) + '\n')
    for split, names in (('base', BASE), ('novel', NOVEL)):
        with open(root / f'{split}_labels.csv', 'w', newline='') as f:
            writer = csv.writer(f)
            writer.writerow(['id', 'name'])
            writer.writerows(enumerate(names))
    torch.save({'hard_prompt': torch.randn(2, 64, generator=torch.Generator().manual_seed(3))},
               str(root / 'hard_prompt.pt'))
    data = dict(video=str(root / 'videos'))
    config = root / 'tiny_dist_local.py'
    config.write_text('\n'.join([
        f'_base_ = [{TINY!r}]',
        "custom_imports = dict(imports=['ga2clip_mmaction', 'tests.helpers.run_recorder'], "
        'allow_failed_imports=False)',
        f"custom_hooks = [dict(type='ClassNamesHook', test=[{str(root / 'base_labels.csv')!r}, "
        f"{str(root / 'novel_labels.csv')!r}]), dict(type='RunRecorderHook')]",
        f"model = dict(cls_head=dict(classnames={str(root / 'base_labels.csv')!r}, "
        f"hard_prompt={str(root / 'hard_prompt.pt')!r}))",
        f"train_dataloader = dict(dataset=dict(dataset=dict(ann_file={str(root / 'train.txt')!r}, "
        f"data_prefix={data!r}), anchor_dataset=dict(ann_file={str(root / 'anchors.txt')!r}, "
        f'data_prefix={data!r})))',
        f"test_dataloader = dict(dataset=dict(ann_file={str(root / 'test.txt')!r}, data_prefix={data!r}))",
        "env_cfg = dict(dist_cfg=dict(backend='gloo'))  # CPU ranks: the explicit choice (the base says nccl)",
    ]) + '\n')
    return str(config)


def launcher_env(**extra) -> dict:
    """Environment of a launcher: this interpreter, the repository importable, one thread per rank."""
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join([REPO, os.environ.get('PYTHONPATH', '')]).rstrip(os.pathsep))
    env.update({k: str(v) for k, v in extra.items()})
    return env


def records(work_dir: str) -> list:
    """The RunRecorderHook records of a run, by rank."""
    files = sorted(glob.glob(osp.join(work_dir, 'records', 'rank*.json')))
    out = []
    for path in files:
        with open(path) as f:
            out.append(json.load(f))
    return sorted(out, key=lambda r: r['rank'])


def state(path: str) -> dict:
    """Trainable (prompt) parameters and buffers of a checkpoint."""
    from ga2clip_mmaction.utils.checkpoint import safe_torch_load
    return safe_torch_load(path, map_location='cpu')['state_dict']


def prompt_keys(sd: dict) -> list:
    keys = [k for k in sd if 'prompt_learner' in k or 'vision_prompt' in k or '.prompt' in k or 'ctx' in k]
    assert keys, sorted(sd)[:20]
    return sorted(keys)


@contextlib.contextmanager
def one_thread():
    """torch on one thread, as each launched rank (OMP_NUM_THREADS=1): on a busy 2-core machine two
    OpenMP threads make a tiny step ~20x slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def single(world, tmp_path_factory):
    """The oracle: one process, batch 2b, no checkpointing (in this interpreter)."""
    from tools import train
    work_dir = str(tmp_path_factory.mktemp('single'))
    with one_thread():
        train.main([world, '--work-dir', work_dir, '--cfg-options', f'train_dataloader.batch_size={2 * BATCH}'])
    return work_dir


@pytest.fixture(scope='module')
def two_ranks(world, tmp_path_factory):
    """``tools/dist_train.sh CFG 2``: batch b per rank, gradient checkpointing on."""
    work_dir = str(tmp_path_factory.mktemp('two_ranks'))
    run_commands([['bash', osp.join(REPO, 'tools', 'dist_train.sh'), world, '2', '--work-dir', work_dir,
                   '--cfg-options', *CKPT_FLAGS]], env=launcher_env(), cwd=REPO,
                 names=['dist_train.sh'])
    return work_dir


def test_two_ranks_match_one_process_with_twice_the_batch(single, two_ranks):
    ref, (r0, r1) = records(single), records(two_ranks)
    assert len(ref) == 1 and (r0['world_size'], r1['world_size']) == (2, 2)
    assert len(r0['losses']) == len(ref[0]['losses']) == ITERS_PER_EPOCH * EPOCHS
    for one, a, b in zip(ref[0]['losses'], r0['losses'], r1['losses']):
        # each rank logs the mean over its own b samples; their mean is the mean over the 2b samples
        assert (a['loss_cls'] + b['loss_cls']) / 2 == pytest.approx(one['loss_cls'], abs=ATOL)
    want, got = state(osp.join(single, 'epoch_2.pth')), state(osp.join(two_ranks, 'epoch_2.pth'))
    start = state(osp.join(single, 'epoch_1.pth'))
    for key in prompt_keys(want):
        torch.testing.assert_close(got[key], want[key], atol=ATOL, rtol=0)
    moved = max(float((want[k] - start[k]).abs().max()) for k in prompt_keys(want))
    assert moved > 100 * ATOL  # the prompts trained: equal parameters are not equal initialisations


def test_ranks_draw_disjoint_main_samples_and_different_anchors(single, two_ranks):
    (ref, ), ranks = records(single), records(two_ranks)
    num_main = ref['num_main']
    for epoch in map(str, range(EPOCHS)):
        main = [[i for batch in r['batches'][epoch] for i in batch[:BATCH]] for r in ranks]
        anchors = [[tuple(batch[BATCH:]) for batch in r['batches'][epoch]] for r in ranks]
        assert not set(main[0]) & set(main[1])
        assert sorted(main[0] + main[1]) == list(range(num_main))
        # the same samples per iteration as the one-process batch of 2b
        one = [sorted(batch[:2 * BATCH]) for batch in ref['batches'][epoch]]
        assert [sorted(a + b) for a, b in zip(*[[bt[:BATCH] for bt in r['batches'][epoch]] for r in ranks])] \
            == one
        assert all(i >= num_main for a in anchors for batch in a for i in batch)
        assert anchors[0] != anchors[1]


def test_class_prompts_are_sharded_across_the_ranks(single, two_ranks):
    calls = [r['text_classes'] for r in records(two_ranks)]
    # 4 base classes on 2 ranks: each rank encodes its 2 class prompts per step, never all 4
    assert calls == [[[0, 1]] * ITERS_PER_EPOCH * EPOCHS, [[2, 3]] * ITERS_PER_EPOCH * EPOCHS]
    assert records(single)[0]['text_classes'] == [[0, 1, 2, 3]] * ITERS_PER_EPOCH * EPOCHS


def test_one_checkpoint_per_epoch_written_by_rank_zero(two_ranks):
    assert sorted(osp.basename(p) for p in glob.glob(osp.join(two_ranks, '*.pth'))) == \
        [f'epoch_{e}.pth' for e in range(1, EPOCHS + 1)]
    with open(osp.join(two_ranks, 'last_checkpoint')) as f:
        assert f.read().strip() == osp.join(two_ranks, f'epoch_{EPOCHS}.pth')
    logs = glob.glob(osp.join(two_ranks, '*', '*.log'))
    saved = [line for log in logs for line in open(log) if 'Saving checkpoint at' in line]
    assert len(saved) == EPOCHS  # one log file (rank 0's), one save per epoch


def _dump(path: str):
    with open(path, 'rb') as f:
        preds = pickle.load(f)  # written by tools/test.py in this test
    return np.stack([p['pred_score'].numpy() for p in preds]), np.array([int(p['gt_label']) for p in preds])


def test_dist_test_gives_exactly_the_single_process_metrics(world, two_ranks, tmp_path):
    from tools import test as test_tool
    ckpt = osp.join(two_ranks, f'epoch_{EPOCHS}.pth')
    one_dir, dist_dir = tmp_path / 'one', tmp_path / 'dist'
    with one_thread():
        one = test_tool.main([world, ckpt, '--work-dir', str(one_dir), '--dump', str(one_dir / 'preds.pkl')])
    run_commands([['bash', osp.join(REPO, 'tools', 'dist_test.sh'), world, ckpt, '2', '--work-dir',
                   str(dist_dir), '--dump', str(dist_dir / 'preds.pkl')]],
                 env=launcher_env(), cwd=REPO, names=['dist_test.sh'])
    (scalars, ) = glob.glob(str(dist_dir / '*' / '*.json'))
    with open(scalars) as f:
        got = json.loads(f.read().strip().splitlines()[-1])
    assert {k: got[k] for k in one} == one  # exactly: the same predictions, every sample counted once
    scores_one, labels_one = _dump(str(one_dir / 'preds.pkl'))
    scores, labels = _dump(str(dist_dir / 'preds.pkl'))
    assert len(labels) == NUM_TEST and (labels == labels_one).all()
    np.testing.assert_allclose(scores, scores_one, atol=1e-6, rtol=0)


def _two_nodes(world: str, work_dir: str, *args: str) -> None:
    """Two torchrun launchers (``NNODES=2``, node ranks 0 and 1, one process each) on 127.0.0.1."""
    cmd = ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), world, '1', '--work-dir', work_dir, *args]
    with_free_port(lambda port: run_commands([['env', f'NODE_RANK={node}', *cmd] for node in (0, 1)],
                                             env=launcher_env(NNODES=2, MASTER_ADDR='127.0.0.1', PORT=port),
                                             cwd=REPO, names=['node 0', 'node 1']))


def test_two_nodes_train_checkpoint_and_resume_to_the_single_node_result(world, two_ranks, tmp_path):
    first, resumed = str(tmp_path / 'epoch1'), str(tmp_path / 'resumed')
    _two_nodes(world, first, '--cfg-options', 'train_cfg.max_epochs=1', *CKPT_FLAGS)
    assert sorted(osp.basename(p) for p in glob.glob(osp.join(first, '*.pth'))) == ['epoch_1.pth']
    _two_nodes(world, resumed, '--resume', osp.join(first, 'epoch_1.pth'), '--cfg-options', *CKPT_FLAGS)
    ref = records(two_ranks)
    for part, epochs in ((records(first), 1), (records(resumed), 2)):
        assert [r['world_size'] for r in part] == [2, 2]
        for r, want in zip(part, ref):  # same draws and losses as the single-node ranks
            assert r['batches'] == {e: want['batches'][e] for e in r['batches']} and len(r['batches']) == 1
            for got_loss in r['losses']:
                (ref_loss, ) = [x for x in want['losses'] if x['iter'] == got_loss['iter']]
                assert got_loss['loss_cls'] == pytest.approx(ref_loss['loss_cls'], abs=ATOL)
    assert [x['iter'] for x in records(resumed)[0]['losses']] == list(range(ITERS_PER_EPOCH, 2 * ITERS_PER_EPOCH))
    want, got = state(osp.join(two_ranks, 'epoch_2.pth')), state(osp.join(resumed, 'epoch_2.pth'))
    for key in prompt_keys(want):
        torch.testing.assert_close(got[key], want[key], atol=ATOL, rtol=0)


FAKE_SRUN = r'''#!{python}
"""Stand-in for Slurm's srun: start --ntasks copies of the command with the variables srun sets."""
import json, os, subprocess, sys
args = sys.argv[1:]
opts = {{}}
while args and args[0].startswith('-'):
    key, _, value = args.pop(0).partition('=')
    if not value and key in ('-p', '--partition'):
        value = args.pop(0)
    opts[key] = value
with open(os.environ['FAKE_SRUN_LOG'], 'w') as f:
    json.dump(dict(opts=opts, command=args), f)
ntasks, per_node = int(opts['--ntasks']), int(opts['--ntasks-per-node'])
procs = [subprocess.Popen(args, env=dict(os.environ, SLURM_PROCID=str(i), SLURM_NTASKS=str(ntasks),
                                         SLURM_LOCALID=str(i % per_node), SLURM_NODELIST='localhost',
                                         SLURM_JOB_NAME=opts['--job-name']))
         for i in range(ntasks)]
sys.exit(max(abs(p.wait()) for p in procs))
'''


@pytest.fixture(scope='module')
def three_ranks_slurm(world, tmp_path_factory):
    """``tools/slurm_train.sh`` with GPUS=3 (one epoch) through a stand-in ``srun``."""
    tmp = tmp_path_factory.mktemp('slurm')
    srun = tmp / 'bin' / 'srun'
    srun.parent.mkdir()
    srun.write_text(FAKE_SRUN.format(python=sys.executable))
    srun.chmod(srun.stat().st_mode | stat.S_IEXEC)
    work_dir = str(tmp / 'work')

    def launch(port: int) -> None:
        env = launcher_env(GPUS=3, GPUS_PER_NODE=3, CPUS_PER_TASK=1, SRUN_ARGS='--quotatype=auto --exclusive',
                           MASTER_ADDR='127.0.0.1', MASTER_PORT=port, FAKE_SRUN_LOG=str(tmp / 'srun.json'))
        env['PATH'] = os.pathsep.join([str(srun.parent), env['PATH']])
        run_commands([['bash', osp.join(REPO, 'tools', 'slurm_train.sh'), 'cpu_part', 'ga2_tiny', world,
                       '--work-dir', work_dir, '--cfg-options', 'train_cfg.max_epochs=1']],
                     env=env, cwd=REPO, names=['slurm_train.sh'])

    with_free_port(launch)
    with open(tmp / 'srun.json') as f:
        return work_dir, json.load(f)


def test_slurm_script_passes_the_mmaction2_variables_to_srun(three_ranks_slurm):
    _, srun = three_ranks_slurm
    assert srun['opts'] == {'-p': 'cpu_part', '--job-name': 'ga2_tiny', '--gres': 'gpu:3', '--ntasks': '3',
                            '--ntasks-per-node': '3', '--cpus-per-task': '1', '--kill-on-bad-exit': '1',
                            '--signal': 'USR1@90', '--quotatype': 'auto', '--exclusive': ''}
    command = srun['command']
    assert command[command.index('-u') + 1].endswith(osp.join('tools', 'train.py'))
    assert command[-2:] == ['--launcher', 'slurm'] and '--work-dir' in command


def test_hard_prompt_stays_bit_identical_under_three_ranks(world, three_ranks_slurm):
    work_dir, _ = three_ranks_slurm
    ranks = records(work_dir)
    assert [r['world_size'] for r in ranks] == [3, 3, 3]
    hard = torch.load(osp.join(osp.dirname(world), 'hard_prompt.pt'))['hard_prompt']
    # the test can fail: averaging three equal floats (what SyncBuffersHook does) is not exact for this prompt
    assert ((hard + hard + hard) / 3 != hard).any()
    digests = {r['hard_prompt_sha256_before'] for r in ranks} | {r['hard_prompt_sha256_after'] for r in ranks}
    assert len(digests) == 1
    saved = state(osp.join(work_dir, 'epoch_1.pth'))
    (key, ) = [k for k in saved if k.endswith('hard_prompt')]
    assert torch.equal(saved[key], hard)
    # 4 class prompts on 3 ranks: 2 + 1 + 1 per step (uneven shards, padded for the all-gather)
    assert [r['text_classes'] for r in ranks] == [[[0, 1]] * 2, [[2]] * 2, [[3]] * 2]


#: Imported by every Python process of the launch (``PYTHONPATH``): rank 1 kills itself with SIGKILL before
#: iteration ``KILL_RANK_AT_ITER``, as a crashed node would; torchrun then ends rank 0 and fails.
_KILLING_SITECUSTOMIZE = '''
import os, signal
if os.environ.get('KILL_RANK_AT_ITER') and os.environ.get('RANK') == '1':
    from mmengine.runner import EpochBasedTrainLoop
    _at, _run_iter = int(os.environ['KILL_RANK_AT_ITER']), EpochBasedTrainLoop.run_iter
    def _killing_run_iter(self, *args, **kwargs):
        if self.runner.iter == _at:
            os.kill(os.getpid(), signal.SIGKILL)
        return _run_iter(self, *args, **kwargs)
    EpochBasedTrainLoop.run_iter = _killing_run_iter
'''


def test_a_rank_killed_then_resume_through_dist_train_is_bit_identical(world, two_ranks, tmp_path):
    """kill -9 of rank 1 in epoch 2, then ``dist_train.sh ... --resume``: the prompts equal the uninterrupted
    2-rank run's bit for bit (each rank's draws and dropout masks are functions of seed, rank and position)."""
    import subprocess
    site = tmp_path / 'site'
    site.mkdir()
    (site / 'sitecustomize.py').write_text(_KILLING_SITECUSTOMIZE)
    work_dir = str(tmp_path / 'killed')
    cmd = ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), world, '2', '--work-dir', work_dir,
           '--cfg-options', *CKPT_FLAGS]
    env = launcher_env(KILL_RANK_AT_ITER=ITERS_PER_EPOCH + 1)
    env['PYTHONPATH'] = os.pathsep.join([str(site), env['PYTHONPATH']])
    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0, proc.stdout[-2000:]
    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth')) and not osp.exists(osp.join(work_dir, 'epoch_2.pth'))
    run_commands([cmd + ['--resume']], env=launcher_env(), cwd=REPO, names=['dist_train.sh'])
    got, want = state(osp.join(work_dir, 'epoch_2.pth')), state(osp.join(two_ranks, 'epoch_2.pth'))
    for key in prompt_keys(want):
        assert torch.equal(got[key], want[key]), key
