"""Map-style data sets and a DataLoader that collates samples, as ``torch.utils.data``.

    from minin.utils.data import DataLoader, TensorDataset, random_split

    train, val = random_split(TensorDataset(images, labels), [0.8, 0.2])
    for x, y in DataLoader(train, batch_size=64, shuffle=True):
        ...

A data set is anything with ``__getitem__`` and ``__len__``. When it is one of minin's
array data sets (``minin.data``'s, ``minin.vision.datasets`` without a per-sample-only
transform, a ``TensorDataset``, or a ``Subset`` of one), the DataLoader gathers each
batch with one fancy index instead of one ``__getitem__`` per sample.
"""

from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                      SubsetRandomSampler)

__all__ = ["BatchSampler", "ConcatDataset", "DataLoader", "Dataset", "RandomSampler", "Sampler",
           "SequentialSampler", "Subset", "SubsetRandomSampler", "TensorDataset",
           "default_collate", "default_convert", "random_split"]
