"""minin.utils.data: Dataset, TensorDataset, Subset, random_split, default_collate and the
DataLoader, against torch.utils.data where PyTorch is installed."""

import collections

import numpy as np
import pytest

import minin as mn
from minin.data import ArrayDataset
from minin.utils.data import (DataLoader, Dataset, Subset, TensorDataset, default_collate,
                              random_split)


class Squares(Dataset):
    """A per-sample data set: sample i is (float32 image filled with i, label i % 3)."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return np.full((1, 2, 2), i, dtype=np.float32), i % 3

    def __len__(self):
        return self.n


def arrays(n=10):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (n, 1, 4, 4), dtype=np.uint8), rng.integers(0, 10, n)


# ------------------------------------------------------------------ collate

def test_default_collate_follows_pytorchs_rules():
    x, y = default_collate([Squares(3)[i] for i in range(3)])
    assert x.shape == (3, 1, 2, 2) and x.dtype == np.float32
    assert y.dtype == np.int64 and y.tolist() == [0, 1, 2]
    assert default_collate([0.5, 1.5]).dtype == np.float64
    assert default_collate([True, False]).dtype == bool
    assert default_collate(["a", "b"]) == ["a", "b"]
    merged = default_collate([{"x": 1, "s": "p"}, {"x": 2, "s": "q"}])
    assert merged["x"].tolist() == [1, 2] and merged["s"] == ["p", "q"]
    Point = collections.namedtuple("Point", "x y")
    point = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(point, Point) and point.x.tolist() == [1, 3]
    stacked = default_collate([mn.tensor([1.0, 2.0]), mn.tensor([3.0, 4.0])])
    assert stacked.shape == (2, 2) and stacked.dtype == np.float32


def test_default_collate_matches_torch():
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate
    samples = [(np.arange(6, dtype=np.float32).reshape(2, 3) + i, i, 0.5 * i) for i in range(4)]
    ours, theirs = default_collate(samples), torch_collate(samples)
    assert isinstance(ours, list) and isinstance(theirs, list)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        assert str(a.dtype) == str(b.dtype).replace("torch.", "")


def test_default_collate_errors():
    with pytest.raises(ValueError, match=r"one shape .* got shapes \[\(2,\), \(3,\)\]"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(TypeError, match="got object"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="non-empty list of samples"):
        default_collate([])


# ------------------------------------------------------------------ data sets

def test_dataset_subclass_must_define_getitem():
    with pytest.raises(NotImplementedError, match="must define __getitem__"):
        Dataset()[0]


def test_tensor_dataset_rows_and_errors():
    images, labels = arrays()
    ds = TensorDataset(mn.tensor(images, dtype=np.float32), labels)
    x, y = ds[3]
    assert len(ds) == 10 and x.shape == (1, 4, 4) and y.item() == labels[3]
    with pytest.raises(ValueError, match="same first dimension"):
        TensorDataset(mn.tensor(np.zeros((3, 2))), mn.tensor(np.zeros(4)))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()


def test_subset_maps_indices():
    sub = Subset(Squares(10), [7, 2, 5])
    assert len(sub) == 3 and sub[0][1] == 7 % 3 and sub[-1][0][0, 0, 0] == 5
    with pytest.raises(ValueError, match="1-D"):
        Subset(Squares(10), [[1, 2]])


@pytest.mark.parametrize("lengths,expected", [([3, 7], [3, 7]), ([0.7, 0.3], [7, 3]),
                                              ([0.34, 0.33, 0.33], [4, 3, 3]),
                                              ([0.25, 0.25, 0.25, 0.25], [3, 3, 2, 2])])
def test_random_split_lengths_and_fractions_as_pytorch(lengths, expected):
    parts = random_split(Squares(10), lengths)
    assert [len(p) for p in parts] == expected
    seen = np.concatenate([p.indices for p in parts])
    assert sorted(seen.tolist()) == list(range(10))
    torch = pytest.importorskip("torch")
    assert [len(p) for p in torch.utils.data.random_split(range(10), lengths)] == expected


def test_random_split_follows_manual_seed_and_a_generator():
    mn.manual_seed(3)
    first = random_split(Squares(10), [5, 5])[0].indices
    mn.manual_seed(3)
    assert random_split(Squares(10), [5, 5])[0].indices.tolist() == first.tolist()
    a = random_split(Squares(10), [5, 5], generator=np.random.default_rng(1))[0].indices
    b = random_split(Squares(10), [5, 5], generator=np.random.default_rng(1))[0].indices
    assert a.tolist() == b.tolist()


def test_random_split_errors():
    with pytest.raises(ValueError, match=r"add up to 9, but the data set has 10"):
        random_split(Squares(10), [4, 5])
    with pytest.raises(ValueError, match="fractions must add up to 1"):
        random_split(Squares(10), [0.5, 0.4])
    with pytest.raises(ValueError, match="non-negative"):
        random_split(Squares(10), [-1, 11])
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        random_split(Squares(10), [5, 5], generator=0)


# ------------------------------------------------------------------ DataLoader

def test_loader_collates_samples_in_order():
    loader = DataLoader(Squares(10), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    x, y = batches[-1]
    assert x.shape == (2, 1, 2, 2) and x[:, 0, 0, 0].tolist() == [8.0, 9.0]
    assert y.tolist() == [8 % 3, 9 % 3]
    assert len(DataLoader(Squares(10), batch_size=4, drop_last=True)) == 2
    assert [len(y) for _, y in DataLoader(Squares(10), batch_size=4, drop_last=True)] == [4, 4]


def test_loader_shuffles_every_epoch_and_covers_all_samples():
    loader = DataLoader(Squares(12), batch_size=5, shuffle=True)
    epochs = [np.concatenate([x[:, 0, 0, 0].numpy() for x, _ in loader]) for _ in range(2)]
    assert all(sorted(e.tolist()) == list(range(12)) for e in epochs)
    assert epochs[0].tolist() != epochs[1].tolist()


def test_loader_takes_sampler_batch_sampler_collate_fn_and_worker_options():
    loader = DataLoader(Squares(6), batch_size=2, sampler=[5, 4, 3, 2, 1, 0], num_workers=2,
                        pin_memory=True, persistent_workers=False)
    assert [y.tolist() for _, y in loader] == [[2, 1], [0, 2], [1, 0]]
    loader = DataLoader(Squares(6), batch_sampler=[[0, 1, 2], [5]])
    assert [len(y) for _, y in loader] == [3, 1] and len(loader) == 2
    loader = DataLoader(Squares(4), batch_size=2, collate_fn=lambda s: [i for _, i in s])
    assert list(loader) == [[0, 1], [2, 0]]


def test_loader_errors_are_raised_where_it_is_built():
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        DataLoader(Squares(3), batch_size=0)
    with pytest.raises(ValueError, match="num_workers must be a non-negative int"):
        DataLoader(Squares(3), num_workers=-1)
    with pytest.raises(ValueError, match="sampler excludes shuffle"):
        DataLoader(Squares(3), sampler=[0, 1, 2], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler excludes"):
        DataLoader(Squares(3), batch_size=2, batch_sampler=[[0]])
    with pytest.raises(TypeError, match="map-style data set"):
        DataLoader(42)
    with pytest.raises(TypeError, match="collate_fn must be callable"):
        DataLoader(Squares(3), collate_fn=3)


def test_array_data_sets_take_the_batch_path_with_the_values_of_collating(monkeypatch):
    images, labels = arrays(10)
    for dataset in (ArrayDataset(images, labels), TensorDataset(images, labels)):
        split = random_split(dataset, [6, 4])[0]
        fast = list(DataLoader(split, batch_size=4))
        slow = list(DataLoader(split, batch_size=4, collate_fn=default_collate))
        for (fx, fy), (sx, sy) in zip(fast, slow):
            assert fx.dtype == sx.dtype and fy.dtype == sy.dtype
            np.testing.assert_array_equal(fx.numpy(), sx.numpy())
            np.testing.assert_array_equal(fy.numpy(), sy.numpy())

    def no_getitem(self, index):
        raise AssertionError("the batch path must not call __getitem__")
    monkeypatch.setattr(ArrayDataset, "__getitem__", no_getitem)
    x, y = next(iter(DataLoader(ArrayDataset(images, labels), batch_size=4)))
    assert x.dtype == np.uint8 and x.shape == (4, 1, 4, 4) and y.tolist() == labels[:4].tolist()


def test_loader_batches_match_torch_on_a_fixed_order():
    torch = pytest.importorskip("torch")
    images, labels = arrays(10)
    ours = DataLoader(TensorDataset(images.astype(np.float32), labels), batch_size=3,
                      sampler=[9, 1, 4, 0, 2, 3, 5, 8, 7, 6], drop_last=True)
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.tensor(images.astype(np.float32)),
                                       torch.tensor(labels)),
        batch_size=3, sampler=[9, 1, 4, 0, 2, 3, 5, 8, 7, 6], drop_last=True)
    assert len(ours) == len(theirs)
    for (x, y), (tx, ty) in zip(ours, theirs):
        np.testing.assert_array_equal(x.numpy(), tx.numpy())
        np.testing.assert_array_equal(y.numpy(), ty.numpy())
        assert y.dtype == np.int64 and ty.dtype == torch.int64


class _Pairs(Dataset):
    """Samples as a user's data set often returns them: (a NumPy image, a Python int)."""

    def __getitem__(self, i):
        return np.full((2, 2), i, np.float32), {"label": i, "name": f"#{i}"}

    def __len__(self):
        return 5


def test_loader_without_batching_gives_converted_samples_as_torch():
    torch = pytest.importorskip("torch")
    ours = DataLoader(_Pairs(), batch_size=None, sampler=[3, 0, 4])
    theirs = torch.utils.data.DataLoader(_Pairs(), batch_size=None, sampler=[3, 0, 4])
    assert len(ours) == len(theirs) == 3 and len(DataLoader(_Pairs(), batch_size=None)) == 5
    for (x, target), (tx, t_target) in zip(ours, theirs):
        assert isinstance(x, mn.Tensor) and x.shape == tuple(tx.shape) == (2, 2)
        np.testing.assert_array_equal(x.numpy(), tx.numpy())
        assert target == t_target  # the int and the string stay as they are
    with pytest.raises(ValueError, match="batch_size=None gives samples one at a time"):
        DataLoader(_Pairs(), batch_size=None, drop_last=True)


def test_a_subset_passes_a_list_of_positions_to_its_data_set_as_torch():
    torch = pytest.importorskip("torch")
    values = np.arange(10) * 10
    ours = Subset(TensorDataset(mn.tensor(values)), [9, 0, 4])[[2, 0]]
    theirs = torch.utils.data.Subset(torch.utils.data.TensorDataset(torch.tensor(values)), [9, 0, 4])[[2, 0]]
    assert ours[0].tolist() == theirs[0].tolist() == [40, 90]


@pytest.mark.parametrize("name", ["minin.utils.data.collate", "minin.utils.data.dataset",
                                  "minin.utils.data.dataloader", "minin.utils.data.sampler"])
def test_docstring_examples(name):
    import doctest
    import importlib
    names = dict(mn=mn, np=np, DataLoader=DataLoader, TensorDataset=TensorDataset,
                 default_collate=default_collate, random_split=random_split)
    result = doctest.testmod(importlib.import_module(name), extraglobs=names,
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
