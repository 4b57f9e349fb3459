"""Batches of a dataset as minin Tensors on the current backend."""

import math
import numbers

import numpy as np

from .. import backend
from ..tensor import Tensor
from .transforms import ToFloat


def take_batch(images, labels, index, transform, name):
    """One batch of an array data set as ``(images, labels)`` Tensors on backend ``name``.

    One fancy index into each array, one copy of the uint8 rows to the device (a quarter
    of the float32 bytes), then ``transform`` on the whole batch there: the fast path of
    this DataLoader and of ``minin.utils.data.DataLoader`` for minin's array data sets.

    Args:
        images: the data set's images, (N, C, H, W) uint8.
        labels: its labels, (N,) int64.
        index: the B rows to take, an int array.
        transform: a callable on the (B, C, H, W) uint8 batch on the backend, returning
            the images as an array or a Tensor (``lambda x: x`` keeps them uint8).
        name: the backend the batch goes to, "numpy" or "cupy".

    Shape:
        images (N, C, H, W) and labels (N,) → images as ``transform`` makes them from
        (B, C, H, W) uint8 (float32 (B, C, H, W) with ``ToFloat``) and labels (B,) int64.

    Returns:
        ``(images, labels)``, two Tensors.

    Example::

        >>> from minin.data.transforms import ToFloat
        >>> x, y = take_batch(np.zeros((10, 1, 28, 28), np.uint8), np.arange(10),
        ...                   np.array([7, 2, 5]), ToFloat(), "numpy")
        >>> x.shape, x.dtype, y.tolist()
        ((3, 1, 28, 28), dtype('float32'), [7, 2, 5])
    """
    batch = transform(backend.to_backend(images[index], name))
    return (batch if isinstance(batch, Tensor) else Tensor(batch),
            Tensor(backend.to_backend(labels[index], name)))


class DataLoader:
    """Batches of ``(images, labels)`` Tensors from an array data set, like ``torch.utils.data.DataLoader``.

    A batch is one fancy index into ``dataset.images`` and ``dataset.labels``. On the GPU
    its uint8 rows cross the bus as one copy (a quarter of the float32 bytes) and
    ``transform`` runs on the device. ``len(loader)`` is the number of batches per epoch.

    Args:
        dataset: an array data set (``ArrayDataset``, ``Subset``, ``FashionMNIST``, ...)
            with NumPy arrays ``.images`` (N, C, H, W) uint8 and ``.labels`` (N,) int64.
        batch_size: images per batch, a positive int (no default).
        shuffle: draw a new permutation on every ``iter()`` (default False).
        drop_last: drop the last batch if it is smaller than ``batch_size`` (default False).
        transform: a callable on the uint8 batch on the backend that returns the images;
            default None: ``ToFloat()``, float32 in [0, 1].
        seed: an int: the permutations come from ``numpy.random.default_rng(seed)``, made
            once; default None: from minin's NumPy generator, so ``minin.manual_seed``
            fixes the order.
        device_resident: on the GPU, copy the whole data set there once, so that batches
            never leave it (default False).

    Shape:
        Each batch: images (B, C, H, W) float32 (with the default transform) and labels
        (B,) int64, B = ``batch_size`` except perhaps for the last batch.

    Example::

        >>> from minin.data import ArrayDataset
        >>> ds = ArrayDataset(np.zeros((10, 1, 28, 28), np.uint8), np.arange(10))
        >>> loader = DataLoader(ds, batch_size=4, shuffle=True, seed=0)
        >>> len(loader)
        3
        >>> for images, labels in loader:
        ...     print(images.shape, images.dtype, labels.dtype, labels.tolist())
        (4, 1, 28, 28) float32 int64 [4, 6, 2, 7]
        (4, 1, 28, 28) float32 int64 [3, 5, 9, 0]
        (2, 1, 28, 28) float32 int64 [8, 1]
    """

    def __init__(self, dataset, batch_size, shuffle=False, drop_last=False, transform=None,
                 seed=None, device_resident=False):
        images, labels = getattr(dataset, "images", None), getattr(dataset, "labels", None)
        if not isinstance(images, np.ndarray) or not isinstance(labels, np.ndarray):
            raise TypeError("DataLoader needs a dataset with NumPy arrays .images (N, C, H, W) and "
                            f".labels (N,), got {type(dataset).__name__}")
        if len(images) == 0 or len(images) != len(labels):
            raise ValueError(f"DataLoader needs a non-empty dataset with as many labels as images, "
                             f"got {len(images)} images and {len(labels)} labels")
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) \
                or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        if drop_last and batch_size > len(images):
            raise ValueError(f"DataLoader: drop_last=True with batch_size {batch_size} and only "
                             f"{len(images)} images would give no batch at all")
        if transform is not None and not callable(transform):
            raise TypeError(f"DataLoader: transform must be callable, got {transform!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise TypeError(f"DataLoader: seed must be an int or None, got {seed!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self.transform = transform if transform is not None else ToFloat()
        self.seed = seed
        self.device_resident = bool(device_resident)
        self._rng = np.random.default_rng(seed) if seed is not None else None
        self._resident = None   # (backend name, images, labels) copied to the device

    def __len__(self):
        n = len(self.dataset.labels)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def epoch_order(self):
        """The order of the N examples in one epoch.

        Returns:
            An (N,) int64 array: ``arange(N)``, or with ``shuffle`` a new permutation on
            each call.

        Example::

            >>> from minin.data import ArrayDataset
            >>> ds = ArrayDataset(np.zeros((5, 1, 2, 2), np.uint8), np.arange(5))
            >>> DataLoader(ds, batch_size=2).epoch_order()
            array([0, 1, 2, 3, 4])
            >>> DataLoader(ds, batch_size=2, shuffle=True, seed=0).epoch_order()
            array([2, 4, 3, 0, 1])
        """
        n = len(self.dataset.labels)
        if not self.shuffle:
            return np.arange(n)
        rng = self._rng if self._rng is not None else backend.generator("numpy")
        return rng.permutation(n)

    def _device_arrays(self, name):
        """The dataset's arrays on backend ``name``, copied there on first use."""
        if self._resident is None or self._resident[0] != name:
            self._resident = (name, backend.to_backend(self.dataset.images, name),
                              backend.to_backend(self.dataset.labels, name))
        return self._resident[1:]

    def __iter__(self):
        return self.batches(self.epoch_order())

    def batches(self, order, start=0):
        """The batches of one epoch in ``order``, from batch number ``start`` on.

        ``iter(loader)`` is ``loader.batches(loader.epoch_order())``; a run resumed in the
        middle of an epoch passes that epoch's order and continues with the same batches.

        Args:
            order: the (N,) order of the examples, as ``epoch_order()`` gives it.
            start: the number of the first batch to give (default 0).

        Returns:
            A generator of ``(images, labels)`` Tensors, as iterating the loader gives.

        Example::

            >>> from minin.data import ArrayDataset
            >>> ds = ArrayDataset(np.zeros((5, 1, 2, 2), np.uint8), np.arange(5))
            >>> loader = DataLoader(ds, batch_size=2)
            >>> [labels.tolist() for _, labels in loader.batches(np.array([4, 3, 2, 1, 0]), start=1)]
            [[2, 1], [0]]
        """
        name = backend.current()
        images, labels = self.dataset.images, self.dataset.labels
        if self.device_resident and name != "numpy":
            images, labels = self._device_arrays(name)
            order = backend.to_backend(order, name)
        for first in range(start * self.batch_size, len(self) * self.batch_size, self.batch_size):
            yield take_batch(images, labels, order[first:first + self.batch_size], self.transform,
                             name)

    def __repr__(self):
        return (f"DataLoader({self.dataset!r}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, transform={self.transform!r}"
                + (", device_resident=True)" if self.device_resident else ")"))
