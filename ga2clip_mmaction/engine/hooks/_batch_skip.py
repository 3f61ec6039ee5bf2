"""Leave out the batches a resumed run already trained, at the batch sampler (indices only, nothing decoded).

Used by :class:`~ga2clip_mmaction.engine.hooks.PreemptionHook` for both of MMEngine's training loops.
"""
from typing import Callable, Optional

from mmengine.dataset import InfiniteSampler
from mmengine.runner.loops import _InfiniteDataloaderIterator

from ...datasets.samplers.seeded_batch_sampler import SeededBatchSampler


class SkipBatches:
    """Fallback for batch samplers without ``start_batch`` (a stock torch ``BatchSampler``): leaves out the first
    ``skip`` batches of the wrapped one (indices only, nothing is loaded); everything else (``set_epoch``,
    ``sampler``, ...) is the wrapped sampler's. :class:`SeededBatchSampler` and its subclasses skip by themselves.

    Once swapped into a DataLoader it stays there: the skip is set back to 0 after the resumed pass instead of
    swapping the original back, since a DataLoader with ``persistent_workers=True`` keeps the batch sampler its
    iterator was created with (swapping back would leave every later epoch skipping).

    Args:
        batch_sampler: The wrapped batch sampler.
        skip (int): Batches of the next pass left out at its start.
    """

    def __init__(self, batch_sampler, skip: int) -> None:
        self.batch_sampler = batch_sampler
        self.skip = skip

    def __iter__(self):
        batches = iter(self.batch_sampler)
        for _ in range(self.skip):  # read when the pass starts: a later change applies to the next pass
            next(batches, None)
        yield from batches

    def __len__(self) -> int:
        return max(len(self.batch_sampler) - self.skip, 0)

    def __getattr__(self, name):
        return getattr(self.__dict__['batch_sampler'], name)


def set_skip(loader, skip: int) -> bool:
    """Let the next pass of ``loader`` leave out its first ``skip`` batches (``skip=0``: a full pass).

    Returns:
        bool: Whether a :class:`SkipBatches` was newly swapped into the DataLoader (which forbids reassigning
        ``batch_sampler``, hence ``object.__setattr__``).
    """
    batch_sampler = loader.batch_sampler
    if isinstance(batch_sampler, SeededBatchSampler):
        batch_sampler.start_batch = skip
    elif isinstance(batch_sampler, SkipBatches):
        batch_sampler.skip = skip
    elif skip:
        object.__setattr__(loader, 'batch_sampler', SkipBatches(batch_sampler, skip))
        return True
    return False


def is_endless(loader) -> bool:
    """Whether the loader's sampler never ends a pass (MMEngine's ``InfiniteSampler``)."""
    sampler = getattr(loader.batch_sampler, 'sampler', None) or getattr(loader, 'sampler', None)
    return isinstance(sampler, InfiniteSampler)


def _set_epoch(loader, epoch: int) -> None:
    """What MMEngine's ``_InfiniteDataloaderIterator`` does when it starts pass ``epoch`` of a finite sampler."""
    if hasattr(getattr(loader, 'sampler', None), 'set_epoch'):
        loader.sampler.set_epoch(epoch)
    elif hasattr(getattr(loader.batch_sampler, 'sampler', None), 'set_epoch'):
        loader.batch_sampler.sampler.set_epoch(epoch)


class FastForward:
    """The data iterator of an ``IterBasedTrainLoop`` resumed at iteration ``replay``.

    MMEngine's loop calls ``next()`` once per iteration already trained; those calls return None here, with
    nothing loaded. The first real ``next()`` starts pass ``passes`` of the loader (its sampler's epoch set as
    MMEngine's own iterator does) with the batches of that pass already trained left out at the batch sampler
    (:func:`set_skip`, set by the caller), then calls ``started`` (which sets the skip back to 0 for the passes
    after it).

    Args:
        loader (DataLoader): The training DataLoader.
        replay (int): ``next()`` calls that return None.
        passes (int): Full passes already trained (0 with an ``InfiniteSampler``).
        started (Callable): Called after the first batch is fetched.
    """

    def __init__(self, loader, replay: int, passes: int, started: Callable[[], None]) -> None:
        self.loader = loader
        self.replay = replay
        self.passes = passes
        self.started = started
        self._inner: Optional[_InfiniteDataloaderIterator] = None

    def __iter__(self):
        return self

    def __next__(self):
        if self.replay:
            self.replay -= 1
            return None
        if self._inner is None:
            if self.passes:
                _set_epoch(self.loader, self.passes)
            self._inner = _InfiniteDataloaderIterator(self.loader)
            self._inner._epoch = self.passes
            batch = next(self._inner)
            self.started()
            return batch
        return next(self._inner)
