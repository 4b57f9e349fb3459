"""Batches of a dataset as minin Tensors on the current backend."""

import math
import numbers

import numpy as np

from .. import backend
from ..tensor import Tensor
from .transforms import ToFloat


def take_batch(images, labels, index, transform, name):
    """The rows ``index`` of ``images`` and ``labels`` as ``(images, labels)`` Tensors on
    backend ``name``: one fancy index into each array, one copy to the device (of the
    uint8 rows, a quarter of the float32 bytes), then ``transform`` on the whole batch there.

    This is the fast path shared by this DataLoader and ``minin.utils.data.DataLoader``
    (which takes it when a data set is one of minin's arrays).
    """
    batch = transform(backend.to_backend(images[index], name))
    return (batch if isinstance(batch, Tensor) else Tensor(batch),
            Tensor(backend.to_backend(labels[index], name)))


class DataLoader:
    """Iterate over ``dataset`` in batches of ``(images, labels)`` Tensors.

    The dataset is two arrays (``dataset.images`` (N, C, H, W) uint8, ``dataset.labels`` (N,)
    int64), so a batch is one fancy index into each. On the GPU the batch's uint8 rows
    cross the bus as one copy (a quarter of the float32 bytes), and ``transform`` runs on
    the device; with ``device_resident=True`` the whole dataset is copied to the GPU once
    and batches never leave it.

    ``transform`` gets the uint8 batch on the backend and returns the images; without one,
    images become float32 in [0, 1]. With ``shuffle``, every ``iter()`` draws a new
    permutation: from ``numpy.random.default_rng(seed)`` (made once) when ``seed`` is
    given, else from minin's NumPy generator, so ``minin.manual_seed`` fixes the order.
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
        """The order of the examples in one epoch: a fresh permutation when shuffling."""
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
        """The batches of one epoch in ``order``, from batch number ``start`` on (a run
        resumed in the middle of an epoch continues with the same order)."""
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
