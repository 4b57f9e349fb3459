"""Datasets, batch transforms and a DataLoader that yields minin Tensors.

    from minin.data import DataLoader, FashionMNIST, random_split, transforms as T

    train, val = random_split(FashionMNIST(train=True), [50_000, 10_000], seed=0)
    loader = DataLoader(train, batch_size=128, shuffle=True,
                        transform=T.Compose([T.ToFloat(), T.Normalize(0.2860, 0.3530)]))
    for images, labels in loader:   # float32 (128, 1, 28, 28) and int64 (128,)
        ...
"""

from . import transforms
from .datasets import (CIFAR10, MNIST, ArrayDataset, DatasetFormatError, DatasetNotFoundError,
                       FashionMNIST, Subset, cache_dir, download, random_split, read_idx)
from .loader import DataLoader

__all__ = ["ArrayDataset", "CIFAR10", "DataLoader", "DatasetFormatError", "DatasetNotFoundError",
           "FashionMNIST", "MNIST", "Subset", "cache_dir", "download", "random_split", "read_idx",
           "transforms"]
