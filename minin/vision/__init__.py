"""torchvision's names on minin: ``import minin.vision as torchvision``.

* ``datasets``: ``FashionMNIST``, ``MNIST``, ``CIFAR10`` as torchvision's, over the arrays of
  ``minin.data``;
* ``transforms``: ``Compose``, ``ToTensor``, ``Resize``, ``Normalize``, ``RandomCrop``,
  ``RandomHorizontalFlip``, each working on one sample (as torchvision) or on a whole batch
  (as minin's trainer);
* ``utils``: ``make_grid``.
"""

from . import datasets, transforms, utils

__all__ = ["datasets", "transforms", "utils"]
