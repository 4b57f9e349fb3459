"""Shared test helpers: one function compares any minin computation with PyTorch's."""

import numpy as np
import pytest

import minin as mn


def as_numpy(x):
    return mn.backend.asnumpy(x.data if isinstance(x, mn.Tensor) else x)


def compare_with_torch(minin_fn, torch_fn, arrays, grad_of=None, atol=1e-10, rtol=1e-10, seed=0):
    """Run ``minin_fn`` and ``torch_fn`` on float64 copies of ``arrays`` and check that the
    outputs and the gradients (of sum(out * r) for a random r) agree.

    ``grad_of`` lists the positions of the inputs that require grad (default: all).
    """
    import torch

    grad_of = range(len(arrays)) if grad_of is None else grad_of
    ours = [mn.tensor(np.asarray(a, dtype=np.float64), requires_grad=i in grad_of)
            for i, a in enumerate(arrays)]
    theirs = [torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=i in grad_of)
              for i, a in enumerate(arrays)]
    out, expected = minin_fn(*ours), torch_fn(*theirs)
    np.testing.assert_allclose(as_numpy(out), expected.detach().numpy(), rtol=rtol, atol=atol)
    weights = np.random.default_rng(seed).standard_normal(expected.shape)
    if out.requires_grad:
        out.backward(mn.backend.xp().asarray(weights))
        expected.backward(torch.tensor(weights))
        for i in grad_of:
            np.testing.assert_allclose(as_numpy(ours[i].grad), theirs[i].grad.numpy(),
                                       rtol=rtol, atol=atol, err_msg=f"gradient of input {i}")
    return out


def case_tests(cases):
    """For a list of (name, minin function, torch function, inputs) cases, in which the torch
    function gets the torch module first, the three tests every operation has: a gradient
    check in float64, its values and gradients against PyTorch's, and the same values and
    gradients on the GPU as on the CPU (skipped without one). A test module binds them:
    ``test_gradcheck, test_matches_torch, test_same_on_the_gpu = case_tests(CASES)``."""
    parametrize = pytest.mark.parametrize("name, ours, theirs, inputs", cases, ids=[c[0] for c in cases])

    @parametrize
    def test_gradcheck(name, ours, theirs, inputs):
        leaves = [mn.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in inputs]
        assert mn.gradcheck(ours, leaves)

    @parametrize
    def test_matches_torch(name, ours, theirs, inputs):
        torch = pytest.importorskip("torch")
        compare_with_torch(ours, lambda *a: theirs(torch, *a), inputs)

    @pytest.mark.gpu
    @parametrize
    def test_same_on_the_gpu(name, ours, theirs, inputs, gpu):  # gpu: skips without one
        results, previous = [], mn.backend.current()
        for name in ("numpy", "cupy"):  # the constants a case makes land on that backend too
            mn.backend.use(name)
            try:
                leaves = [mn.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in inputs]
                out = ours(*leaves)
                out.backward(mn.backend.xp().asarray(np.random.default_rng(0).standard_normal(out.shape)))
            finally:
                mn.backend.use(previous)
            results.append([as_numpy(out)] + [as_numpy(leaf.grad) for leaf in leaves])
        for cpu, on_gpu in zip(*results):
            np.testing.assert_allclose(on_gpu, cpu, rtol=1e-9, atol=1e-12)

    return test_gradcheck, test_matches_torch, test_same_on_the_gpu


def in_kernel_layout(array, xp=np):
    """The same values as ``array`` (N, C, H, W), stored (C, H, W, N) like minin's feature maps."""
    return xp.ascontiguousarray(xp.asarray(array).transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)


def is_kernel_layout(array):
    return array.transpose(1, 2, 3, 0).flags.c_contiguous


def idx_bytes(array, magic=None):
    """An IDX file's bytes (the MNIST format): magic number, big-endian sizes, then the data."""
    import struct
    array = np.asarray(array, dtype=np.uint8)
    magic = (0x0800 | array.ndim) if magic is None else magic
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write_gz(path, data):
    import gzip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data))
    return path


def write_fashion_like(folder, n_train=400, n_test=100, seed=0):
    """Fashion-MNIST-shaped IDX files whose ten classes are learnable: each class is a
    bright block at its own place on a noisy background."""
    rng = np.random.default_rng(seed)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, n)
        images = rng.integers(0, 60, (n, 28, 28))
        for i, label in enumerate(labels):
            r, c = divmod(int(label), 4)
            images[i, 2 + 8 * r:8 + 8 * r, 2 + 7 * c:7 + 7 * c] += 180
        write_gz(folder / f"{prefix}-images-idx3-ubyte.gz", idx_bytes(images))
        write_gz(folder / f"{prefix}-labels-idx1-ubyte.gz", idx_bytes(labels))
    return folder


def no_network(url, *args, **kwargs):
    """A stand-in for urlopen: every download fails as it does offline."""
    import urllib.error
    raise urllib.error.URLError(f"no network in tests ({url})")


def keep_data_sets_away(tmp_path, monkeypatch):
    """Keep a test away from the real ~/.cache, $MININ_DATA, the system folders and the
    network (a module's autouse fixture calls it)."""
    from minin.data import datasets

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MININ_DATA", raising=False)
    monkeypatch.setattr(datasets.FashionMNIST, "system_dirs", ())
    monkeypatch.setattr(datasets, "urlopen", no_network)


def run_cli(argv, capsys):
    """(status, stderr) of `minin ARGV` run in this process; argparse's exit becomes a status."""
    from minin import cli

    try:
        status = cli.main([str(a) for a in argv])
    except SystemExit as exit_info:
        status = exit_info.code
    return status, capsys.readouterr().err
