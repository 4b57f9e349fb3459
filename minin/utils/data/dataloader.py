"""``DataLoader``: batches of a map-style data set, as ``torch.utils.data.DataLoader``."""

import math
import numbers

import numpy as np

from .collate import default_collate, default_convert
from .dataset import _randperm, batch_of


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"DataLoader: {name} must be a positive int, got {value!r}")
    return int(value)


class DataLoader:
    """Batches of a map-style data set, as ``torch.utils.data.DataLoader``.

    Each batch is ``collate_fn([dataset[i] for i in indices])``, with ``default_collate``
    when no ``collate_fn`` is given. Without a ``collate_fn``, a data set that can gather a
    whole batch at once (minin's array data sets, ``TensorDataset``, a vision data set
    whose transforms all work on batches, or a ``Subset`` of one) is asked for it with one
    fancy index instead of B ``__getitem__`` calls; the batch holds the same values.
    ``len(loader)`` is the number of batches per epoch.

    Args:
        dataset: a map-style data set (``__getitem__``, ``__len__``).
        batch_size: samples per batch (default 1); None gives the samples one at a time,
            unbatched, each through ``collate_fn`` (default ``default_convert``), as PyTorch.
        shuffle: a new random order every epoch (default None: no), from ``generator``
            if given, else from minin's NumPy generator (``minin.manual_seed`` fixes it).
        sampler: an iterable of indices, in place of ``shuffle`` (default None).
        batch_sampler: an iterable of lists of indices, in place of ``batch_size``,
            ``shuffle``, ``sampler`` and ``drop_last`` (default None).
        num_workers: accepted as in PyTorch (default 0); samples are loaded in the main
            process (the array path is one gather per batch, which worker processes would
            only slow down with copies).
        collate_fn: merges a list of samples into a batch (default None:
            ``default_collate``).
        drop_last: drop the last batch if it is smaller than ``batch_size`` (default False).
        generator: a ``numpy.random.Generator`` for the shuffled order (default None).
        pin_memory, timeout, worker_init_fn, multiprocessing_context, prefetch_factor,
            persistent_workers, pin_memory_device, in_order: accepted for PyTorch
            programs and ignored; they concern worker processes and pinned host memory,
            which this loader does not use.

    Shape:
        With ``default_collate``, B samples ``(x, y)`` with x of shape S give a batch
        ``[x (B, *S), y (B,)]``; an ``ArrayDataset`` of ``minin.data`` gives images
        (B, C, H, W) uint8 (no transform here) and labels (B,) int64.

    Example::

        >>> from minin.utils.data import DataLoader, TensorDataset
        >>> ds = TensorDataset(mn.zeros(10, 1, 8, 8), mn.tensor(np.arange(10)))
        >>> loader = DataLoader(ds, batch_size=4, shuffle=True, generator=np.random.default_rng(0))
        >>> len(loader)
        3
        >>> for x, y in loader:
        ...     print(x.shape, x.dtype, y.dtype, y.tolist())
        (4, 1, 8, 8) float32 int64 [4, 6, 2, 7]
        (4, 1, 8, 8) float32 int64 [3, 5, 9, 0]
        (2, 1, 8, 8) float32 int64 [8, 1]
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True):
        if not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
            raise TypeError(f"DataLoader needs a map-style data set (with __getitem__ and "
                            f"__len__), got {type(dataset).__name__}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral) \
                or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be a non-negative int, "
                             f"got {num_workers!r}")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler excludes batch_size, shuffle, "
                                 "sampler and drop_last")
            batch_size = None
        elif batch_size is None:
            if drop_last:
                raise ValueError("DataLoader: batch_size=None gives samples one at a time, so "
                                 "drop_last=True has no batch to drop")
        else:
            batch_size = _positive_int("batch_size", batch_size)
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler excludes shuffle (the sampler gives the order)")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {collate_fn!r}")
        if generator is not None and not isinstance(generator, np.random.Generator):
            raise TypeError(f"DataLoader: generator must be a numpy.random.Generator or None, "
                            f"got {type(generator).__name__}")
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.num_workers, self.collate_fn = int(num_workers), collate_fn
        self.generator = generator
        self.pin_memory, self.timeout = pin_memory, timeout
        self._batching = batch_size is not None or batch_sampler is not None

    def __len__(self):
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        if not self._batching:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self):
        if self.sampler is not None:
            return list(self.sampler)
        n = len(self.dataset)
        return _randperm(n, self.generator) if self.shuffle else np.arange(n)

    def _index_batches(self):
        if self.batch_sampler is not None:
            yield from self.batch_sampler
            return
        order = np.asarray(self._order(), dtype=np.int64)
        stop = len(order) - len(order) % self.batch_size if self.drop_last else len(order)
        for first in range(0, stop, self.batch_size):
            yield order[first:first + self.batch_size]

    def _fetch(self, indices):
        if self.collate_fn is None:
            batch = batch_of(self.dataset, np.asarray(indices, dtype=np.int64))
            if batch is not None:
                return batch
        samples = [self.dataset[int(i)] for i in indices]
        return (self.collate_fn or default_collate)(samples)

    def __iter__(self):
        if not self._batching:  # batch_size=None: each sample as it is, its arrays made Tensors
            for i in self._order():
                yield (self.collate_fn or default_convert)(self.dataset[int(i)])
            return
        for indices in self._index_batches():
            yield self._fetch(indices)

    def __repr__(self):
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last})")
