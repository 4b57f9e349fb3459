"""Image classification datasets held as whole uint8 arrays.

A dataset here is two arrays, ``images`` (N, C, H, W) uint8 and ``labels`` (N,) int64,
plus the class names. Keeping the raw bytes (47 MB for Fashion-MNIST) rather than float
copies lets the DataLoader gather a batch with one fancy index and move it to the GPU in
one small copy, and lets a whole dataset sit on the GPU when asked.

Files are looked for in ``root`` if given (and only there), else in ``$MININ_DATA/<name>``,
``~/.cache/minin/<name>`` and, for Fashion-MNIST, the folder of Debian's
``dataset-fashion-mnist`` package. Downloads are checked against the published MD5
checksums and written to a temporary name first, so an interrupted or corrupt download
never leaves a file that looks complete.
"""

import codecs
import hashlib
import http.client
import io
import math
import numbers
import os
import pickle
import tarfile
import zlib
from pathlib import Path
from urllib.request import urlopen

import numpy as np

from .. import backend
from .._files import atomic_write

try:
    from tqdm.auto import tqdm as _tqdm
except ImportError:  # the progress bar is optional
    _tqdm = None

_IDX_IMAGES = 0x00000803   # unsigned bytes, 3 dimensions
_IDX_LABELS = 0x00000801   # unsigned bytes, 1 dimension
_CHUNK = 1 << 20
_MAX_CIFAR_BATCH = 64 << 20  # a CIFAR-10 batch is 10,000 × 3,072 bytes plus labels: 31 MB


class DatasetNotFoundError(FileNotFoundError):
    """Raised when a dataset's files are in none of the folders looked in and cannot be downloaded."""


class DatasetFormatError(ValueError):
    """Raised when a dataset file is truncated, corrupt or not in the expected format."""


def cache_dir():
    """The folder downloads go to when ``$MININ_DATA`` is not set: ``~/.cache/minin``.

    Returns:
        A ``pathlib.Path``; each dataset keeps its files in a subfolder named after it.

    Example::

        >>> cache_dir().parts[-2:]
        ('.cache', 'minin')
    """
    return Path.home() / ".cache" / "minin"


# ---------------------------------------------------------------------------- datasets
class ArrayDataset:
    """Images and labels held in memory, like ``torch.utils.data.TensorDataset(images, labels)``.

    The base of minin's datasets: ``DataLoader`` gathers a batch from ``.images`` and
    ``.labels`` with one fancy index.

    Args:
        images: (N, C, H, W) images, normally uint8 (what the DataLoader's default
            ``ToFloat`` expects).
        labels: (N,) integer class indices (a NumPy or Python sequence, not a minin
            Tensor), stored as int64.
        classes: the class names (default None: "0", "1", ... up to the largest label).
        name: the name shown in messages and ``repr`` (default "arrays").

    Shape:
        ``dataset[i]`` is ``(image, label)``: a (C, H, W) image and an int64 label;
        ``.images`` is (N, C, H, W) and ``.labels`` (N,) int64.

    Example::

        >>> from minin.data import ArrayDataset
        >>> ds = ArrayDataset(np.zeros((10, 1, 28, 28), np.uint8), np.arange(10) % 2,
        ...                   classes=["even", "odd"])
        >>> ds
        ArrayDataset('arrays', 10 images of 1x28x28)
        >>> image, label = ds[3]
        >>> image.shape, image.dtype, ds.classes[label]
        ((1, 28, 28), dtype('uint8'), 'odd')
    """

    def __init__(self, images, labels, classes=None, name="arrays"):
        if hasattr(labels, "requires_grad"):  # a minin Tensor, made by mn.tensor (float32)
            raise TypeError(f"{name}: labels must be integer class indices such as a NumPy int64 "
                            f"array, got a minin Tensor of dtype {labels.dtype}; pass "
                            "np.asarray(labels, dtype=np.int64)")
        images, labels = np.asarray(images), np.asarray(labels)
        if images.ndim != 4:
            raise ValueError(f"{name}: images must have shape (N, C, H, W), "
                             f"got shape {images.shape}")
        if labels.shape != (len(images),):
            raise ValueError(f"{name}: labels must have shape ({len(images)},) to match the "
                             f"images, got shape {labels.shape}")
        if not np.issubdtype(labels.dtype, np.integer):
            raise TypeError(f"{name}: labels must be integers, got dtype {labels.dtype}")
        self.images = images
        self.labels = labels.astype(np.int64, copy=False)
        if classes is None:
            classes = [str(c) for c in range(int(self.labels.max()) + 1 if len(labels) else 0)]
        self.classes = list(classes)
        self.name = name

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        """``(image, label)``: a (C, H, W) uint8 image and its int64 label."""
        return self.images[index], self.labels[index]

    def __repr__(self):
        shape = "x".join(map(str, self.images.shape[1:]))
        return f"{type(self).__name__}({self.name!r}, {len(self)} images of {shape})"


class Subset(ArrayDataset):
    """A copy of the rows ``indices`` of an array dataset, like ``torch.utils.data.Subset``.

    Args:
        dataset: an array dataset (``ArrayDataset``, ``FashionMNIST``, ...) of N images.
        indices: a 1-D sequence of ints in [-N, N); negative ones count from the end.

    Shape:
        ``.images`` (len(indices), C, H, W) and ``.labels`` (len(indices),) int64; the
        classes and name are the dataset's, and ``.dataset`` and ``.indices`` say where
        the rows came from.

    Example::

        >>> from minin.data import ArrayDataset, Subset
        >>> ds = ArrayDataset(np.zeros((10, 1, 28, 28), np.uint8), np.arange(10))
        >>> part = Subset(ds, [9, 0, 4])
        >>> part.images.shape, part.labels.tolist()
        ((3, 1, 28, 28), [9, 0, 4])
    """

    def __init__(self, dataset, indices):
        indices = np.asarray(indices)
        if indices.ndim != 1 or not (np.issubdtype(indices.dtype, np.integer) or indices.size == 0):
            raise TypeError(f"Subset: indices must be a 1-D sequence of integers, "
                            f"got shape {indices.shape} and dtype {indices.dtype}")
        n = len(dataset)
        if indices.size and (indices.min() < -n or indices.max() >= n):
            raise IndexError(f"Subset: indices must lie in [0, {n}) for a dataset of {n} images, "
                             f"got values from {indices.min()} to {indices.max()}")
        indices = indices.astype(np.int64)
        super().__init__(dataset.images[indices], dataset.labels[indices], dataset.classes,
                         dataset.name)
        self.dataset, self.indices = dataset, indices


def random_split(dataset, lengths, seed=None):
    """Split an array dataset into non-overlapping ``Subset``s, like ``torch.utils.data.random_split``.

    The rows come from one random permutation of the dataset, cut into consecutive parts.

    Args:
        dataset: an array dataset of N images.
        lengths: non-negative ints adding up to N (no fractions here, unlike
            ``minin.utils.data.random_split``).
        seed: an int: the permutation comes from ``numpy.random.default_rng(seed)``;
            default None: from minin's NumPy generator, so ``minin.manual_seed`` fixes
            the split too.

    Shape:
        Part i holds images (lengths[i], C, H, W) and labels (lengths[i],) int64.

    Returns:
        A list of ``Subset``s, one per length.

    Example::

        >>> from minin.data import ArrayDataset, random_split
        >>> ds = ArrayDataset(np.zeros((10, 1, 28, 28), np.uint8), np.arange(10))
        >>> train, val = random_split(ds, [7, 3], seed=0)
        >>> len(train), len(val), val.labels.tolist()
        (7, 3, [0, 8, 1])
    """
    lengths = list(lengths)
    if not lengths or not all(isinstance(k, numbers.Integral) and k >= 0 for k in lengths):
        raise ValueError(f"random_split: lengths must be non-negative ints, got {lengths!r}")
    if sum(lengths) != len(dataset):
        raise ValueError(f"random_split: lengths {lengths} add up to {sum(lengths)}, "
                         f"but the dataset has {len(dataset)} images")
    rng = backend.generator("numpy") if seed is None else np.random.default_rng(seed)
    order = rng.permutation(len(dataset))
    return [Subset(dataset, part) for part in np.split(order, np.cumsum(lengths)[:-1])]


class _FileDataset(ArrayDataset):
    """A dataset read from files that are looked for in several places and downloaded if missing.

    Subclasses say which files a split needs (``_expected_files``), whether a folder holds them
    (``_locate``), how to read them (``_read``) and how to fetch them (``_fetch``).
    """

    name = title = None
    classes = ()
    system_dirs = ()      # read-only folders of system packages, looked in last
    install_hint = None   # how a system package provides the files

    def __init__(self, root=None, train=True, download=True):
        if not isinstance(train, (bool, np.bool_)):
            raise TypeError(f"{type(self).__name__}: train must be True (training split) or "
                            f"False (test split), got {train!r}")
        self.train = bool(train)
        folders = self.search_dirs(root)
        source = next(filter(None, map(self._locate, folders)), None)
        if source is None:
            if not download:
                raise DatasetNotFoundError(self._not_found(root, folders, "download=False"))
            target = Path(root).expanduser() if root is not None else self.download_dir()
            try:
                self._fetch(target)
            except DatasetFormatError:
                raise
            except (OSError, ValueError, http.client.HTTPException) as exc:  # no network, refused,
                # unknown host, a connection dropped mid-transfer, ...
                raise DatasetNotFoundError(
                    self._not_found(root, folders, f"the download failed: {exc}")) from exc
            source = self._locate(target)
        images, labels = self._read(source)
        if len(images) != len(labels):
            raise DatasetFormatError(f"{self.title} in {source}: {len(images)} images "
                                     f"but {len(labels)} labels")
        if len(labels) and (labels.min() < 0 or labels.max() >= len(self.classes)):
            raise DatasetFormatError(f"{self.title} in {source}: labels must lie in "
                                     f"0..{len(self.classes) - 1}, "
                                     f"found {labels.min()}..{labels.max()}")
        super().__init__(images, labels, self.classes, self.name)
        self.source = source

    @property
    def split(self):
        """The split read: "train" or "test"."""
        return "train" if self.train else "test"

    @classmethod
    def search_dirs(cls, root=None):
        """The folders looked in for the files, in order.

        Args:
            root: a folder: only it is looked in; default None: ``$MININ_DATA/<name>``
                (if set), ``~/.cache/minin/<name>`` and the system folders.

        Returns:
            A list of ``pathlib.Path``.

        Example::

            >>> from minin.data import FashionMNIST
            >>> [str(p) for p in FashionMNIST.search_dirs("/data/fashion")]
            ['/data/fashion']
            >>> str(FashionMNIST.search_dirs()[-1])
            '/usr/share/datasets/fashion-mnist'
        """
        if root is not None:
            return [Path(root).expanduser()]
        folders = []
        if os.environ.get("MININ_DATA"):
            folders.append(Path(os.environ["MININ_DATA"]).expanduser() / cls.name)
        folders.append(cache_dir() / cls.name)
        folders.extend(Path(d) for d in cls.system_dirs)
        return folders

    @classmethod
    def download_dir(cls):
        """The folder downloads go to: ``$MININ_DATA/<name>`` if set, else ``~/.cache/minin/<name>``.

        Returns:
            A ``pathlib.Path``.

        Example::

            >>> from minin.data import CIFAR10
            >>> CIFAR10.download_dir().name
            'cifar-10'
        """
        base = os.environ.get("MININ_DATA")
        return (Path(base).expanduser() if base else cache_dir()) / cls.name

    def _not_found(self, root, folders, why):
        places = "\n".join(f"  {folder}" for folder in folders)
        if root is None and not os.environ.get("MININ_DATA"):
            places += f"\n  ($MININ_DATA/{self.name} was skipped: MININ_DATA is not set)"
        how = [self.install_hint] if self.install_hint else []
        how.append("put the files in one of the folders above")
        if why == "download=False":
            how.append(f"allow download=True (from {self._download_source()})")
        else:
            how.append(f"check the connection to {self._download_source()} and try again")
        return (f"{self.title} ({self.split} split) was not found, and {why}.\n"
                f"Looked in:\n{places}\n"
                f"Files expected: {self._expected_files()}\n"
                f"To get them: {', or '.join(how)}.")

    def __repr__(self):
        return (f"{type(self).__name__}({self.split}, {len(self)} images of "
                f"{'x'.join(map(str, self.images.shape[1:]))}, from {self.source})")


class _IDXDataset(_FileDataset):
    """MNIST-style datasets: four gzipped IDX files, two per split (or the files unpacked,
    as torchvision leaves them beside the archives)."""

    mirrors = ()
    md5 = {}
    image_size = (28, 28)

    def _needed(self):
        prefix = "train" if self.train else "t10k"
        return [f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"]

    def _expected_files(self):
        return (", ".join(self._needed())
                + " (or the same names without .gz, as torchvision unpacks them)")

    def _locate(self, folder):
        return folder if all(_idx_variants(folder, f) for f in self._needed()) else None

    def _read(self, folder):
        image_name, label_name = self._needed()
        images = _read_idx_either(folder, image_name, _IDX_IMAGES)
        if images.shape[1:] != self.image_size:
            raise DatasetFormatError(f"{self.title} in {folder}: images must be "
                                     f"{'x'.join(map(str, self.image_size))}, the file holds "
                                     f"{'x'.join(map(str, images.shape[1:]))}")
        return (images.reshape(len(images), 1, *images.shape[1:]),
                _read_idx_either(folder, label_name, _IDX_LABELS))

    def _fetch(self, target):
        for filename in self._needed():
            if not (target / filename).is_file():
                download(self.mirrors[0] + filename, target / filename, self.md5[filename])

    def _download_source(self):
        return self.mirrors[0]


class FashionMNIST(_IDXDataset):
    """Zalando's Fashion-MNIST, clothes in 10 classes, like ``torchvision.datasets.FashionMNIST``.

    60,000 training and 10,000 test images, from four gzipped IDX files
    (``{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz``). They are looked for in ``root``
    if given (and only there), else in ``$MININ_DATA/fashion-mnist``,
    ``~/.cache/minin/fashion-mnist`` and the folder of Debian's ``dataset-fashion-mnist``
    package, so that package needs no setup; elsewhere the files are downloaded once,
    their MD5 checksums checked.

    Args:
        root: the folder of the files (default None: the places above).
        train: True for the training split (default), False for the test split.
        download: fetch missing files (default True); otherwise a missing file raises
            ``DatasetNotFoundError``, which says where it was looked for.

    Shape:
        ``.images`` (N, 1, 28, 28) uint8 and ``.labels`` (N,) int64 in 0..9; ``.classes``
        names them ("T-shirt/top", "Trouser", ...).

    Usage, with the files at hand::

        train = FashionMNIST(train=True)       # 60,000 images
        loader = DataLoader(train, batch_size=128, shuffle=True)
    """

    name, title = "fashion-mnist", "Fashion-MNIST"
    classes = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot")
    mirrors = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
    md5 = {"train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
           "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
           "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
           "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"}
    system_dirs = ("/usr/share/datasets/fashion-mnist",)
    install_hint = "apt-get install dataset-fashion-mnist"


class MNIST(_IDXDataset):
    """LeCun's handwritten digits, like ``torchvision.datasets.MNIST``.

    60,000 training and 10,000 test images, with the same files and rules as
    ``FashionMNIST``, in ``$MININ_DATA/mnist`` or ``~/.cache/minin/mnist`` when ``root``
    is not given.

    Args:
        root: the folder of the files (default None: the places above).
        train: True for the training split (default), False for the test split.
        download: fetch missing files (default True); otherwise a missing file raises
            ``DatasetNotFoundError``.

    Shape:
        ``.images`` (N, 1, 28, 28) uint8 and ``.labels`` (N,) int64 in 0..9.

    Usage, with the files at hand::

        test = MNIST(train=False)              # 10,000 images
    """

    name, title = "mnist", "MNIST"
    classes = tuple(str(d) for d in range(10))
    mirrors = ("https://ossci-datasets.s3.amazonaws.com/mnist/",)
    md5 = {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
           "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
           "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
           "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"}


class CIFAR10(_FileDataset):
    """CIFAR-10 (python version), colour images in 10 classes, like ``torchvision.datasets.CIFAR10``.

    50,000 training and 10,000 test images, read from the ``cifar-10-batches-py`` folder
    or straight from ``cifar-10-python.tar.gz``, in ``root`` if given, else in
    ``$MININ_DATA/cifar-10`` or ``~/.cache/minin/cifar-10``. The batches are Python 2
    pickles, opened with an unpickler that can only rebuild arrays, lists, dicts and
    strings, so a tampered file cannot run code.

    Args:
        root: the folder of the files (default None: the places above).
        train: True for the training split (default), False for the test split.
        download: fetch the archive if missing (default True; MD5 checked, then unpacked);
            otherwise a missing file raises ``DatasetNotFoundError``.

    Shape:
        ``.images`` (N, 3, 32, 32) uint8 and ``.labels`` (N,) int64 in 0..9; ``.classes``
        names them ("airplane", "automobile", ...).

    Usage, with the files at hand::

        train = CIFAR10(train=True)            # 50,000 images
    """

    name, title = "cifar-10", "CIFAR-10"
    classes = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
               "ship", "truck")
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    archive, archive_md5 = "cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a"
    folder = "cifar-10-batches-py"

    def _batches(self):
        return [f"data_batch_{i}" for i in range(1, 6)] if self.train else ["test_batch"]

    def _expected_files(self):
        names = self._batches()
        listed = "data_batch_1 .. data_batch_5" if len(names) > 1 else names[0]
        return f"{self.folder}/{listed} (or the archive {self.archive})"

    def _locate(self, folder):
        for candidate in (folder / self.folder, folder):
            if all((candidate / b).is_file() for b in self._batches()):
                return candidate
        return folder / self.archive if (folder / self.archive).is_file() else None

    def _read(self, source):
        if source.is_dir():
            batches = [(source / b, _read_bounded(source / b)) for b in self._batches()]
        else:
            batches = [(f"{source}:{name}", data) for name, data in
                       _tar_members(source, [f"{self.folder}/{b}" for b in self._batches()])]
        parts = [_read_cifar_batch(data, where) for where, data in batches]
        return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))

    def _fetch(self, target):
        archive = download(self.url, target / self.archive, self.archive_md5)
        wanted = [f"{self.folder}/{b}" for b in
                  [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]]
        for name, data in _tar_members(archive, wanted):
            atomic_write(target / name, lambda out, data=data: out.write(data))
        archive.unlink()

    def _download_source(self):
        return self.url


# ---------------------------------------------------------------------------- file formats
def read_idx(path, magic):
    """Read the array in a gzipped IDX file (MNIST's format), checking its magic number and size.

    The file is decompressed in pieces of at most 1 MiB and reading stops once the data
    outgrow the size the header gives, so a gzip bomb costs no more memory than the data
    it claims to hold. A file whose name does not end in ``.gz`` may also be the IDX file
    uncompressed, as torchvision unpacks it. A bad file raises ``DatasetFormatError``.

    Args:
        path: the ``.gz`` file (or the unpacked one).
        magic: the expected magic number: 0x00000803 for images (3-D unsigned bytes),
            0x00000801 for labels (1-D).

    Shape:
        images (N, H, W) uint8; labels (N,) int64.

    Returns:
        The array.

    Example::

        >>> import gzip, tempfile
        >>> from pathlib import Path
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = Path(folder) / "t10k-labels-idx1-ubyte.gz"
        ...     with gzip.open(path, "wb") as out:    # magic, then N = 3, then the labels
        ...         _ = out.write(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 9]))
        ...     labels = read_idx(path, 0x00000801)
        >>> labels
        array([7, 2, 9])
    """
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as file:
        lead = file.read(4)
        if lead[:2] != b"\x1f\x8b" and path.suffix != ".gz":   # unpacked, as torchvision keeps it
            return _read_raw_idx(file, path, size, magic)
        if lead[:2] != b"\x1f\x8b":
            raise DatasetFormatError(f"{path}: not a gzip file (it starts with {lead!r}; "
                                     "gzip files start with b'\\x1f\\x8b')")
        file.seek(0)
        data, layout = bytearray(), None
        for piece in _gunzip(file, path, size):
            data += piece
            layout = layout or _idx_layout(data, magic, path)
            if layout is not None and len(data) > layout[2]:
                raise DatasetFormatError(f"{path}: wrong size: the header says shape {layout[1]}, which "
                                         f"needs {layout[2]} bytes, but the file holds more once "
                                         f"decompressed (reading stopped after {len(data)} bytes)")
    layout = layout or _idx_layout(data, magic, path, final=True)
    header, shape, expected = layout
    if len(data) != expected:
        raise DatasetFormatError(f"{path}: wrong size: the header says shape {shape}, which "
                                 f"needs {expected} bytes, but the file holds {len(data)} "
                                 "once decompressed")
    return _idx_array(data, header, shape)


def _idx_array(data, header, shape):
    array = np.frombuffer(bytes(data), dtype=np.uint8, offset=header).reshape(shape)
    return array.astype(np.int64) if len(shape) == 1 else array


def _read_raw_idx(file, path, size, magic):
    """The array of an uncompressed IDX file, its size checked against the header before
    the data are read."""
    file.seek(0)
    head = file.read(4 + 4 * (magic & 0xFF))
    header, shape, expected = _idx_layout(head, magic, path, final=True)
    if size != expected:
        raise DatasetFormatError(f"{path}: wrong size: the header says shape {shape}, which "
                                 f"needs {expected} bytes, but the file holds {size}")
    return _idx_array(head + file.read(), header, shape)


def _idx_variants(folder, name):
    """The files of ``name`` (a .gz) in ``folder``: the archive and/or its unpacked copy."""
    return [p for p in (folder / name, folder / name[:-3]) if p.is_file()]


def _read_idx_either(folder, name, magic):
    """The array of ``name`` or of its unpacked copy; when both are there they must agree,
    since torchvision reads the unpacked one and minin would read the archive."""
    arrays = [(p, read_idx(p, magic)) for p in _idx_variants(folder, name)]
    if len(arrays) == 2 and not np.array_equal(arrays[0][1], arrays[1][1]):
        raise DatasetFormatError(f"{arrays[0][0]} and {arrays[1][0]} hold different data; "
                                 "delete the wrong one (or both, and get them again)")
    return arrays[0][1]


def _gunzip(file, path, size):
    """The decompressed bytes of the single gzip stream in ``file``, in pieces of at most
    ``_CHUNK`` bytes, read ``_CHUNK`` compressed bytes at a time."""
    inflate = zlib.decompressobj(wbits=31)
    while not inflate.eof:
        chunk = inflate.unconsumed_tail or file.read(_CHUNK)
        if not chunk:
            raise DatasetFormatError(f"{path}: the file is truncated (the gzip stream ends early "
                                     f"after {size} bytes); delete it and get it again")
        try:
            piece = inflate.decompress(chunk, _CHUNK)
        except zlib.error as exc:
            raise DatasetFormatError(f"{path}: the compressed data is corrupt ({exc})") from None
        if piece:
            yield piece
    extra = len(inflate.unused_data) + size - file.tell()
    if extra:
        raise DatasetFormatError(f"{path}: {extra} bytes follow the end of the gzip stream; an IDX "
                                 "file is one stream: delete it and get it again")


def _idx_layout(data, magic, path, final=False):
    """(header bytes, shape, total bytes) from the start of an IDX file's ``data``, or None
    while the header is incomplete (an error once the data are ``final``)."""
    if len(data) < 4:
        if final:
            raise DatasetFormatError(f"{path}: {len(data)} bytes is too short for an IDX header")
        return None
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        raise DatasetFormatError(f"{path}: bad magic number 0x{found:08X}, expected 0x{magic:08X} "
                                 f"(an IDX file of {magic & 0xFF}-D unsigned bytes)")
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(data) < header:
        if final:
            raise DatasetFormatError(f"{path}: the file is truncated inside its header")
        return None
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return header, shape, header + math.prod(shape)  # Python ints: a forged header can't wrap around


def _reconstruct_function():
    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # NumPy 1.x
        from numpy.core.multiarray import _reconstruct
    return _reconstruct


def _frombuffer_function():
    """What pickle protocol 5 calls to rebuild an array from its bytes."""
    try:
        from numpy._core.numeric import _frombuffer
    except ImportError:  # NumPy 1.x
        from numpy.core.numeric import _frombuffer
    return _frombuffer


def _latin1_encode(text, encoding):
    """What Python 3 pickles (protocol < 3) call to rebuild bytes; limited to that use."""
    if encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"codecs.encode with encoding {encoding!r} is not allowed")
    return codecs.encode(text, encoding)


class _ForbiddenClass(pickle.UnpicklingError):
    """A pickle names a callable that the dataset unpickler does not allow."""


class _ArrayUnpickler(pickle.Unpickler):
    """An unpickler that only rebuilds NumPy arrays, lists, dicts, numbers and strings.

    Unpickling calls whatever callable a file names, so an ordinary ``pickle.load`` of a
    downloaded file can run anything. CIFAR batches only need the NumPy names below
    (and ``codecs.encode`` when re-pickled by Python 3); everything else is refused.
    """

    _allowed = {("numpy.core.multiarray", "_reconstruct"): _reconstruct_function(),
                ("numpy._core.multiarray", "_reconstruct"): _reconstruct_function(),
                ("numpy.core.numeric", "_frombuffer"): _frombuffer_function(),
                ("numpy._core.numeric", "_frombuffer"): _frombuffer_function(),
                ("numpy", "ndarray"): np.ndarray,
                ("numpy", "dtype"): np.dtype,
                ("_codecs", "encode"): _latin1_encode,
                ("codecs", "encode"): _latin1_encode}

    def find_class(self, module, name):
        try:
            return self._allowed[module, name]
        except KeyError:
            raise _ForbiddenClass(
                f"refusing to load {module}.{name}: only NumPy arrays, lists, dicts and "
                "strings may appear in a dataset file") from None


def _read_cifar_batch(data, where):
    """(images (n, 3, 32, 32) uint8, labels (n,) int64) from the bytes of one CIFAR batch."""
    try:
        batch = _ArrayUnpickler(io.BytesIO(data), encoding="bytes").load()
    except _ForbiddenClass as exc:
        raise DatasetFormatError(f"{where}: {exc}") from None
    except Exception as exc:  # a truncated or garbled pickle fails in many ways
        raise DatasetFormatError(f"{where}: not a readable CIFAR batch "
                                 f"({type(exc).__name__}: {exc})") from None
    if not isinstance(batch, dict):
        raise DatasetFormatError(f"{where}: expected a pickled dict, got {type(batch).__name__}")
    images = batch.get(b"data", batch.get("data"))
    labels = batch.get(b"labels", batch.get("labels"))
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 2 \
            or images.shape[1] != 3 * 32 * 32:
        raise DatasetFormatError(f"{where}: 'data' must be a uint8 array of shape (n, 3072), got "
                                 f"{getattr(images, 'shape', type(images).__name__)}")
    try:
        labels = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError):
        labels = None
    if labels is None or labels.shape != (len(images),):
        raise DatasetFormatError(f"{where}: 'labels' must be a list of {len(images)} integers")
    return images.reshape(-1, 3, 32, 32), labels


def _check_batch_size(where, size):
    if size > _MAX_CIFAR_BATCH:
        raise DatasetFormatError(f"{where}: {size} bytes is far more than a CIFAR batch holds "
                                 f"(about 31 MB); it is not a CIFAR batch")


def _read_bounded(path):
    """The bytes of one CIFAR batch file, refused unread if it is too large to be one."""
    _check_batch_size(path, path.stat().st_size)
    return path.read_bytes()


def _tar_members(archive, names):
    """[(name, bytes)] of the members ``names`` of a .tar.gz, read in one pass."""
    found = {}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                if member.name in names and member.isfile():
                    _check_batch_size(f"{archive}:{member.name}", member.size)
                    found[member.name] = tar.extractfile(member).read()
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise DatasetFormatError(f"{archive}: not a readable .tar.gz archive "
                                 f"({type(exc).__name__}: {exc})") from None
    missing = [n for n in names if n not in found]
    if missing:
        raise DatasetFormatError(f"{archive}: the archive lacks {', '.join(missing)}")
    return [(n, found[n]) for n in names]


# ---------------------------------------------------------------------------- downloads
def download(url, path, md5):
    """Download ``url`` into ``path``, keeping it only if its MD5 checksum is ``md5``.

    ``path`` either holds the whole verified file afterwards or does not exist: the bytes
    go to a temporary file that is renamed only once the checksum matches (a mismatch
    raises ``DatasetFormatError``). A progress bar shows when tqdm is installed.

    Args:
        url: what to fetch (any URL ``urllib`` opens, ``file://`` included).
        path: where to write it.
        md5: the expected MD5 checksum, in hex.

    Returns:
        ``path`` as a ``pathlib.Path``.

    Example::

        >>> import hashlib, tempfile
        >>> from pathlib import Path
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     source = Path(folder) / "source.bin"
        ...     _ = source.write_bytes(b"minin")
        ...     good = download(source.as_uri(), Path(folder) / "good.bin",
        ...                     hashlib.md5(b"minin").hexdigest())
        ...     try:
        ...         download(source.as_uri(), Path(folder) / "bad.bin", "0" * 32)
        ...     except DatasetFormatError:
        ...         print(good.read_bytes(), (Path(folder) / "bad.bin").exists())
        b'minin' False
    """
    def fetch(out):
        digest = hashlib.md5(usedforsecurity=False)
        with urlopen(url, timeout=60) as response:
            total = response.headers.get("Content-Length") if response.headers else None
            bar = _tqdm(total=int(total) if total else None, unit="B", unit_scale=True,
                        unit_divisor=1024, desc=Path(path).name, leave=False) if _tqdm else None
            try:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
            finally:
                if bar is not None:
                    bar.close()
        if digest.hexdigest() != md5:
            raise DatasetFormatError(f"{url}: checksum mismatch: expected MD5 {md5}, got "
                                     f"{digest.hexdigest()}; the download was discarded")

    return Path(atomic_write(path, fetch))
