"""One cache for values computed from tensors, valid while those tensors are unchanged.

The invalidation rule (the only one): an entry is reused while its key is equal and every tensor it was computed
from is the same live object with the same version counter (``Tensor._version``, which every in-place update
bumps, also under ``no_grad``: an optimizer step, ``copy_``, ``fill_``), data pointer, device and dtype. Anything
else recomputes: another tensor list, a replaced or moved tensor (``.to()``, ``.half()``, ``param.data = ...``),
an in-place update. An entry dies with any of its tensors.

Writes that bypass the version counter are not seen: ``param.data.copy_(...)`` (what MMEngine's ``EMAHook`` does
when it swaps the averaged parameters in) and ``load_state_dict``'s copies into ``.data``. Owners call
:meth:`TensorCache.clear` at those points (the head does on ``train()``/``eval()`` and after ``load_state_dict``).
"""
import weakref
from typing import Any, Callable, Dict, Hashable, Iterable, List, Optional, Tuple

import torch


def tensor_signature(tensor: torch.Tensor) -> tuple:
    """What a cached value of ``tensor`` depends on besides its identity: version, storage, device, dtype."""
    return (tensor._version, tensor.data_ptr(), tensor.device, tensor.dtype)


class _Entry:
    """A cached value with weak references to its tensors and their signatures."""

    __slots__ = ('refs', 'signatures', 'value', '__weakref__')

    def __init__(self, refs: Tuple[weakref.ref, ...], signatures: Tuple[tuple, ...], value: Any) -> None:
        self.refs, self.signatures, self.value = refs, signatures, value

    def matches(self, tensors: Tuple[torch.Tensor, ...]) -> bool:
        """Whether ``tensors`` are the same objects, unchanged (the rule of the module docstring)."""
        return len(tensors) == len(self.refs) and all(r() is t for r, t in zip(self.refs, tensors)) and \
            self.signatures == tuple(tensor_signature(t) for t in tensors)


class TensorCache:
    """Values keyed by a hashable key and computed from tensors (see the module docstring for the rule).

    The cache holds no strong reference to the tensors: an entry is dropped when one of them is garbage
    collected. A deep copy (e.g. MMEngine's ``EMAHook`` copying the model) or a pickle starts empty.

    Args:
        max_entries (int, optional): Most entries kept; the oldest stored is dropped first. None: no limit
            (entries still die with their tensors). Defaults to 1.
    """

    def __init__(self, max_entries: Optional[int] = 1) -> None:
        if max_entries is not None and max_entries < 1:
            raise ValueError(f'TensorCache.max_entries must be >= 1 or None, got {max_entries!r}')
        self.max_entries = max_entries
        self._entries: Dict[Hashable, _Entry] = {}

    def get(self, key: Hashable, tensors: Iterable[torch.Tensor], compute: Callable[[], Any]) -> Any:
        """The cached value of ``key`` if it is still valid for ``tensors``, else ``compute()`` (then stored).

        Args:
            key (Hashable): Everything the value depends on besides the tensors (names, mode, autocast state).
            tensors (Iterable[Tensor]): The tensors the value is computed from, in a fixed order.
            compute (Callable[[], Any]): Computes the value.

        Returns:
            Any: The value.
        """
        tensors = tuple(tensors)
        entry = self._entries.get(key)
        if entry is not None and entry.matches(tensors):
            return entry.value
        value = compute()
        self._store(key, tensors, value)
        return value

    def _store(self, key: Hashable, tensors: Tuple[torch.Tensor, ...], value: Any) -> None:
        self._entries.pop(key, None)
        cache = weakref.ref(self)
        entry = _Entry((), tuple(tensor_signature(t) for t in tensors), value)
        token = weakref.ref(entry)

        def drop(_: weakref.ref) -> None:  # a tensor died: its entry goes (unless already replaced)
            owner, mine = cache(), token()
            if owner is not None and mine is not None and owner._entries.get(key) is mine:
                del owner._entries[key]

        entry.refs = tuple(weakref.ref(t, drop) for t in tensors)
        self._entries[key] = entry
        while self.max_entries is not None and len(self._entries) > self.max_entries:
            del self._entries[next(iter(self._entries))]

    def clear(self) -> None:
        """Drop every entry (for writes the version counters do not see, see the module docstring)."""
        self._entries.clear()

    def values(self) -> List[Any]:
        """The stored values, oldest first (valid or not: validity is checked by :meth:`get`)."""
        return [e.value for e in self._entries.values()]

    def __len__(self) -> int:
        return len(self._entries)

    def __deepcopy__(self, memo: dict) -> 'TensorCache':
        return TensorCache(self.max_entries)

    def __reduce__(self) -> tuple:
        return TensorCache, (self.max_entries, )
