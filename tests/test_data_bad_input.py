"""minin.vision, minin.data and minin.utils.data fed what users get wrong and what torchvision
programs do: damaged or unpacked data files, a root folder that must stay as the user left
it, transforms' arguments, and the DataLoader's against torch.utils.data's. Every data set
file is written into tmp_path; the real Fashion-MNIST files are only read, and their test
skips without them."""

import gzip
import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minin as mn
from minin.data import DatasetFormatError, datasets as data_datasets
from minin.utils.data import (BatchSampler, ConcatDataset, DataLoader, RandomSampler,
                              SequentialSampler, Subset, SubsetRandomSampler, TensorDataset,
                              default_collate, random_split)
from minin.vision import datasets, transforms, utils
from helpers import keep_data_sets_away, idx_bytes, write_gz

REAL_FASHION = Path("/usr/share/datasets/fashion-mnist")
TEST_FILES = ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    keep_data_sets_away(tmp_path, monkeypatch)


def write_idx(folder, n=8, seed=0, unpacked=False):
    """The test split's two IDX files, gzipped or (``unpacked``) as torchvision leaves them."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in zip(TEST_FILES, (images, labels)):
        if unpacked:
            (folder / name[:-3]).write_bytes(idx_bytes(array))
        else:
            write_gz(folder / name, idx_bytes(array))
    return images, labels


def contents(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ data set files

def test_unpacked_idx_files_are_read_as_torchvision_reads_them(tmp_path):
    raw = tmp_path / "FashionMNIST" / "raw"
    images, labels = write_idx(raw, unpacked=True)
    ds = datasets.FashionMNIST(tmp_path, train=False)
    np.testing.assert_array_equal(ds.images[:, 0], images)
    assert [ds[i][1] for i in range(len(ds))] == labels.tolist()
    write_idx(raw)                                   # the archives beside them, the same data
    assert len(datasets.FashionMNIST(tmp_path, train=False)) == 8
    (raw / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes((labels + 1) % 10))
    with pytest.raises(DatasetFormatError, match="hold different data") as err:
        datasets.FashionMNIST(tmp_path, train=False)
    assert "t10k-labels-idx1-ubyte.gz and " in str(err.value)


def test_a_damaged_unpacked_idx_file_is_reported(tmp_path):
    raw = tmp_path / "FashionMNIST" / "raw"
    write_idx(raw, unpacked=True)
    path = raw / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(DatasetFormatError, match=r"wrong size.*\(8, 28, 28\)"):
        datasets.FashionMNIST(tmp_path, train=False)
    path.write_bytes(idx_bytes(np.zeros(8)))         # a label file in its place
    with pytest.raises(DatasetFormatError, match="bad magic number 0x00000801"):
        datasets.FashionMNIST(tmp_path, train=False)
    path.write_bytes(b"\x00\x00")
    with pytest.raises(DatasetFormatError, match="too short|truncated"):
        datasets.FashionMNIST(tmp_path, train=False)


def test_images_of_the_wrong_size_are_refused(tmp_path):
    raw = tmp_path / "FashionMNIST" / "raw"
    write_idx(raw)
    header = (0x803).to_bytes(4, "big") + (8).to_bytes(4, "big") + bytes(8)   # 8 images of 0x0
    write_gz(raw / TEST_FILES[0], header)
    with pytest.raises(DatasetFormatError, match="images must be 28x28, the file holds 0x0"):
        datasets.FashionMNIST(tmp_path, train=False)


def test_real_files_unpacked_read_the_same(tmp_path):
    if not all((REAL_FASHION / name).is_file() for name in TEST_FILES):
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in TEST_FILES:                          # copies: the originals are only read
        (raw / name[:-3]).write_bytes(gzip.decompress((REAL_FASHION / name).read_bytes()))
    unpacked = datasets.FashionMNIST(tmp_path, train=False)
    packed = data_datasets.FashionMNIST(REAL_FASHION, train=False, download=False)
    np.testing.assert_array_equal(unpacked.images, packed.images)
    np.testing.assert_array_equal(unpacked.labels, packed.labels)


def test_download_copies_only_missing_files_and_never_replaces_the_users(tmp_path, monkeypatch):
    write_idx(tmp_path / "elsewhere" / "fashion-mnist")
    monkeypatch.setenv("MININ_DATA", str(tmp_path / "elsewhere"))
    raw = tmp_path / "root" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / TEST_FILES[1]).write_bytes(b"the user's own file")
    with pytest.raises(DatasetFormatError, match="t10k-labels-idx1-ubyte.gz: not a gzip file"):
        datasets.FashionMNIST(tmp_path / "root", train=False, download=True)
    assert (raw / TEST_FILES[1]).read_bytes() == b"the user's own file"
    assert (raw / TEST_FILES[0]).is_file()           # the missing one was copied
    assert not [p for p in raw.iterdir() if p.name.endswith(".part")]


def test_cifar_download_keeps_the_users_batches(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    source = tmp_path / "elsewhere" / "cifar-10" / "cifar-10-batches-py"
    source.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {"data": rng.integers(0, 256, (2, 3072), dtype=np.uint8), "labels": [1, 2]}
        (source / name).write_bytes(pickle.dumps(batch, protocol=2))
    monkeypatch.setenv("MININ_DATA", str(tmp_path / "elsewhere"))
    mine = tmp_path / "root" / "cifar-10-batches-py"
    mine.mkdir(parents=True)
    (mine / "test_batch").write_bytes(b"kept as it is")
    ds = datasets.CIFAR10(tmp_path / "root", train=True, download=True)
    assert len(ds) == 10 and (mine / "test_batch").read_bytes() == b"kept as it is"
    assert (mine / "data_batch_5").read_bytes() == (source / "data_batch_5").read_bytes()


def test_a_failed_load_leaves_root_as_it_was(tmp_path):
    raw = tmp_path / "FashionMNIST" / "raw"
    write_idx(raw)
    path = raw / TEST_FILES[0]
    path.write_bytes(path.read_bytes()[:100])        # truncated
    (raw / "notes.txt").write_text("mine")
    before = contents(tmp_path)
    for download in (False, True):
        with pytest.raises(DatasetFormatError, match="truncated"):
            datasets.FashionMNIST(tmp_path, train=False, download=download)
    assert contents(tmp_path) == before


def test_a_file_as_root_is_named(tmp_path):
    (tmp_path / "data").write_text("not a folder")
    for download in (False, True):
        with pytest.raises(NotADirectoryError, match="root must be a folder, but .*data is a file"):
            datasets.FashionMNIST(tmp_path / "data", train=False, download=download)
    assert (tmp_path / "data").read_text() == "not a folder"


# ------------------------------------------------------------------ the batch path

@pytest.mark.parametrize("transform", [
    transforms.Resize(20), transforms.RandomHorizontalFlip(1.0),
    transforms.Compose([transforms.RandomCrop(28), transforms.Resize((30, 26))])])
def test_without_to_tensor_batches_collate_the_samples_as_torchvision(tmp_path, transform):
    write_idx(tmp_path / "FashionMNIST" / "raw")
    ds = datasets.FashionMNIST(tmp_path, train=False, transform=transform)
    x, y = next(iter(DataLoader(ds, batch_size=4)))
    expected = default_collate([ds[i] for i in range(4)])[0]
    assert x.shape == expected.shape == (4,) + ds[0][0].shape and x.dtype == np.uint8
    np.testing.assert_array_equal(x.numpy(), expected.numpy())   # deterministic here
    assert y.dtype == np.int64


def test_makes_tensor_looks_inside_compose():
    assert transforms.makes_tensor(transforms.Compose([transforms.Compose([
        transforms.ToTensor()]), transforms.Normalize(0.5, 0.5)]))
    assert not transforms.makes_tensor(transforms.Compose([transforms.Resize(4)]))


# ------------------------------------------------------------------ transforms

def test_a_size_sequence_of_one_as_torchvision():
    image = np.arange(12, dtype=np.uint8).reshape(3, 4)
    np.testing.assert_array_equal(transforms.Resize([6])(image), transforms.Resize(6)(image))
    assert transforms.Resize([6])(image).shape == (6, 8)     # the smaller edge
    assert transforms.RandomCrop([2])(image).shape == (2, 2)  # a square


@pytest.mark.parametrize("size", [2.5, "a", None, (), (2, 2.0), (True, 2), (1, 2, 3)])
def test_bad_sizes_are_named_where_the_transform_is_made(size):
    with pytest.raises(ValueError, match="size must be a positive int"):
        transforms.Resize(size)
    with pytest.raises(ValueError, match="size must be a positive int"):
        transforms.RandomCrop(size)


def test_resize_of_an_empty_image_is_an_error():
    with pytest.raises(ValueError, match=r"cannot resize empty images \(0x6\)"):
        transforms.Resize(3)(np.zeros((0, 6), np.uint8))


def test_normalize_arguments_as_torchvision():
    x = np.random.default_rng(0).random((3, 4, 5))
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    out = transforms.Normalize(mean, std)(mn.tensor(x))
    assert out.dtype == np.float64                   # float64 values, not float32 ones
    expected = (x - np.array(mean)[:, None, None]) / np.array(std)[:, None, None]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-15, atol=0)
    broadcast = transforms.Normalize(mean, (0.5,))(mn.tensor(x))     # torchvision broadcasts
    np.testing.assert_allclose(broadcast.numpy(), (x - np.array(mean)[:, None, None]) / 0.5)
    for bad in [(None, None), ("a", "b"), (0.5, float("nan")), ((0.1, 0.2), (1, 2, 3))]:
        with pytest.raises(ValueError, match="Normalize: mean and std must be"):
            transforms.Normalize(*bad)
    with pytest.raises(TypeError, match="float Tensor.*got dtype int64"):
        transforms.Normalize(0.5, 0.5)(mn.tensor(np.ones((1, 2, 2), np.int64)))


def test_transform_arguments_of_the_wrong_kind():
    with pytest.raises(TypeError, match=r"Compose expects a list of transforms, got ToTensor\(\)"):
        transforms.Compose(transforms.ToTensor())
    for p in ("0.5", None, float("nan")):
        with pytest.raises(ValueError, match="p must lie in"):
            transforms.RandomHorizontalFlip(p)
    for pic in (None, "image.png"):
        with pytest.raises(TypeError, match="ToTensor expects an image"):
            transforms.ToTensor()(pic)
    with pytest.raises(ValueError, match="nrow must be a positive int"):
        utils.make_grid(np.zeros((5, 1, 2, 2)), nrow=2.0)


@settings(max_examples=25, deadline=None)
@given(h=st.integers(1, 12), w=st.integers(1, 12), oh=st.integers(1, 24), ow=st.integers(1, 24))
def test_resize_matches_torch_on_odd_sizes(h, w, oh, ow):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(h * 100 + w).random((2, h, w)).astype(np.float32)
    ours = transforms.Resize((oh, ow))(mn.tensor(x)).numpy()
    theirs = torch.nn.functional.interpolate(torch.tensor(x)[None], size=(oh, ow),
                                             mode="bilinear", align_corners=False)[0].numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


# ------------------------------------------------------------------ utils.data

def numbers_dataset(n=10):
    return TensorDataset(np.arange(n, dtype=np.float32)[:, None], np.arange(n))


def test_subset_refuses_indices_that_would_pick_other_samples():
    ds = numbers_dataset()
    for indices in ([1.7, 2.2], [True, False, True], "abc", None):
        with pytest.raises(TypeError, match="Subset: indices must be a sequence of ints"):
            Subset(ds, indices)
    with pytest.raises(IndexError, match=r"\[-10, 10\).*from 3 to 15"):
        Subset(ds, [3, 15])
    assert Subset(ds, [-1])[0][1].item() == 9 and len(Subset(ds, [])) == 0
    with pytest.raises(TypeError, match="lengths must be a list"):
        random_split(ds, 5)


def test_default_collate_of_an_array_and_a_number():
    with pytest.raises(TypeError, match="must all be arrays or Tensors like the first, got int"):
        default_collate([np.zeros(2), 1])


def test_concat_dataset_as_torch():
    torch = pytest.importorskip("torch")
    parts = [list(range(3)), list(range(10, 12)), [20]]
    ours, theirs = ConcatDataset(parts), torch.utils.data.ConcatDataset(parts)
    assert len(ours) == len(theirs) == 6 and ours.cumulative_sizes == theirs.cumulative_sizes
    assert [ours[i] for i in range(-6, 6)] == [theirs[i] for i in range(-6, 6)]
    with pytest.raises(IndexError, match="index 6 is out of range for 6 samples"):
        ours[6]
    with pytest.raises(TypeError, match="an index must be an int, got 1.5"):
        ours[1.5]
    with pytest.raises(ValueError, match="at least one"):
        ConcatDataset([])
    both = numbers_dataset(3) + numbers_dataset(2)
    assert [y.tolist() for _, y in DataLoader(both, batch_size=2)] == [[0, 1], [2, 0], [1]]


def test_samplers_as_torch():
    torch = pytest.importorskip("torch")
    tud = torch.utils.data
    for drop_last in (False, True):
        assert list(BatchSampler(SequentialSampler(range(7)), 3, drop_last)) == \
            list(tud.BatchSampler(tud.SequentialSampler(range(7)), 3, drop_last))
        assert len(BatchSampler(range(7), 3, drop_last)) == len(tud.BatchSampler(range(7), 3,
                                                                                 drop_last))
    order = list(SubsetRandomSampler([7, 3, 5, 1], generator=np.random.default_rng(0)))
    assert sorted(order) == [1, 3, 5, 7]
    assert order == list(SubsetRandomSampler([7, 3, 5, 1], generator=np.random.default_rng(0)))
    sampler = RandomSampler(range(4), num_samples=10, generator=np.random.default_rng(0))
    drawn = list(sampler)
    assert len(drawn) == len(sampler) == 10 and sorted(drawn[:4]) == [0, 1, 2, 3]
    loader = DataLoader(numbers_dataset(), batch_sampler=BatchSampler(
        SubsetRandomSampler(range(0, 10, 2)), batch_size=2, drop_last=False))
    ys = [y.tolist() for _, y in loader]
    assert [len(y) for y in ys] == [2, 2, 1] and sorted(sum(ys, [])) == [0, 2, 4, 6, 8]
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        RandomSampler(range(3), generator=1)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(0, 23), batch_size=st.integers(1, 9), drop_last=st.booleans(),
       seed=st.integers(0, 2**16))
def test_loader_batches_as_torchs_on_the_same_order(n, batch_size, drop_last, seed):
    torch = pytest.importorskip("torch")
    order = np.random.default_rng(seed).permutation(n).tolist()
    ds = numbers_dataset(n)
    ours = DataLoader(ds, batch_size=batch_size, sampler=order, drop_last=drop_last)
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.arange(n, dtype=torch.float32)[:, None],
                                       torch.arange(n)),
        batch_size=batch_size, sampler=order, drop_last=drop_last)
    assert len(ours) == len(theirs)
    got, want = list(ours), list(theirs)
    assert len(got) == len(want) == len(ours)
    for (x, y), (tx, ty) in zip(got, want):
        np.testing.assert_array_equal(x.numpy(), tx.numpy())
        assert y.tolist() == ty.tolist() and y.dtype == np.int64


@settings(max_examples=20, deadline=None)
@given(n=st.integers(0, 30), batch_size=st.integers(1, 8), seed=st.integers(0, 2**16))
def test_shuffle_with_a_generator_is_reproducible_and_covers_the_data(n, batch_size, seed):
    def epoch():
        loader = DataLoader(numbers_dataset(n), batch_size=batch_size, shuffle=True,
                            generator=np.random.default_rng(seed))
        return [y.tolist() for _, y in loader]
    first = epoch()
    assert first == epoch() and sorted(sum(first, [])) == list(range(n))


@settings(max_examples=20, deadline=None)
@given(bad=st.one_of(st.integers(max_value=0), st.floats(allow_nan=True), st.booleans(),
                     st.text(max_size=3)))
def test_bad_batch_sizes_are_refused_where_the_loader_is_made(bad):
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        DataLoader(numbers_dataset(), batch_size=bad)
