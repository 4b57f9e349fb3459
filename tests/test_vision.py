"""minin.vision: torchvision-style data sets over minin's arrays, transforms per sample and
per batch, and make_grid. Every data set file here is written into tmp_path."""

import pickle
from pathlib import Path

import numpy as np
import pytest

import minin as mn
from minin.data import DatasetNotFoundError, datasets as data_datasets
from minin.utils.data import DataLoader, default_collate, random_split
from minin.vision import datasets, transforms, utils
from helpers import keep_data_sets_away, idx_bytes, write_gz


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    keep_data_sets_away(tmp_path, monkeypatch)


def write_idx(folder, n=12, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    for prefix in ("train", "t10k"):
        write_gz(folder / f"{prefix}-images-idx3-ubyte.gz", idx_bytes(images))
        write_gz(folder / f"{prefix}-labels-idx1-ubyte.gz", idx_bytes(labels))
    return images, labels


# ------------------------------------------------------------------ data sets

@pytest.mark.parametrize("cls", [datasets.FashionMNIST, datasets.MNIST])
def test_idx_data_sets_read_torchvisions_layout(tmp_path, cls):
    images, labels = write_idx(tmp_path / "root" / cls.__name__ / "raw")
    ds = cls(tmp_path / "root", train=True)
    image, target = ds[3]
    assert len(ds) == 12 and image.shape == (28, 28) and image.dtype == np.uint8
    np.testing.assert_array_equal(image, images[3])
    assert target == labels[3] and isinstance(target, int)
    assert ds.data.shape == (12, 28, 28) and ds.targets.dtype == np.int64
    assert len(ds.classes) == 10 and ds.class_to_idx[ds.classes[2]] == 2
    assert "Number of datapoints: 12" in repr(ds)


def test_transform_and_target_transform_apply_per_sample(tmp_path):
    images, labels = write_idx(tmp_path / "FashionMNIST" / "raw")
    ds = datasets.FashionMNIST(tmp_path, train=False, transform=transforms.ToTensor(),
                               target_transform=lambda t: t + 100)
    x, y = ds[0]
    assert isinstance(x, mn.Tensor) and x.shape == (1, 28, 28) and x.dtype == np.float32
    np.testing.assert_allclose(x.numpy()[0], images[0] / 255, rtol=1e-6)
    assert y == labels[0] + 100


def test_missing_files_name_the_folder_and_download_copies_them_into_root(tmp_path, monkeypatch):
    root = tmp_path / "dataset"
    with pytest.raises(DatasetNotFoundError, match=r"dataset/FashionMNIST/raw"):
        datasets.FashionMNIST(root, download=False)
    images, _ = write_idx(tmp_path / "elsewhere" / "fashion-mnist")
    monkeypatch.setenv("MININ_DATA", str(tmp_path / "elsewhere"))
    ds = datasets.FashionMNIST(root, train=True, download=True)
    assert sorted(p.name for p in (root / "FashionMNIST" / "raw").iterdir()) == \
        ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    np.testing.assert_array_equal(ds[5][0], images[5])
    monkeypatch.delenv("MININ_DATA")
    assert len(datasets.FashionMNIST(root, train=True)) == 12   # now found under root


def test_download_without_any_copy_tries_the_network_into_root(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="the download failed"):
        datasets.MNIST(tmp_path / "d", download=True)


def test_cifar10_samples_are_hwc(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    pixels = rng.integers(0, 256, (4, 3072), dtype=np.uint8)
    (folder / "test_batch").write_bytes(
        pickle.dumps({"data": pixels, "labels": [1, 2, 3, 4]}, protocol=2))
    ds = datasets.CIFAR10(tmp_path, train=False, transform=None)
    image, target = ds[1]
    assert image.shape == (32, 32, 3) and target == 2
    np.testing.assert_array_equal(image, pixels[1].reshape(3, 32, 32).transpose(1, 2, 0))
    assert ds.data.shape == (4, 32, 32, 3) and ds.targets == [1, 2, 3, 4]
    x = transforms.ToTensor()(image)
    np.testing.assert_allclose(x.numpy(), pixels[1].reshape(3, 32, 32) / 255, rtol=1e-6)


def test_the_loader_transforms_whole_batches_with_the_values_of_per_sample(tmp_path, monkeypatch):
    write_idx(tmp_path / "FashionMNIST" / "raw", n=40)
    ds = datasets.FashionMNIST(tmp_path, transform=transforms.Compose([
        transforms.Resize(36), transforms.ToTensor(), transforms.Normalize((0.3,), (0.4,))]))
    train, _ = random_split(ds, [0.75, 0.25])
    batched = list(DataLoader(train, batch_size=8))
    per_sample = list(DataLoader(train, batch_size=8, collate_fn=default_collate))
    assert len(batched) == len(per_sample) == 4
    for (x, y), (xs, ys) in zip(batched, per_sample):
        assert x.shape == xs.shape and x.shape[1:] == (1, 36, 36)
        assert x.dtype == xs.dtype == np.float32
        np.testing.assert_array_equal(x.numpy(), xs.numpy())
        assert y.dtype == ys.dtype == np.int64 and y.tolist() == ys.tolist()

    def per_sample_only(self, index):
        raise AssertionError("a batchable transform must not go sample by sample")
    monkeypatch.setattr(datasets.FashionMNIST, "__getitem__", per_sample_only)
    assert next(iter(DataLoader(ds, batch_size=4)))[0].shape == (4, 1, 36, 36)


def test_a_user_function_in_compose_goes_sample_by_sample(tmp_path):
    write_idx(tmp_path / "FashionMNIST" / "raw", n=6)
    seen = []
    ds = datasets.FashionMNIST(tmp_path, transform=transforms.Compose([
        transforms.ToTensor(), lambda x: seen.append(1) or x * 2]))
    x, _ = next(iter(DataLoader(ds, batch_size=6)))
    assert len(seen) == 6 and float(x.numpy().max()) <= 2.0


# ------------------------------------------------------------------ transforms

def test_to_tensor_layouts_and_dtypes():
    grey = np.arange(6, dtype=np.uint8).reshape(2, 3)
    assert transforms.ToTensor()(grey).shape == (1, 2, 3)
    rgb = np.zeros((2, 3, 3), np.uint8)
    assert transforms.ToTensor()(rgb).shape == (3, 2, 3)
    floats = np.full((2, 2), 7.0)
    kept = transforms.ToTensor()(floats)
    assert kept.dtype == np.float64 and kept.tolist() == [[[7.0, 7.0], [7.0, 7.0]]]
    chw = np.arange(2 * 5 * 6, dtype=np.uint8).reshape(2 * 1, 5, 6)[:1]   # minin's (C, H, W)
    np.testing.assert_allclose(transforms.ToTensor()(chw).numpy(), chw / 255, rtol=1e-6)
    as_tensor = transforms.ToTensor()(mn.Tensor(chw))
    assert as_tensor.dtype == np.float32 and as_tensor.shape == (1, 5, 6)
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        transforms.ToTensor()(np.zeros((2, 2, 2, 2)))


@pytest.mark.parametrize("size", [(40, 33), 20, (11, 7)])
def test_resize_matches_torch_interpolate_and_rounds_uint8(size):
    torch = pytest.importorskip("torch")
    image = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    out = transforms.Resize(size)(image)
    pair = size if isinstance(size, tuple) else (size, size)
    expected = torch.nn.functional.interpolate(
        torch.tensor(image, dtype=torch.float32)[None, None], size=pair, mode="bilinear",
        align_corners=False, antialias=False)[0, 0].round().clamp(0, 255).to(torch.uint8)
    assert out.dtype == np.uint8 and out.shape == pair
    assert np.abs(out.astype(int) - expected.numpy().astype(int)).max() <= 1  # float ties
    as_tensor = transforms.Resize(size)(mn.tensor(image[None] / 255.0))
    assert as_tensor.shape == (1,) + pair and as_tensor.dtype == np.float64


def test_resize_refuses_what_it_does_not_do():
    with pytest.raises(ValueError, match="only bilinear"):
        transforms.Resize(8, interpolation=transforms.InterpolationMode.NEAREST)
    with pytest.raises(ValueError, match="max_size"):
        transforms.Resize(8, max_size=10)


def test_normalize_per_channel():
    x = mn.tensor(np.stack([np.full((2, 2), 1.0), np.full((2, 2), 3.0)]))
    out = transforms.Normalize((0.5, 1.0), (0.5, 2.0))(x)
    assert out.numpy()[:, 0, 0].tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="put ToTensor"):
        transforms.Normalize(0.5, 0.5)(np.zeros((2, 2), np.uint8))


def test_random_crop_and_flip_per_sample():
    image = np.arange(36, dtype=np.uint8).reshape(6, 6)
    mn.manual_seed(0)
    crop = transforms.RandomCrop(4, padding=1)(image)
    padded = np.pad(image, 1)
    assert crop.shape == (4, 4) and any(
        np.array_equal(crop, padded[i:i + 4, j:j + 4]) for i in range(5) for j in range(5))
    np.testing.assert_array_equal(transforms.RandomHorizontalFlip(1.0)(image), image[:, ::-1])
    np.testing.assert_array_equal(transforms.RandomHorizontalFlip(0.0)(image), image)
    flipped = transforms.RandomHorizontalFlip(1.0)(mn.tensor(image[None] / 1.0))
    np.testing.assert_array_equal(flipped.numpy()[0], image[:, ::-1])
    with pytest.raises(ValueError, match="padding_mode='constant'"):
        transforms.RandomCrop(4, padding_mode="reflect")


def test_compose_batch_and_reprs():
    t = transforms.Compose([transforms.RandomCrop(28, padding=4),
                            transforms.RandomHorizontalFlip(), transforms.ToTensor()])
    assert t.batchable
    batch = np.zeros((5, 1, 28, 28), np.uint8)
    assert t.batch(batch).shape == (5, 1, 28, 28) and t.batch(batch).dtype == np.float32
    assert "RandomCrop(size=(28, 28), padding=4)" in repr(t)
    with pytest.raises(TypeError, match="must be callable"):
        transforms.Compose([3])


# ------------------------------------------------------------------ make_grid

def test_make_grid_tiles_as_torchvision():
    images = np.stack([np.full((1, 2, 3), k, np.float32) for k in range(5)])
    grid = utils.make_grid(mn.tensor(images), nrow=2, padding=1, pad_value=-1)
    assert grid.shape == (3, 3 * 3 + 1, 2 * 4 + 1)       # 3 rows, 2 columns, grey → RGB
    g = grid.numpy()
    assert g[0, 0, 0] == -1 and g[1, 1, 1] == 0 and g[2, 1, 5] == 1 and g[0, 4, 1] == 2
    assert g[0, 7, 5] == -1                              # the sixth place stays padding
    single = utils.make_grid(mn.tensor(images[:1]))
    assert single.shape == (3, 2, 3)
    scaled = utils.make_grid(mn.tensor(images), normalize=True).numpy()
    assert scaled.min() == 0.0 and scaled.max() == 1.0
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        utils.make_grid(np.zeros((1, 1, 1, 2, 2)))


@pytest.mark.parametrize("name", ["minin.vision.transforms", "minin.vision.utils",
                                  "minin.vision.datasets"])
def test_docstring_examples(name, tmp_path, monkeypatch):
    import doctest
    import importlib
    if name.endswith("datasets"):   # its example reads the real test split
        if not Path("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz").is_file():
            pytest.skip("needs Debian's dataset-fashion-mnist files")
        monkeypatch.setattr(data_datasets.FashionMNIST, "system_dirs",
                            ("/usr/share/datasets/fashion-mnist",))
    names = dict(mn=mn, np=np, transforms=transforms, datasets=datasets, utils=utils,
                 make_grid=utils.make_grid, root=str(tmp_path / "dataset"))
    result = doctest.testmod(importlib.import_module(name), extraglobs=names,
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
