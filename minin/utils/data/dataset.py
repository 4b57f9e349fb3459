"""Map-style data sets: ``Dataset``, ``TensorDataset``, ``Subset`` and ``random_split``.

A data set may also offer ``get_batch(indices)``: the samples ``indices`` already
collated, gathered with one fancy index. The DataLoader calls it instead of one
``__getitem__`` per sample when it gives a batch (it may return None to decline).
"""

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
    """``dataset``'s samples ``indices`` collated in one go, or None if it can't do that."""
    if isinstance(dataset, ArrayDataset):   # minin.data's arrays: the trainer's fast path
        return list(take_batch(dataset.images, dataset.labels, indices, lambda x: x,
                               backend.current()))
    get_batch = getattr(dataset, "get_batch", None)
    return get_batch(indices) if get_batch is not None else None


class Dataset:
    """A map-style data set: subclasses define ``__getitem__(index)`` → one sample and
    ``__len__()`` → the number of samples, as in ``torch.utils.data.Dataset``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index)")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__()")


class TensorDataset(Dataset):
    """Samples are the rows of Tensors (or arrays) that share their first dimension.

    Args:
        *tensors: Tensors or arrays of shapes (N, ...), all with the same N.
    Shapes:
        ``dataset[i]`` is ``tuple(t[i] for t in tensors)``.

    Example::

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
        return [Tensor(t.data[backend.to_backend(indices, t.backend)]) for t in self.tensors]


def _array(data):
    array = np.asarray(data)
    if array.dtype == object:
        raise TypeError(f"TensorDataset takes Tensors or arrays, got {type(data).__name__}")
    return array


class Subset(Dataset):
    """The samples ``indices`` of ``dataset``, without copying them.

    Args:
        dataset: any map-style data set.
        indices: a sequence of ints; ``subset[i]`` is ``dataset[indices[i]]``.
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)
        if self.indices.ndim != 1:
            raise ValueError(f"Subset: indices must be a 1-D sequence of ints, got shape "
                             f"{self.indices.shape}")

    def __getitem__(self, index):
        if isinstance(index, (list, np.ndarray)):
            return [self.dataset[int(i)] for i in self.indices[index]]
        return self.dataset[int(self.indices[index])]

    def __len__(self):
        return len(self.indices)

    def get_batch(self, indices):
        return batch_of(self.dataset, self.indices[np.asarray(indices)])


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
    """Split ``dataset`` into non-overlapping ``Subset``s in a random order.

    Args:
        dataset: a map-style data set of N samples.
        lengths: ints adding up to N, or fractions adding up to 1 (then part i gets
            floor(N · f_i) samples and the remainder goes one each to the first parts,
            as in PyTorch).
        generator: a NumPy ``Generator``; by default minin's, which ``minin.manual_seed``
            seeds.
    Returns:
        A list of ``Subset``s, one per length.

    Example::

        >>> train, val = random_split(TensorDataset(mn.zeros(10, 2)), [0.7, 0.3])
        >>> len(train), len(val)
        (7, 3)
    """
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
