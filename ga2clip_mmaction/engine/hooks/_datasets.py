"""Walk the datasets of a dataloader (wrappers included) for hooks."""
from typing import Iterator, Tuple


def iter_datasets(dataset) -> Iterator[Tuple[int, object]]:
    """Yield ``(stream, dataset)`` for a dataset and those it wraps (``AnchorSetDataset`` anchors: stream 1).

    Args:
        dataset: A dataset, possibly an ``AnchorSetDataset`` or a wrapper with ``dataset``/``datasets``.

    Yields:
        tuple[int, Dataset]: Stream number (0 main samples, 1 anchor clips, 2+ concatenated parts) and dataset.
    """
    if hasattr(dataset, 'anchor_dataset'):
        yield from ((s, d) for s, d in iter_datasets(dataset.dataset))
        yield from ((1, d) for _, d in iter_datasets(dataset.anchor_dataset))
        return
    if hasattr(dataset, 'datasets'):
        for i, part in enumerate(dataset.datasets):
            yield from ((2 + i, d) for _, d in iter_datasets(part))
        return
    if hasattr(dataset, 'dataset') and not hasattr(dataset, 'data_list'):
        yield from iter_datasets(dataset.dataset)
        return
    yield 0, dataset


def num_listed_videos(dataset) -> int:
    """Number of videos a training set lists (main samples plus anchor clips)."""
    if hasattr(dataset, 'num_main') and hasattr(dataset, 'num_anchors'):
        return int(dataset.num_main) + int(dataset.num_anchors)
    return len(dataset)
