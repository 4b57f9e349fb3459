"""Samplers: the order in which a DataLoader visits a data set, as ``torch.utils.data``'s.

A sampler is an iterable of indices with a length; ``DataLoader(sampler=...)`` takes it
in place of ``shuffle``, ``DataLoader(batch_sampler=...)`` a ``BatchSampler`` in place of
``batch_size``. Random ones draw from a ``numpy.random.Generator`` when given one, else
from minin's NumPy generator, so ``minin.manual_seed`` fixes them.
"""

import numbers

import numpy as np

from ... import backend
from .dataset import _randperm


def _check_generator(name, generator):
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"{name}: generator must be a numpy.random.Generator or None, "
                        f"got {type(generator).__name__}")
    return generator


class Sampler:
    """The base of samplers, as ``torch.utils.data.Sampler``: subclasses define
    ``__iter__`` (the indices) and ``__len__``.

    Args:
        data_source: accepted and ignored, as in PyTorch (default None).

    Example::

        >>> class EvenFirst(Sampler):
        ...     def __init__(self, n):
        ...         self.n = n
        ...     def __iter__(self):
        ...         return iter([*range(0, self.n, 2), *range(1, self.n, 2)])
        ...     def __len__(self):
        ...         return self.n
        >>> list(EvenFirst(5))
        [0, 2, 4, 1, 3]
    """

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__()")


class SequentialSampler(Sampler):
    """The indices 0, 1, ..., N - 1 of ``data_source``, as ``torch.utils.data.SequentialSampler``.

    Args:
        data_source: the data set (anything with a length).

    Example::

        >>> list(SequentialSampler(range(4)))
        [0, 1, 2, 3]
    """

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random order of the indices of ``data_source`` (a new one each epoch), as
    ``torch.utils.data.RandomSampler``.

    Args:
        data_source: the data set.
        replacement: draw ``num_samples`` indices with replacement (default False: a
            permutation).
        num_samples: how many indices per epoch (default None: the data set's length).
        generator: a ``numpy.random.Generator`` (default None: minin's).

    Example::

        >>> sampler = RandomSampler(range(5), generator=np.random.default_rng(0))
        >>> sorted(sampler), len(sampler)
        ([0, 1, 2, 3, 4], 5)
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if num_samples is not None and (isinstance(num_samples, bool) or not isinstance(
                num_samples, numbers.Integral) or num_samples < 1):
            raise ValueError(f"RandomSampler: num_samples must be a positive int, "
                             f"got {num_samples!r}")
        self.data_source, self.replacement = data_source, bool(replacement)
        self._num_samples = num_samples
        self.generator = _check_generator("RandomSampler", generator)

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else int(self._num_samples)

    def __iter__(self):
        n = len(self.data_source)
        if self.replacement:
            gen = self.generator if self.generator is not None else backend.generator("numpy")
            return iter(gen.integers(0, n, size=self.num_samples).tolist())
        # as PyTorch: whole permutations, then part of one, up to num_samples
        order = np.concatenate([_randperm(n, self.generator)
                                for _ in range(-(-self.num_samples // max(n, 1)))] or [[]])
        return iter(order[:self.num_samples].astype(np.int64).tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order (a new one each epoch), as
    ``torch.utils.data.SubsetRandomSampler``.

    Args:
        indices: a sequence of ints.
        generator: a ``numpy.random.Generator`` (default None: minin's).

    Example::

        >>> sampler = SubsetRandomSampler([7, 3, 5], generator=np.random.default_rng(0))
        >>> sorted(sampler), len(sampler)
        ([3, 5, 7], 3)
    """

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = _check_generator("SubsetRandomSampler", generator)

    def __iter__(self):
        return iter([self.indices[i] for i in _randperm(len(self.indices), self.generator)])

    def __len__(self):
        return len(self.indices)


class BatchSampler(Sampler):
    """Lists of ``batch_size`` indices from ``sampler``, as ``torch.utils.data.BatchSampler``.

    Args:
        sampler: an iterable of indices.
        batch_size: a positive int.
        drop_last: leave out the last list if it is shorter than ``batch_size`` (a bool).

    Example::

        >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
        [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) \
                or batch_size < 1:
            raise ValueError(f"BatchSampler: batch_size must be a positive int, "
                             f"got {batch_size!r}")
        self.sampler, self.batch_size, self.drop_last = sampler, int(batch_size), bool(drop_last)

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
