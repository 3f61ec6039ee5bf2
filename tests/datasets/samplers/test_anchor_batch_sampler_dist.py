"""AnchorBatchSampler under a real 2-rank process group (gloo, CPU)."""
import os

import torch.distributed as dist
import torch.multiprocessing as mp


def _worker(rank, world_size, init_file, tmp_dir, out):
    dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=rank, world_size=world_size)
    try:
        from mmengine.dataset import DefaultSampler
        from mmaction.registry import DATA_SAMPLERS, DATASETS
        from mmaction.utils import register_all_modules

        import ga2clip_mmaction  # noqa: F401
        register_all_modules(init_default_scope=True)
        ds = DATASETS.build(dict(
            type='AnchorSetDataset',
            dataset=dict(type='VideoDataset', ann_file=os.path.join(tmp_dir, 'main.txt'), pipeline=[]),
            anchor_dataset=dict(type='VideoDataset', ann_file=os.path.join(tmp_dir, 'anchors.txt'),
                                pipeline=[])))
        sampler = DefaultSampler(ds, shuffle=True)  # seed synchronised across ranks by MMEngine
        batch_sampler = DATA_SAMPLERS.build(dict(type='AnchorBatchSampler', num_anchors=2),
                                            default_args=dict(sampler=sampler, batch_size=3))
        epochs = []
        for epoch in range(2):
            sampler.set_epoch(epoch)
            epochs.append(list(batch_sampler))
        gathered = [None] * world_size
        dist.all_gather_object(gathered, epochs)
        if rank == 0:
            out.put(gathered)
    finally:
        dist.destroy_process_group()


def test_two_ranks_share_main_indices_and_draw_different_anchors(tmp_path):
    (tmp_path / 'main.txt').write_text(''.join(f'm{i}.mp4 0\n' for i in range(12)))
    (tmp_path / 'anchors.txt').write_text(''.join(f'a{i}.mp4 0\n' for i in range(40)))
    ctx = mp.get_context('spawn')
    out = ctx.SimpleQueue()
    mp.start_processes(_worker, args=(2, str(tmp_path / 'init'), str(tmp_path), out), nprocs=2,
                       join=True, start_method='spawn')
    ranks = out.get()  # ranks[rank][epoch] = list of batches
    for epoch in range(2):
        main = [{i for b in ranks[r][epoch] for i in b[:-2]} for r in range(2)]
        assert not main[0] & main[1] and main[0] | main[1] == set(range(12))
        anchors = [[tuple(b[-2:]) for b in ranks[r][epoch]] for r in range(2)]
        assert all(12 <= i < 52 for batch in anchors[0] + anchors[1] for i in batch)
        assert anchors[0] != anchors[1]
    assert [b[-2:] for b in ranks[0][0]] != [b[-2:] for b in ranks[0][1]]  # epochs differ
