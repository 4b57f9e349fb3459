"""minin.data: dataset files, lookup and download, the DataLoader, and batch transforms.

Every dataset file used here is written by the test into tmp_path, except the real
Fashion-MNIST files of Debian's dataset-fashion-mnist package, whose tests skip without them.
"""

import hashlib
import http.client
import io
import os
import pickle
import struct
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

import minin as mn
from minin.data import (CIFAR10, MNIST, ArrayDataset, DataLoader, DatasetFormatError,
                        DatasetNotFoundError, FashionMNIST, Subset, datasets, random_split)
from minin.data import transforms as T
from helpers import keep_data_sets_away, no_network, idx_bytes, write_gz

REAL_FASHION = Path("/usr/share/datasets/fashion-mnist")
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot"]


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    keep_data_sets_away(tmp_path, monkeypatch)


# ---------------------------------------------------------------------------- file writers
def make_mnist_files(folder, n_train=6, n_test=4, seed=0):
    """The four IDX files of an MNIST-style dataset; returns {split: (images, labels)}."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, prefix, n in (("train", "train", n_train), ("test", "t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        write_gz(folder / f"{prefix}-images-idx3-ubyte.gz", idx_bytes(images))
        write_gz(folder / f"{prefix}-labels-idx1-ubyte.gz", idx_bytes(labels))
        arrays[split] = images, labels
    return arrays


def py2_pickle(obj):
    """``obj`` pickled the way Python 2's cPickle wrote the CIFAR batches (protocol 2):
    byte strings as Python 2 ``str`` and arrays through numpy.core.multiarray._reconstruct."""
    out = io.BytesIO()

    def string(b):
        out.write(b"U" + bytes([len(b)]) + b if len(b) < 256 else
                  b"T" + struct.pack("<i", len(b)) + b)

    def name(module, attr):
        out.write(b"c" + module.encode() + b"\n" + attr.encode() + b"\n")

    def emit(o):
        if isinstance(o, bool):
            out.write(b"\x88" if o else b"\x89")
        elif isinstance(o, int):
            out.write(b"J" + struct.pack("<i", o))
        elif isinstance(o, bytes):
            string(o)
        elif o is None:
            out.write(b"N")
        elif isinstance(o, tuple):
            out.write(b"(")
            for v in o:
                emit(v)
            out.write(b"t")
        elif isinstance(o, list):
            out.write(b"](")
            for v in o:
                emit(v)
            out.write(b"e")
        elif isinstance(o, dict):
            out.write(b"}(")
            for k, v in o.items():
                emit(k)
                emit(v)
            out.write(b"u")
        elif isinstance(o, np.ndarray):
            name("numpy.core.multiarray", "_reconstruct")
            name("numpy", "ndarray")
            emit((0,))
            string(b"b")
            out.write(b"\x87R(")                       # TUPLE3, REDUCE, then the state
            emit(1)
            emit(o.shape)
            name("numpy", "dtype")
            emit((o.dtype.str[1:].encode(), 0, 1))
            out.write(b"R")
            emit((3, o.dtype.str[:1].encode(), None, None, None, -1, -1, 0))
            out.write(b"b")                            # BUILD: dtype.__setstate__
            emit(False)
            string(o.tobytes())
            out.write(b"tb")                           # BUILD: ndarray.__setstate__
        else:
            raise TypeError(type(o))

    emit(obj)
    out.write(b".")
    return out.getvalue()


def cifar_batch(images, labels, style="py2"):
    batch = {b"batch_label": b"training batch", b"labels": [int(v) for v in labels],
             b"data": images.reshape(len(images), -1), b"filenames": [b"x.png"] * len(images)}
    if style == "py2":
        return py2_pickle(batch)
    return pickle.dumps(batch, protocol=5 if style == "protocol5" else 2)


def cifar_members(n=2, seed=0, style="py2"):
    """{member name: bytes} of a tiny CIFAR-10 archive, and {split: (images, labels)}."""
    rng = np.random.default_rng(seed)
    members, arrays = {}, {"train": ([], []), "test": ([], [])}
    for batch in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        images = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
        labels = rng.integers(0, 10, n)
        members[f"cifar-10-batches-py/{batch}"] = cifar_batch(images, labels, style)
        split = "test" if batch == "test_batch" else "train"
        arrays[split][0].append(images)
        arrays[split][1].append(labels)
    members["cifar-10-batches-py/batches.meta"] = py2_pickle({b"label_names": [b"airplane"]})
    return members, {k: (np.concatenate(a), np.concatenate(b)) for k, (a, b) in arrays.items()}


def write_members(folder, members):
    for name, data in members.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)


def write_tar(path, members):
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def md5(path):
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


# ---------------------------------------------------------------------------- IDX files
def test_mnist_reads_idx_files(tmp_path):
    arrays = make_mnist_files(tmp_path / "m")
    for train, split in ((True, "train"), (False, "test")):
        ds = MNIST(root=tmp_path / "m", train=train, download=False)
        images, labels = arrays[split]
        assert ds.images.shape == (len(images), 1, 28, 28) and ds.images.dtype == np.uint8
        assert ds.labels.dtype == np.int64 and len(ds) == len(images)
        np.testing.assert_array_equal(ds.images[:, 0], images)
        np.testing.assert_array_equal(ds.labels, labels)
        image, label = ds[1]
        np.testing.assert_array_equal(image[0], images[1])
        assert label == labels[1]
    assert ds.classes == [str(d) for d in range(10)] and ds.name == "mnist"
    with pytest.raises(TypeError, match="train must be True"):
        MNIST(root=tmp_path / "m", train="test")
    assert FashionMNIST(root=tmp_path / "m").classes == FASHION_CLASSES


def test_truncated_gzip_is_reported(tmp_path):
    make_mnist_files(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DatasetFormatError, match="truncated") as err:
        MNIST(root=tmp_path)
    assert str(path) in str(err.value)


def test_wrong_payload_size_is_reported(tmp_path):
    make_mnist_files(tmp_path)
    data = idx_bytes(np.zeros((6, 28, 28)))[:-28]
    path = write_gz(tmp_path / "train-images-idx3-ubyte.gz", data)
    with pytest.raises(DatasetFormatError, match=r"wrong size.*\(6, 28, 28\)") as err:
        MNIST(root=tmp_path)
    assert str(path) in str(err.value)


def test_a_header_too_large_for_any_file_is_reported(tmp_path):
    make_mnist_files(tmp_path)
    header = (0x803).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in (2**31, 2**31, 4))
    write_gz(tmp_path / "train-images-idx3-ubyte.gz", header)
    with pytest.raises(DatasetFormatError, match=r"needs 18446744073709551632 bytes"):
        MNIST(root=tmp_path)  # 2**31 · 2**31 · 4 + 16: in int64 it would wrap around to 16


def test_bytes_after_the_gzip_stream_are_reported(tmp_path):
    make_mnist_files(tmp_path)
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes() + b"garbage")
    with pytest.raises(DatasetFormatError, match="7 bytes follow the end of the gzip stream"):
        MNIST(root=tmp_path)


def test_bad_magic_number_is_reported(tmp_path):
    make_mnist_files(tmp_path)
    write_gz(tmp_path / "train-images-idx3-ubyte.gz", idx_bytes(np.zeros(6)))  # a label file
    with pytest.raises(DatasetFormatError,
                       match="bad magic number 0x00000801, expected 0x00000803"):
        MNIST(root=tmp_path)


def test_file_that_is_not_gzip_is_reported(tmp_path):
    make_mnist_files(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(idx_bytes(np.zeros(6)))
    with pytest.raises(DatasetFormatError, match="not a gzip file"):
        MNIST(root=tmp_path)


def test_inconsistent_labels_are_reported(tmp_path):
    make_mnist_files(tmp_path)
    write_gz(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(np.zeros(5)))
    with pytest.raises(DatasetFormatError, match="6 images but 5 labels"):
        MNIST(root=tmp_path)
    write_gz(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(np.full(6, 10)))
    with pytest.raises(DatasetFormatError, match=r"0\.\.9, found 10\.\.10"):
        MNIST(root=tmp_path)


def test_a_gzip_bomb_is_refused_after_reading_only_what_the_header_promises(tmp_path):
    import tracemalloc
    import zlib

    make_mnist_files(tmp_path)
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    with open(path, "wb") as f:  # 6 labels promised, 128 MiB of zeros delivered (130 KB on disk)
        f.write(deflate.compress(idx_bytes(np.zeros(6))))
        zeros = bytes(1 << 20)
        for _ in range(128):
            f.write(deflate.compress(zeros))
        f.write(deflate.flush())
    tracemalloc.start()
    try:
        with pytest.raises(DatasetFormatError, match=r"shape \(6,\), which needs 14 bytes, but the file "
                                                     r"holds more once decompressed"):
            MNIST(root=tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20


def test_a_cifar_batch_too_large_to_be_one_is_refused_unread(tmp_path):
    members, _ = cifar_members()
    write_members(tmp_path, members)
    path = tmp_path / "cifar-10-batches-py" / "data_batch_2"
    with open(path, "wb") as f:
        f.truncate(65 << 20)  # sparse: no disk space used
    with pytest.raises(DatasetFormatError, match="far more than a CIFAR batch holds"):
        CIFAR10(root=tmp_path)


def test_labels_made_with_mn_tensor_get_a_clear_error():
    with pytest.raises(TypeError, match="labels must be integer class indices such as a NumPy int64 array, "
                                        "got a minin Tensor"):
        ArrayDataset(np.zeros((2, 1, 4, 4), np.uint8), mn.tensor([0.0, 1.0]))


# ---------------------------------------------------------------------------- where files are found
def test_lookup_order_root_then_env_then_cache_then_system(tmp_path, monkeypatch):
    cache = tmp_path / "home" / ".cache" / "minin" / "fashion-mnist"
    env = tmp_path / "env"
    system = tmp_path / "system"
    make_mnist_files(system, n_train=3)
    monkeypatch.setattr(FashionMNIST, "system_dirs", (str(system),))
    assert len(FashionMNIST()) == 3
    make_mnist_files(cache, n_train=4)
    assert len(FashionMNIST()) == 4
    make_mnist_files(env / "fashion-mnist", n_train=5)
    monkeypatch.setenv("MININ_DATA", str(env))
    assert len(FashionMNIST()) == 5
    make_mnist_files(tmp_path / "root", n_train=2)
    assert len(FashionMNIST(root=tmp_path / "root")) == 2
    assert FashionMNIST().source == env / "fashion-mnist"


def test_root_is_the_only_place_looked_in_when_given(tmp_path):
    make_mnist_files(tmp_path / "home" / ".cache" / "minin" / "mnist")
    assert len(MNIST(download=False)) == 6
    with pytest.raises(DatasetNotFoundError):
        MNIST(root=tmp_path / "empty", download=False)


def test_a_folder_counts_only_with_every_file_the_split_needs(tmp_path, monkeypatch):
    monkeypatch.setenv("MININ_DATA", str(tmp_path / "env"))
    make_mnist_files(tmp_path / "env" / "mnist", n_test=7)
    (tmp_path / "env" / "mnist" / "train-labels-idx1-ubyte.gz").unlink()
    make_mnist_files(tmp_path / "home" / ".cache" / "minin" / "mnist", n_train=9, n_test=3)
    assert len(MNIST(train=True, download=False)) == 9     # the env folder lacks a train file
    assert len(MNIST(train=False, download=False)) == 7    # but has both test files


def test_not_found_error_names_places_files_and_remedies(tmp_path, monkeypatch):
    monkeypatch.setattr(FashionMNIST, "system_dirs", (str(tmp_path / "sys"),))
    with pytest.raises(DatasetNotFoundError) as err:
        FashionMNIST(train=False, download=False)
    assert isinstance(err.value, FileNotFoundError)
    msg = str(err.value)
    for text in (str(tmp_path / "home" / ".cache" / "minin" / "fashion-mnist"),
                 str(tmp_path / "sys"), "MININ_DATA is not set",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
                 "apt-get install dataset-fashion-mnist", "download=True",
                 "fashion-mnist.s3-website.eu-central-1.amazonaws.com"):
        assert text in msg
    monkeypatch.setenv("MININ_DATA", str(tmp_path / "env"))
    with pytest.raises(DatasetNotFoundError, match=str(tmp_path / "env" / "cifar-10")) as err:
        CIFAR10(download=False)
    assert "data_batch_1 .. data_batch_5" in str(err.value)
    assert "cifar-10-python.tar.gz" in str(err.value)


# ---------------------------------------------------------------------------- downloads
@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A local file:// mirror of a tiny Fashion-MNIST, with the dataset's checksums replaced."""
    arrays = make_mnist_files(tmp_path / "mirror")
    monkeypatch.setattr(FashionMNIST, "mirrors", ((tmp_path / "mirror").as_uri() + "/",))
    monkeypatch.setattr(FashionMNIST, "md5",
                        {p.name: md5(p) for p in (tmp_path / "mirror").iterdir()})
    monkeypatch.setattr(datasets, "urlopen", urllib.request.urlopen)
    return arrays


def test_download_writes_verified_files_into_the_cache(tmp_path, mirror, monkeypatch, capsys):
    monkeypatch.setattr(datasets, "_tqdm", None)
    ds = FashionMNIST(train=False)
    folder = tmp_path / "home" / ".cache" / "minin" / "fashion-mnist"
    assert ds.source == folder
    assert sorted(p.name for p in folder.iterdir()) == ["t10k-images-idx3-ubyte.gz",
                                                        "t10k-labels-idx1-ubyte.gz"]
    np.testing.assert_array_equal(ds.labels, mirror["test"][1])
    assert capsys.readouterr() == ("", "")        # no progress bar without tqdm, and no noise
    monkeypatch.setattr(datasets, "urlopen", no_network)
    assert len(FashionMNIST(train=False)) == 4    # found in the cache this time


def test_download_goes_to_minin_data_or_root(tmp_path, mirror, monkeypatch):
    monkeypatch.setenv("MININ_DATA", str(tmp_path / "env"))
    assert FashionMNIST().source == tmp_path / "env" / "fashion-mnist"
    assert FashionMNIST(root=tmp_path / "mine").source == tmp_path / "mine"
    assert (tmp_path / "mine" / "train-images-idx3-ubyte.gz").is_file()


def test_downloaded_files_get_the_mode_the_umask_gives(tmp_path, mirror):
    previous = os.umask(0o022)
    try:
        ds = FashionMNIST(train=False)
    finally:
        os.umask(previous)
    for path in ds.source.iterdir():
        assert path.stat().st_mode & 0o777 == 0o644, path  # mkstemp alone would give 0o600


def test_download_with_wrong_checksum_is_discarded(tmp_path, mirror, monkeypatch):
    monkeypatch.setitem(FashionMNIST.md5, "train-images-idx3-ubyte.gz", "0" * 32)
    with pytest.raises(DatasetFormatError, match="checksum mismatch: expected MD5 0{32}"):
        FashionMNIST()
    folder = tmp_path / "home" / ".cache" / "minin" / "fashion-mnist"
    assert list(folder.iterdir()) == []           # neither the file nor a temporary one is left


def test_failed_download_raises_not_found_with_the_reason(monkeypatch):
    monkeypatch.setattr(MNIST, "mirrors", ("https://example.invalid/mnist/",))
    with pytest.raises(DatasetNotFoundError, match="the download failed.*no network") as err:
        MNIST()
    assert "https://example.invalid/mnist/" in str(err.value)


def test_a_connection_dropped_mid_download_raises_not_found(tmp_path, monkeypatch):
    class Dropped(io.BytesIO):
        headers = {"Content-Length": "1000"}

        def read(self, size=-1):
            raise http.client.IncompleteRead(b"x" * 256, 744)

    monkeypatch.setattr(datasets, "urlopen", lambda url, timeout: Dropped())
    with pytest.raises(DatasetNotFoundError, match="the download failed: IncompleteRead"):
        MNIST(root=tmp_path / "m")
    assert list((tmp_path / "m").iterdir()) == []  # no partial file left behind


def test_download_reads_a_stream_with_content_length(tmp_path, monkeypatch):
    """urlopen as the network gives it: chunks of a response with a Content-Length header."""
    payload = os.urandom(3 * 2**20 + 5)

    class Response(io.BytesIO):
        headers = {"Content-Length": str(len(payload))}

    monkeypatch.setattr(datasets, "urlopen", lambda url, timeout: Response(payload))
    path = datasets.download("https://example.invalid/f", tmp_path / "d" / "f",
                             hashlib.md5(payload).hexdigest())
    assert path.read_bytes() == payload and os.listdir(tmp_path / "d") == ["f"]


# ---------------------------------------------------------------------------- CIFAR-10
@pytest.mark.parametrize("style", ["py2", "py3", "protocol5"])
def test_cifar_reads_the_batches_folder(tmp_path, style):
    members, arrays = cifar_members(style=style)
    write_members(tmp_path, members)
    for train, split in ((True, "train"), (False, "test")):
        ds = CIFAR10(root=tmp_path, train=train, download=False)
        assert ds.images.shape == (len(arrays[split][0]), 3, 32, 32)
        assert ds.images.dtype == np.uint8 and ds.labels.dtype == np.int64
        np.testing.assert_array_equal(ds.images, arrays[split][0])
        np.testing.assert_array_equal(ds.labels, arrays[split][1])
    assert ds.classes[0] == "airplane" and ds.classes[9] == "truck" and len(ds.classes) == 10
    assert len(CIFAR10(root=tmp_path / "cifar-10-batches-py", train=False)) == 2


def test_cifar_reads_the_archive(tmp_path):
    members, arrays = cifar_members()
    write_tar(tmp_path / "cifar-10-python.tar.gz", members)
    ds = CIFAR10(root=tmp_path, train=True, download=False)
    np.testing.assert_array_equal(ds.images, arrays["train"][0])
    del members["cifar-10-batches-py/test_batch"]
    write_tar(tmp_path / "cifar-10-python.tar.gz", members)
    with pytest.raises(DatasetFormatError, match="lacks cifar-10-batches-py/test_batch"):
        CIFAR10(root=tmp_path, train=False)


def test_cifar_pickle_with_a_forbidden_class_is_refused_unexecuted(tmp_path):
    members, _ = cifar_members()
    write_members(tmp_path, members)
    marker = tmp_path / "pwned"
    command = f"touch {marker}".encode()
    evil = b"\x80\x02}(U\x04datacos\nsystem\nU" + bytes([len(command)]) + command + b"\x85Ru."
    (tmp_path / "cifar-10-batches-py" / "test_batch").write_bytes(evil)
    with pytest.raises(DatasetFormatError, match="refusing to load os.system") as err:
        CIFAR10(root=tmp_path, train=False)
    assert "test_batch" in str(err.value)
    assert not marker.exists()


def test_cifar_truncated_batch_is_reported(tmp_path):
    members, _ = cifar_members()
    write_members(tmp_path, members)
    path = tmp_path / "cifar-10-batches-py" / "data_batch_3"
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(DatasetFormatError, match="data_batch_3: not a readable CIFAR batch"):
        CIFAR10(root=tmp_path)


def test_cifar_download_extracts_the_archive(tmp_path, monkeypatch):
    members, arrays = cifar_members()
    archive = write_tar(tmp_path / "mirror" / "cifar-10-python.tar.gz", members)
    monkeypatch.setattr(CIFAR10, "url", archive.as_uri())
    monkeypatch.setattr(CIFAR10, "archive_md5", md5(archive))
    monkeypatch.setattr(datasets, "urlopen", urllib.request.urlopen)
    ds = CIFAR10(train=False)
    folder = tmp_path / "home" / ".cache" / "minin" / "cifar-10"
    assert ds.source == folder / "cifar-10-batches-py"
    assert sorted(os.listdir(folder)) == ["cifar-10-batches-py"]    # the archive is removed
    assert len(os.listdir(folder / "cifar-10-batches-py")) == 7
    np.testing.assert_array_equal(ds.images, arrays["test"][0])


# ---------------------------------------------------------------------------- the real files
@pytest.fixture(scope="module")
def real_fashion():
    if not (REAL_FASHION / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    return FashionMNIST(root=REAL_FASHION, train=True), FashionMNIST(root=REAL_FASHION, train=False)


def test_real_fashion_mnist(real_fashion):
    train, test = real_fashion
    assert train.images.shape == (60000, 1, 28, 28) and test.images.shape == (10000, 1, 28, 28)
    for ds in (train, test):
        assert ds.images.dtype == np.uint8 and ds.labels.dtype == np.int64
        assert ds.classes == FASHION_CLASSES
        np.testing.assert_array_equal(np.bincount(ds.labels), [len(ds) // 10] * 10)
    assert train.images.max() == 255 and train.images.min() == 0


def test_real_fashion_mnist_is_found_in_the_system_folder(monkeypatch):
    if not (REAL_FASHION / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    monkeypatch.setattr(FashionMNIST, "system_dirs", (str(REAL_FASHION),))
    assert FashionMNIST(train=False, download=False).source == REAL_FASHION


# ---------------------------------------------------------------------------- splits
def numbered(n=10, channels=1, size=4):
    """A dataset whose image i is filled with the value i, so a batch tells its indices."""
    images = np.broadcast_to(np.arange(n, dtype=np.uint8)[:, None, None, None],
                             (n, channels, size, size)).copy()
    return ArrayDataset(images, np.arange(n) % 3, classes=["a", "b", "c"])


def test_random_split_is_a_seeded_partition():
    ds = numbered(10)
    a, b = random_split(ds, [7, 3], seed=1)
    assert (len(a), len(b)) == (7, 3)
    assert sorted(np.concatenate([a.indices, b.indices]).tolist()) == list(range(10))
    np.testing.assert_array_equal(a.images[:, 0, 0, 0], a.indices)
    np.testing.assert_array_equal(a.labels, a.indices % 3)
    assert a.classes == ["a", "b", "c"] and b.images.shape == (3, 1, 4, 4)
    np.testing.assert_array_equal(random_split(ds, [7, 3], seed=1)[0].indices, a.indices)
    mn.manual_seed(5)
    first = random_split(ds, [5, 5])[0].indices
    mn.manual_seed(5)
    np.testing.assert_array_equal(random_split(ds, [5, 5])[0].indices, first)
    with pytest.raises(ValueError, match=r"add up to 9, but the dataset has 10"):
        random_split(ds, [6, 3])


def test_subset_checks_its_indices():
    ds = numbered(5)
    np.testing.assert_array_equal(Subset(ds, [4, 0]).labels, [1, 0])
    with pytest.raises(IndexError, match=r"\[0, 5\)"):
        Subset(ds, [5])
    with pytest.raises(TypeError, match="integers"):
        Subset(ds, [0.5])


# ---------------------------------------------------------------------------- DataLoader
def indices_of(images):
    return np.rint(mn.backend.asnumpy(images.data)[:, 0, 0, 0] * 255).astype(int).tolist()


def test_loader_batches_in_order(backend):
    loader = DataLoader(numbered(10), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    images, labels = batches[0]
    assert isinstance(images, mn.Tensor) and images.backend == backend == labels.backend
    assert images.dtype == np.float32 and images.shape == (4, 1, 4, 4)
    assert labels.dtype == np.int64 and labels.tolist() == [0, 1, 2, 0]
    assert float(images.data.max()) <= 1.0
    assert [indices_of(x) for x, _ in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_loader_drop_last():
    loader = DataLoader(numbered(10), batch_size=4, drop_last=True)
    assert len(loader) == 2 and [len(y) for _, y in loader] == [4, 4]
    assert len(DataLoader(numbered(8), batch_size=4, drop_last=True)) == 2


def test_loader_shuffles_a_new_permutation_each_epoch():
    loader = DataLoader(numbered(50), batch_size=8, shuffle=True, seed=3)
    epochs = [sum((indices_of(x) for x, _ in loader), []) for _ in range(3)]
    for order in epochs:
        assert sorted(order) == list(range(50))
    assert epochs[0] != epochs[1] != epochs[2]
    again = DataLoader(numbered(50), batch_size=8, shuffle=True, seed=3)
    assert [sum((indices_of(x) for x, _ in again), []) for _ in range(3)] == epochs


def test_loader_follows_manual_seed():
    augment = T.Compose([T.ToFloat(), T.RandomCrop(3, padding=1), T.RandomHorizontalFlip()])

    def run():
        mn.manual_seed(11)
        loader = DataLoader(numbered(20), batch_size=6, shuffle=True, transform=augment)
        return [(x.numpy(), y.numpy()) for _ in range(2) for x, y in loader]

    first, second = run(), run()
    for (x1, y1), (x2, y2) in zip(first, second, strict=True):
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)


def test_loader_applies_the_transform_to_uint8_batches():
    seen = []

    def transform(x):
        seen.append(x.dtype)
        return x.astype(np.float32) * 2

    images, _ = next(iter(DataLoader(numbered(4), batch_size=4, transform=transform)))
    assert seen == [np.uint8] and images.numpy()[:, 0, 0, 0].tolist() == [0, 2, 4, 6]


def test_loader_device_resident_gives_the_same_batches(backend):
    plain = DataLoader(numbered(9), batch_size=4, shuffle=True, seed=0)
    resident = DataLoader(numbered(9), batch_size=4, shuffle=True, seed=0, device_resident=True)
    for _ in range(2):
        for (x1, y1), (x2, y2) in zip(plain, resident, strict=True):
            assert x2.backend == backend
            np.testing.assert_array_equal(x1.numpy(), x2.numpy())
            np.testing.assert_array_equal(y1.numpy(), y2.numpy())


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(batch_size=0), ValueError, "batch_size must be a positive int, got 0"),
    (dict(batch_size=2.0), ValueError, "batch_size must be a positive int"),
    (dict(batch_size=20, drop_last=True), ValueError, "no batch at all"),
    (dict(batch_size=2, transform="flip"), TypeError, "transform must be callable"),
    (dict(batch_size=2, seed=1.5), TypeError, "seed must be an int"),
])
def test_loader_validates_its_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        DataLoader(numbered(10), **kwargs)


def test_loader_validates_the_dataset():
    with pytest.raises(TypeError, match=r"\.images"):
        DataLoader([1, 2, 3], batch_size=1)
    with pytest.raises(ValueError, match="non-empty"):
        DataLoader(ArrayDataset(np.zeros((0, 1, 2, 2), np.uint8), np.zeros(0, int)), batch_size=1)


# ---------------------------------------------------------------------------- transforms
def test_to_float_and_normalize():
    x = np.array([0, 51, 255], dtype=np.uint8).reshape(1, 3, 1, 1)
    y = T.ToFloat()(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.ravel(), [0, 0.2, 1], rtol=1e-7)
    z = T.Normalize([0.0, 0.1, 0.5], [1.0, 0.5, 0.25])(y)
    assert z.dtype == np.float32
    np.testing.assert_allclose(z.ravel(), [0, 0.2, 2], rtol=1e-6)
    np.testing.assert_allclose(T.Normalize(0.5, 0.5)(y).ravel(), [-1, -0.6, 1], rtol=1e-6)
    with pytest.raises(TypeError, match="uint8"):
        T.ToFloat()(y)
    with pytest.raises(ValueError, match="2 channel values, but the batch has 3 channels"):
        T.Normalize([0, 0], [1, 1])(y)
    with pytest.raises(TypeError, match=r"put ToFloat\(\) before it"):
        T.Normalize(0, 1)(x)


def test_random_crop_with_padding_gives_shifted_windows(rng):
    x = rng.random((64, 2, 6, 5), dtype=np.float32)
    y = T.RandomCrop((6, 5), padding=2)(x)
    assert y.shape == x.shape and y.dtype == np.float32
    padded = np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)))
    offsets = set()
    for i in range(len(x)):
        found = [(r, c) for r in range(5) for c in range(5)
                 if np.array_equal(padded[i, :, r:r + 6, c:c + 5], y[i])]
        assert found, f"image {i} is not a window of its padded input"
        offsets.add(found[0])
    assert len(offsets) > 10          # each image gets its own offset


def test_random_crop_smaller_than_the_image(rng):
    x = rng.integers(0, 256, (8, 3, 10, 10), dtype=np.uint8)
    y = T.RandomCrop(7)(x)
    assert y.shape == (8, 3, 7, 7) and y.dtype == np.uint8
    with pytest.raises(ValueError, match="does not fit"):
        T.RandomCrop(11)(x)


def test_random_horizontal_flip(rng):
    x = rng.random((200, 1, 3, 4), dtype=np.float32)
    y = T.RandomHorizontalFlip()(x)
    flipped = [np.array_equal(y[i], x[i, :, :, ::-1]) for i in range(len(x))]
    kept = [np.array_equal(y[i], x[i]) for i in range(len(x))]
    assert all(f or k for f, k in zip(flipped, kept, strict=True))
    assert 60 < sum(flipped) < 140
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0)(x), x)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1)(x), x[..., ::-1])


@pytest.mark.parametrize("shape, size", [((2, 1, 28, 28), 224), ((2, 3, 32, 32), (20, 12)),
                                         ((1, 2, 28, 28), (17, 40)), ((3, 1, 24, 24), 5)])
def test_resize_matches_torch_bilinear(rng, shape, size):
    torch = pytest.importorskip("torch")
    x = rng.random(shape, dtype=np.float32)
    ours = T.Resize(size)(x)
    theirs = torch.nn.functional.interpolate(torch.from_numpy(x), size=size, mode="bilinear",
                                             align_corners=False, antialias=False).numpy()
    assert ours.dtype == np.float32 and ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_resize_int_size_sets_the_smaller_edge():
    x = np.zeros((1, 1, 10, 20), np.float32)
    assert T.Resize(5)(x).shape == (1, 1, 5, 10)
    assert T.Resize((3, 4))(x).shape == (1, 1, 3, 4)
    with pytest.raises(TypeError, match="ToFloat"):
        T.Resize(5)(x.astype(np.uint8))


def test_transform_reprs():
    text = repr(T.Compose([T.ToFloat(), T.RandomCrop(28, padding=4), T.RandomHorizontalFlip(),
                           T.Normalize(0.5, 0.25), T.Resize(224)]))
    for part in ("ToFloat()", "RandomCrop(size=(28, 28), padding=4)", "RandomHorizontalFlip(p=0.5)",
                 "Normalize(mean=[0.5], std=[0.25])", "Resize(size=224)"):
        assert part in text


# ---------------------------------------------------------------------------- GPU
@pytest.fixture
def cupy():
    cupy = pytest.importorskip("cupy")
    try:
        if cupy.cuda.runtime.getDeviceCount() == 0:
            pytest.skip("no GPU visible to CuPy")
    except cupy.cuda.runtime.CUDARuntimeError:
        pytest.skip("no GPU visible to CuPy")
    return cupy


@pytest.mark.gpu
def test_transforms_on_the_gpu_match_numpy(cupy, rng):
    mn.backend.use("cupy")
    try:
        x = rng.integers(0, 256, (16, 3, 12, 12), dtype=np.uint8)
        resize = T.Compose([T.ToFloat(), T.Normalize([0.1, 0.2, 0.3], [0.5, 0.5, 0.5]),
                            T.Resize(30)])
        on_gpu = resize(cupy.asarray(x))
        assert isinstance(on_gpu, cupy.ndarray) and on_gpu.dtype == np.float32
        np.testing.assert_allclose(cupy.asnumpy(on_gpu), resize(x), atol=1e-5)
        crop = T.RandomCrop(12, padding=3)(cupy.asarray(x))
        assert isinstance(crop, cupy.ndarray) and crop.shape == x.shape
        flip = T.RandomHorizontalFlip()(cupy.asarray(x))
        assert isinstance(flip, cupy.ndarray) and flip.shape == x.shape
    finally:
        mn.backend.use("numpy")
