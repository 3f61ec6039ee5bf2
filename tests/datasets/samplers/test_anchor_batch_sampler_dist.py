"""AnchorBatchSampler under a real 2-rank process group (gloo, CPU), started by tests.helpers.dist."""
import os

from tests.helpers.dist import run_ranks


def _batches(rank: int, world_size: int, tmp_dir: str) -> list:
    """The batches of this rank for epochs 0 and 1."""
    from mmengine.dataset import DefaultSampler
    from mmaction.registry import DATA_SAMPLERS, DATASETS
    from mmaction.utils import register_all_modules

    import ga2clip_mmaction  # noqa: F401
    register_all_modules(init_default_scope=True)
    ds = DATASETS.build(dict(
        type='AnchorSetDataset',
        dataset=dict(type='VideoDataset', ann_file=os.path.join(tmp_dir, 'main.txt'), pipeline=[]),
        anchor_dataset=dict(type='VideoDataset', ann_file=os.path.join(tmp_dir, 'anchors.txt'), pipeline=[])))
    sampler = DefaultSampler(ds, shuffle=True)  # seed synchronised across ranks by MMEngine
    batch_sampler = DATA_SAMPLERS.build(dict(type='AnchorBatchSampler', num_anchors=2),
                                        default_args=dict(sampler=sampler, batch_size=3))
    epochs = []
    for epoch in range(2):
        sampler.set_epoch(epoch)
        epochs.append(list(batch_sampler))
    return epochs


def test_two_ranks_share_main_indices_and_draw_different_anchors(tmp_path):
    (tmp_path / 'main.txt').write_text(''.join(f'm{i}.mp4 0\n' for i in range(12)))
    (tmp_path / 'anchors.txt').write_text(''.join(f'a{i}.mp4 0\n' for i in range(40)))
    ranks = run_ranks(_batches, 2, str(tmp_path))  # ranks[rank][epoch] = list of batches
    for epoch in range(2):
        main = [{i for b in ranks[r][epoch] for i in b[:-2]} for r in range(2)]
        assert not main[0] & main[1] and main[0] | main[1] == set(range(12))
        anchors = [[tuple(b[-2:]) for b in ranks[r][epoch]] for r in range(2)]
        assert all(12 <= i < 52 for batch in anchors[0] + anchors[1] for i in batch)
        assert anchors[0] != anchors[1]
    assert [b[-2:] for b in ranks[0][0]] != [b[-2:] for b in ranks[0][1]]  # epochs differ
