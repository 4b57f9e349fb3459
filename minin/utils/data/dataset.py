"""Map-style data sets: ``Dataset``, ``TensorDataset``, ``Subset`` and ``random_split``.

A data set may also offer ``get_batch(indices)``: the samples ``indices`` already
collated, gathered with one fancy index. The DataLoader calls it instead of one
``__getitem__`` per sample when it gives a batch (it may return None to decline).
"""

import bisect
import collections.abc
import math
import numbers
import warnings

import numpy as np

from ... import backend
from ...data.datasets import ArrayDataset
from ...data.loader import take_batch
from ...tensor import Tensor


def _randperm(n, generator=None):
    """A random order of range(n): from ``generator`` (a NumPy Generator) if given, else
    from minin's NumPy generator, so that ``minin.manual_seed`` fixes it."""
    return (generator if generator is not None else backend.generator("numpy")).permutation(n)


def batch_of(dataset, indices):
    """The samples ``indices`` of ``dataset`` gathered as one batch, or None if it can't do that.

    The DataLoader's fast path: an ``ArrayDataset`` of ``minin.data`` gives its rows with
    one fancy index each (``take_batch``, no transform); another data set is asked with its
    ``get_batch(indices)``, if it has one.

    Args:
        dataset: any map-style data set.
        indices: the B samples to take, an int64 array.

    Shape:
        For an ``ArrayDataset``: images (B, C, H, W) uint8 and labels (B,) int64.

    Returns:
        The collated batch (a list of Tensors for an ``ArrayDataset``), or None.

    Example::

        >>> from minin.data import ArrayDataset
        >>> ds = ArrayDataset(np.zeros((10, 1, 28, 28), np.uint8), np.arange(10))
        >>> x, y = batch_of(ds, np.array([3, 1]))
        >>> x.shape, x.dtype, y.tolist()
        ((2, 1, 28, 28), dtype('uint8'), [3, 1])
        >>> batch_of(["a", "b"], np.array([0])) is None      # a list has no get_batch
        True
    """
    if isinstance(dataset, ArrayDataset):   # minin.data's arrays: the trainer's fast path
        return list(take_batch(dataset.images, dataset.labels, indices, lambda x: x,
                               backend.current()))
    get_batch = getattr(dataset, "get_batch", None)
    return get_batch(indices) if get_batch is not None else None


class Dataset:
    """The base of map-style data sets, as ``torch.utils.data.Dataset``.

    Subclasses define ``__getitem__(index)`` → one sample and ``__len__()`` → the number
    of samples. They may also define ``get_batch(indices)`` → the samples already
    collated (or None to decline), which the DataLoader then calls once per batch.

    Example::

        >>> from minin.utils.data import DataLoader, Dataset
        >>> class Squares(Dataset):
        ...     def __getitem__(self, i):
        ...         return np.float32(i * i), i
        ...     def __len__(self):
        ...         return 5
        >>> [(x.tolist(), y.tolist()) for x, y in DataLoader(Squares(), batch_size=3)]
        [([0.0, 1.0, 4.0], [0, 1, 2]), ([9.0, 16.0], [3, 4])]
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index)")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__()")

    def __add__(self, other):
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """A data set whose samples are the rows of Tensors, as ``torch.utils.data.TensorDataset``.

    Arrays are turned into Tensors; a batch is gathered with one fancy index per tensor.

    Args:
        *tensors: Tensors or arrays of shapes (N, ...), all with the same N.

    Shape:
        ``dataset[i]`` is ``tuple(t[i] for t in tensors)``; e.g. images (N, C, H, W) and
        labels (N,) give samples ((C, H, W), ()).

    Example::

        >>> from minin.utils.data import TensorDataset
        >>> ds = TensorDataset(mn.zeros(5, 3), mn.tensor([0, 1, 0, 1, 1], dtype=np.int64))
        >>> len(ds), ds[1][0].shape, int(ds[1][1].item())
        (5, (3,), 1)
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(_array(t)) for t in tensors)
        sizes = [t.shape[0] if t.ndim else None for t in self.tensors]
        if None in sizes or len(set(sizes)) > 1:
            raise ValueError(f"TensorDataset: every tensor must have the same first dimension, "
                             f"got shapes {[tuple(t.shape) for t in self.tensors]}")

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]

    def get_batch(self, indices):
        """The rows ``indices`` of every tensor, one fancy index each.

        Args:
            indices: the B samples to take, an int array.

        Returns:
            A list of Tensors of shapes (B, ...), one per tensor.

        Example::

            >>> ds = TensorDataset(mn.zeros(10, 2), mn.tensor(np.arange(10)))
            >>> x, y = ds.get_batch(np.array([3, 1]))
            >>> x.shape, y.tolist()
            ((2, 2), [3, 1])
        """
        return [Tensor(t.data[backend.to_backend(indices, t.backend)]) for t in self.tensors]


def _array(data):
    array = np.asarray(data)
    if array.dtype == object:
        raise TypeError(f"TensorDataset takes Tensors or arrays, got {type(data).__name__}")
    return array


class Subset(Dataset):
    """The samples ``indices`` of a data set, without copying them, as ``torch.utils.data.Subset``.

    Args:
        dataset: any map-style data set.
        indices: a 1-D sequence of ints.

    Shape:
        ``subset[i]`` is ``dataset[indices[i]]``; a list of positions goes to the data set
        as one list, as in PyTorch (``dataset[[indices[i] for i in positions]]``), an array
        of positions gives a list of samples; ``len(subset)`` is ``len(indices)``.

    Example::

        >>> from minin.utils.data import Subset, TensorDataset
        >>> ds = TensorDataset(mn.tensor(np.arange(10) * 10))
        >>> part = Subset(ds, [9, 0, 4])
        >>> len(part), part[0][0].item(), part[[1, 2]][0].tolist()
        (3, 90, [0, 40])
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = _index_array(indices)
        if self.indices.ndim != 1:
            raise ValueError(f"Subset: indices must be a 1-D sequence of ints, got shape "
                             f"{self.indices.shape}")
        n = len(dataset) if hasattr(dataset, "__len__") else None
        if n is not None and len(self.indices) and (
                self.indices.min() < -n or self.indices.max() >= n):
            raise IndexError(f"Subset: indices must lie in [-{n}, {n}) for a data set of {n} "
                             f"samples, got values from {self.indices.min()} to "
                             f"{self.indices.max()}")

    def __getitem__(self, index):
        if isinstance(index, list):  # as PyTorch: the underlying data set gets the list
            return self.dataset[[int(i) for i in self.indices[index]]]
        if isinstance(index, np.ndarray):
            return [self.dataset[int(i)] for i in self.indices[index]]
        return self.dataset[int(self.indices[index])]

    def __len__(self):
        return len(self.indices)

    def get_batch(self, indices):
        """The samples ``indices`` of the subset collated in one go, or None (``batch_of``).

        Args:
            indices: B positions in the subset, an int array.

        Returns:
            The batch the underlying data set gathers, or None if it can't.

        Example::

            >>> ds = TensorDataset(mn.tensor(np.arange(10) * 10))
            >>> Subset(ds, [9, 0, 4]).get_batch([2, 0])[0].tolist()
            [40, 90]
        """
        return batch_of(self.dataset, self.indices[np.asarray(indices)])


class ConcatDataset(Dataset):
    """Data sets one after the other, as ``torch.utils.data.ConcatDataset`` (``a + b`` too).

    Args:
        datasets: a non-empty list of map-style data sets.

    Shape:
        ``concat[i]`` is sample i of the first data set, then of the second, ...;
        ``len(concat)`` is the sum of their lengths; ``cumulative_sizes`` their running sums.

    Example::

        >>> from minin.utils.data import ConcatDataset
        >>> both = ConcatDataset([[10, 11, 12], [20, 21]])
        >>> len(both), both[3], both[-1], both.cumulative_sizes
        (5, 20, 21, [3, 5])
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one data set, got an empty list")
        for d in self.datasets:
            if not hasattr(d, "__getitem__") or not hasattr(d, "__len__"):
                raise TypeError(f"ConcatDataset takes map-style data sets (with __getitem__ "
                                f"and __len__), got {type(d).__name__}")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(f"ConcatDataset: an index must be an int, got {index!r}")
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"ConcatDataset: index {index} is out of range for {n} samples")
        index = int(index) % n
        part = bisect.bisect_right(self.cumulative_sizes, index)
        return self.datasets[part][index - (self.cumulative_sizes[part - 1] if part else 0)]


def _index_array(indices):
    """``indices`` as an int64 array; floats or bools would be cast to other samples silently."""
    try:
        array = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    except (TypeError, ValueError):
        array = None
    if array is None or not (np.issubdtype(array.dtype, np.integer) or array.size == 0):
        raise TypeError(f"Subset: indices must be a sequence of ints, got {indices!r:.80}"
                        + (f" (dtype {array.dtype})" if array is not None else ""))
    return array.astype(np.int64)


def _lengths_from_fractions(fractions, n):
    """PyTorch's rule: floor(n · f) each, then one more for the first ones, round robin,
    until they add up to n."""
    lengths = [math.floor(n * f) for f in fractions]
    for i in range(n - sum(lengths)):
        lengths[i % len(lengths)] += 1
    for i, length in enumerate(lengths):
        if length == 0:
            warnings.warn(f"random_split: part {i} of the split is empty", UserWarning)
    return lengths


def random_split(dataset, lengths, generator=None):
    """Split a data set into random non-overlapping ``Subset``s, as ``torch.utils.data.random_split``.

    Args:
        dataset: a map-style data set of N samples.
        lengths: ints adding up to N, or fractions adding up to 1 (then part i gets
            floor(N · f_i) samples and the remainder goes one each to the first parts,
            as in PyTorch; an empty part warns).
        generator: a ``numpy.random.Generator`` for the permutation; default None:
            minin's NumPy generator, which ``minin.manual_seed`` seeds.

    Returns:
        A list of ``Subset``s, one per length, cut in turn from one permutation.

    Example::

        >>> from minin.utils.data import TensorDataset, random_split
        >>> ds = TensorDataset(mn.zeros(10, 2), mn.tensor(np.arange(10)))
        >>> train, val = random_split(ds, [0.7, 0.3], generator=np.random.default_rng(0))
        >>> len(train), len(val), val.indices.tolist()
        (7, 3, [0, 8, 1])
    """
    if not isinstance(lengths, collections.abc.Iterable):
        raise TypeError(f"random_split: lengths must be a list of ints or fractions, "
                        f"got {lengths!r}")
    lengths = list(lengths)
    n = len(dataset)
    if not lengths or not all(isinstance(k, numbers.Real) and not isinstance(k, bool) and k >= 0
                              for k in lengths):
        raise ValueError(f"random_split: lengths must be non-negative ints or fractions, "
                         f"got {lengths!r}")
    if not all(isinstance(k, numbers.Integral) for k in lengths):
        if not (math.isclose(sum(lengths), 1) and sum(lengths) <= 1):
            raise ValueError(f"random_split: fractions must add up to 1, got {lengths!r} "
                             f"(sum {sum(lengths)})")
        lengths = _lengths_from_fractions(lengths, n)
    if sum(lengths) != n:
        raise ValueError(f"random_split: lengths {lengths} add up to {sum(lengths)}, but the "
                         f"data set has {n} samples")
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"random_split: generator must be a numpy.random.Generator or None, "
                        f"got {type(generator).__name__}")
    order = _randperm(n, generator)
    ends = np.cumsum(lengths)
    return [Subset(dataset, order[end - length:end]) for end, length in zip(ends, lengths)]
