"""The data path of ``tools/benchmark.py --data-videos``: clips/s per worker by source and backend, through
``tools/benchmark_data.py``'s interleaved run (the released 32-frame pipelines)."""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence


def prepared_forms(items: Optional[Sequence[str]]) -> Dict[str, str]:
    """Prepared forms from ``--prepared-videos``: ``NAME=DIR``, a folder, or prepared files (grouped by folder).

    A form is named after its folder unless ``NAME=`` is given; a prepared copy of ``V`` is ``DIR/<stem of V>.mp4``
    (what ``tools/data/prepare_videos.py`` writes).

    Args:
        items (Sequence[str], optional): The command-line values.

    Returns:
        dict[str, str]: Form name -> folder, in the given order.

    Raises:
        ValueError: Two different folders would get the same name.
    """
    forms: Dict[str, str] = OrderedDict()
    for item in items or ():
        name, _, folder = item.rpartition('=') if '=' in item else ('', '', item)
        if not osp.isdir(folder):
            folder = osp.dirname(folder) or '.'
        folder = osp.abspath(folder)
        name = name or osp.basename(folder)
        if forms.get(name, folder) != folder:
            raise ValueError(f'--prepared-videos: two folders named {name!r} ({forms[name]}, {folder}); '
                             'name them with NAME=DIR')
        forms[name] = folder
    return forms


def data_path(videos: List[str], prepared: Dict[str, str], rounds: int, target: float) -> Dict[str, object]:
    """Benchmark the data path; the figures of ``tools/benchmark.py --data-videos``.

    One worker is one process on one core (decoder threads 1), so clips/s per worker is clips over the CPU seconds
    of the process (``benchmark_data``'s clips/s per core).

    Args:
        videos (list[str]): Original videos.
        prepared (dict[str, str]): Form name -> folder of prepared copies.
        rounds (int): Interleaved rounds.
        target (float): Clips/s one GPU consumes.

    Returns:
        dict: ``data_rows`` (source, backend, pipeline, clips, clips_per_s_per_worker),
        ``clips_per_s_per_worker`` (``source/backend/pipeline`` -> clips/s), ``train_pipeline_clips_per_s_per_worker``
        and ``test_pipeline_clips_per_s_per_worker`` (original videos, decord: MMAction2's default),
        ``prepared_over_original_clips_per_s`` (train pipeline, ``form/backend`` -> prepared over original, same
        backend), ``best`` (the fastest train path), ``target_clips_per_s`` and ``workers_per_gpu``.
    """
    from . import data_loading as benchmark_data
    result = benchmark_data.run(videos=list(videos), prepared=dict(prepared), rounds=rounds, target=target)
    rows = [dict(source=r['source'], backend=r['backend'], pipeline=r['pipeline'], clips=r['clips'],
                 clips_per_s_per_worker=r['clips_per_s_per_core']) for r in result['rows']]
    rate = {f"{r['source']}/{r['backend']}/{r['pipeline']}": r['clips_per_s_per_worker'] for r in rows}
    train = [r for r in rows if r['pipeline'] == 'train']
    best = max(train, key=lambda r: r['clips_per_s_per_worker'])
    out: Dict[str, object] = dict(data_videos=len(videos), data_rounds=rounds, data_rows=rows,
                                  clips_per_s_per_worker=rate)
    for pipe in ('train', 'test'):
        if f'original/decord/{pipe}' in rate:
            out[f'{pipe}_pipeline_clips_per_s_per_worker'] = rate[f'original/decord/{pipe}']
    out['prepared_over_original_clips_per_s'] = {
        f'{form}/{b}': rate[f'{form}/{b}/train'] / rate[f'original/{b}/train']
        for form in prepared for b in sorted({r['backend'] for r in train})}
    out['disk_bytes'] = result['disk_bytes']
    out['best'] = f"{best['source']}/{best['backend']}"
    out['target_clips_per_s'] = target
    out['workers_per_gpu'] = target / best['clips_per_s_per_worker']
    return out


def print_data_path(out: Dict[str, object]) -> None:
    """The table of :func:`data_path`'s figures."""
    print(f"{'source':<14}{'backend':<15}{'pipeline':<9}{'clips':>6}{'clips/s per worker':>20}")
    for r in sorted(out['data_rows'], key=lambda r: (r['pipeline'], r['source'], r['backend'])):
        print(f"{r['source']:<14}{r['backend']:<15}{r['pipeline']:<9}{r['clips']:>6}"
              f"{r['clips_per_s_per_worker']:>20.2f}")
    for key, ratio in out['prepared_over_original_clips_per_s'].items():
        print(f'prepared_over_original_clips_per_s {key:28s} {ratio:.3f}')
    print(f"workers_per_gpu {out['workers_per_gpu']:.1f} at {out['target_clips_per_s']:g} clips/s "
          f"(best train path: {out['best']})")
