"""torchvision's data sets over minin's arrays: ``FashionMNIST``, ``MNIST``, ``CIFAR10``.

``FashionMNIST(root, train=True, transform=None, target_transform=None, download=False)``
reads its files where torchvision keeps them (``root/FashionMNIST/raw/*.gz``,
``root/MNIST/raw/*.gz``, ``root/cifar-10-batches-py`` or the archive in ``root``), with
minin's checked readers (``minin.data``). ``download=True`` fills that folder: with a
copy of the files from where minin finds them (``$MININ_DATA``, ``~/.cache/minin``,
Debian's ``dataset-fashion-mnist``), else by downloading them, with their MD5 checked.

A sample is ``(image, target)``: the image as a uint8 array (H, W), or (H, W, C) for
CIFAR-10, the layout a PIL image has (``ToTensor`` makes it (C, H, W) float32), and the
target an int. The whole split stays one uint8 array, so when the transform can run on
a batch (a ``Compose`` of ``minin.vision.transforms``) the DataLoader gathers and
transforms each batch at once.
"""

import shutil
from pathlib import Path

import numpy as np

from .. import backend, data
from .._files import atomic_write
from ..data.datasets import DatasetNotFoundError, _idx_variants
from ..data.loader import take_batch
from ..tensor import Tensor
from ..utils.data import Dataset
from . import transforms

__all__ = ["CIFAR10", "FashionMNIST", "MNIST", "VisionDataset"]


class VisionDataset(Dataset):
    """A torchvision-style data set over a ``minin.data`` array data set, as
    ``torchvision.datasets.VisionDataset``; the base of ``FashionMNIST``, ``MNIST`` and
    ``CIFAR10``.

    Args:
        root: the folder (str or Path) the files are in, in torchvision's layout.
        train: True for the training split (default), False for the test split.
        transform: a callable on the image (default None: the uint8 array as it is); a
            ``Compose`` of ``minin.vision.transforms`` also runs on whole batches.
        target_transform: a callable on the int target (default None).
        download: if the files are not under ``root``, copy them there from where minin
            finds them, else download them; files already under ``root`` are never
            replaced (default False: a missing file raises ``DatasetNotFoundError``).

    Shape:
        ``dataset[i]`` is ``(image, target)``: the image uint8 (H, W), or (H, W, C) for
        colour, before ``transform``; the target an int.

    Attributes:
        images, labels: (N, C, H, W) uint8 and (N,) int64, minin's arrays.
        data, targets: torchvision's.
        classes, class_to_idx: the class names, and their indices by name.
        root, train, transform, target_transform: as given.

    Example (no files under ``root``, and no download)::

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as root:
        ...     FashionMNIST(root, train=False)
        Traceback (most recent call last):
        ...
        minin.data.datasets.DatasetNotFoundError: Fashion-MNIST (test split) was not found, and
        download=False. Looked in: .../FashionMNIST/raw ...
    """

    _source = None     # the minin.data class that reads the files

    def __init__(self, root, train=True, transform=None, target_transform=None,
                 download=False):
        if root is None or not isinstance(root, (str, Path)):
            raise TypeError(f"{type(self).__name__}: root must be a folder (str or Path), "
                            f"got {root!r}")
        for name, t in (("transform", transform), ("target_transform", target_transform)):
            if t is not None and not callable(t):
                raise TypeError(f"{type(self).__name__}: {name} must be callable, got {t!r}")
        if Path(root).expanduser().exists() and not Path(root).expanduser().is_dir():
            raise NotADirectoryError(f"{type(self).__name__}: root must be a folder, but {root} "
                                     "is a file")
        self.root, self.train = str(root), train
        self.transform, self.target_transform = transform, target_transform
        arrays = self._load(Path(root).expanduser(), bool(download))
        self.images, self.labels = arrays.images, arrays.labels
        self.classes = list(arrays.classes)
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self.source = arrays.source

    def _folder(self, root):
        """Where torchvision keeps this data set's files under ``root``."""
        return root / type(self).__name__ / "raw"

    def _load(self, root, download):
        folder = self._folder(root)
        try:
            return self._source(root=folder, train=self.train, download=False)
        except DatasetNotFoundError:
            if not download:
                raise
        try:   # found where minin looks (the cache, $MININ_DATA, a system package): copy it
            found = self._source(root=None, train=self.train, download=False)
        except DatasetNotFoundError:
            return self._source(root=folder, train=self.train, download=True)
        self._copy(found, root)
        # read back what root now holds: a file the user already had there is never
        # replaced, so a bad one is reported rather than silently read past
        return self._source(root=folder, train=self.train, download=False)

    def _copy(self, found, root):
        """Copy the files ``found`` read into ``root``, only those missing there."""
        folder = self._folder(root)
        for name in found._needed():
            if not _idx_variants(folder, name):   # a file already there stays as it is
                src = _idx_variants(found.source, name)[0]
                _copy_file(src, folder / src.name)

    # ------------------------------------------------------------------ samples
    def _image(self, chw):
        return chw[0] if chw.shape[0] == 1 else chw.transpose(1, 2, 0)

    def __getitem__(self, index):
        image, target = self._image(self.images[index]), int(self.labels[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __len__(self):
        return len(self.labels)

    def get_batch(self, indices):
        """The samples ``indices`` collated, transformed as one batch (what the DataLoader
        asks for first).

        Args:
            indices: the sample indices of the batch.

        Returns:
            [images, labels], two Tensors on the current backend; None (one sample at a
            time, then) unless the transform works on batches, ends in a Tensor
            (``ToTensor`` is in it: before that a sample is an (H, W[, C]) array) and
            there is no target_transform.
        """
        if self.target_transform is not None or self.transform is None:
            return None
        batch = getattr(self.transform, "batch", None)
        if batch is None or not getattr(self.transform, "batchable", True):
            return None
        if not transforms.makes_tensor(self.transform):
            return None   # samples stay (H, W[, C]) arrays: collated as torchvision's are
        return list(take_batch(self.images, self.labels, indices,
                               lambda x: _in_chunks(batch, x), backend.current()))

    @property
    def data(self):
        """torchvision's ``data``: the uint8 images, (N, H, W) as a Tensor."""
        return Tensor(self.images[:, 0])

    @property
    def targets(self):
        """torchvision's ``targets``: the int64 labels as a Tensor."""
        return Tensor(self.labels)

    def __repr__(self):
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}",
                 f"    Root location: {self.root}", f"    Split: {'Train' if self.train else 'Test'}"]
        if self.transform is not None:
            lines.append("    Transform: " + repr(self.transform).replace("\n", "\n    "))
        return "\n".join(lines)


def _copy_file(src, dst):
    """Copy ``src`` to ``dst`` whole or not at all (an interrupted copy leaves nothing)."""
    with open(src, "rb") as file:
        atomic_write(dst, lambda out: shutil.copyfileobj(file, out, 1 << 20))


def _in_chunks(transform, x, chunk_bytes=1 << 21):
    """``transform`` of the batch ``x``; on the CPU a few images at a time, into one output.

    A transform that enlarges images (Resize(224) of 28x28 images: 64 times the pixels)
    would otherwise make every intermediate array of the whole batch larger than the
    CPU's caches, and run slower than going image by image. On the GPU the whole batch
    is one launch per step, which is what pays there.
    """
    if backend.name_of(x) != "numpy" or len(x) < 2:
        return transform(x)
    first = transform(x[:1])
    step = max(1, chunk_bytes // max(1, first.nbytes))
    out = np.empty((len(x),) + first.shape[1:], first.dtype)
    out[:1] = first
    for start in range(1, len(x), step):
        out[start:start + step] = transform(x[start:start + step])
    return out


class FashionMNIST(VisionDataset):
    """Fashion-MNIST: 60,000 training and 10,000 test images, 28×28 grey, 10 classes, as
    ``torchvision.datasets.FashionMNIST``.

    Args:
        root: the folder holding ``FashionMNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz``.
        train, transform, target_transform, download: as ``VisionDataset``.

    Shape:
        ``dataset[i]``: a uint8 image (28, 28) and an int target in 0..9.

    ``download=True`` copies the files from where minin finds them, or downloads them.

    Usage, with the files at hand or a network::

        ds = datasets.FashionMNIST(root, train=False, download=True)
        image, target = ds[0]      # (28, 28) uint8 and 9: ds.classes[9] is 'Ankle boot'
    """

    _source = data.FashionMNIST


class MNIST(VisionDataset):
    """MNIST: 60,000 training and 10,000 test handwritten digits, 28×28 grey, as
    ``torchvision.datasets.MNIST``.

    Args:
        root: the folder holding ``MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz``.
        train, transform, target_transform, download: as ``VisionDataset``.

    Shape:
        ``dataset[i]``: a uint8 image (28, 28) and an int target in 0..9.

    Usage, with the files at hand::

        ds = datasets.MNIST(root, transform=transforms.ToTensor())
        loader = mn.utils.data.DataLoader(ds, batch_size=64)   # batches (64, 1, 28, 28)
    """

    _source = data.MNIST


class CIFAR10(VisionDataset):
    """CIFAR-10: 50,000 training and 10,000 test colour images, 32×32, 10 classes, as
    ``torchvision.datasets.CIFAR10``.

    Args:
        root: the folder holding ``cifar-10-batches-py/`` or ``cifar-10-python.tar.gz``.
        train, transform, target_transform, download: as ``VisionDataset``.

    Shape:
        ``dataset[i]``: a uint8 image (32, 32, 3) and an int target in 0..9; ``data`` is
        (N, 32, 32, 3) and ``targets`` a list, as torchvision's.

    Usage, with the files at hand::

        image, target = datasets.CIFAR10(root, train=False)[0]
    """

    _source = data.CIFAR10

    def _folder(self, root):
        return root

    def _copy(self, found, root):
        """Copy the batches folder or the archive into ``root``, only the files missing there."""
        if found.source.is_dir():
            for src in sorted(found.source.iterdir()):
                if src.is_file() and not (root / found.folder / src.name).exists():
                    _copy_file(src, root / found.folder / src.name)
        elif not (root / found.archive).exists():
            _copy_file(found.source, root / found.archive)

    @property
    def data(self):
        """torchvision's ``data``: the uint8 images, an (N, 32, 32, 3) NumPy array."""
        return np.ascontiguousarray(self.images.transpose(0, 2, 3, 1))

    @property
    def targets(self):
        """torchvision's ``targets``: the labels, a list of ints."""
        return self.labels.tolist()
