import builtins

import numpy as np
import pytest

import minin as mn
from minin import backend as B


def test_numpy_is_the_default_and_use_switches():
    assert B.current() == "numpy"
    B.use("numpy")
    assert B.current() == "numpy"
    assert B.get_array_module(np.zeros(2)) is np
    assert isinstance(B.asnumpy(np.zeros(2)), np.ndarray)


def test_unknown_backend_is_rejected():
    with pytest.raises(ValueError, match="unknown backend 'jax'"):
        B.use("jax")


def test_missing_cupy_gives_one_clear_error(monkeypatch):
    monkeypatch.setattr(B, "_cupy", None)
    real_import = builtins.__import__

    def no_cupy(name, *args, **kwargs):
        if name == "cupy":
            raise ImportError("No module named 'cupy'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_cupy)
    with pytest.raises(B.BackendError, match=r'pip install "minin\[cuda12\]"'):
        B.use("cupy")
    assert B.current() == "numpy"


def test_cupy_without_a_gpu_gives_one_clear_error(monkeypatch):
    class FakeRuntime:
        @staticmethod
        def getDeviceCount():
            raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    class FakeCupy:
        class cuda:
            runtime = FakeRuntime

    monkeypatch.setattr(B, "_cupy", None)
    real_import = builtins.__import__
    monkeypatch.setattr(builtins, "__import__",
                        lambda name, *a, **k: FakeCupy if name == "cupy" else real_import(name, *a, **k))
    with pytest.raises(B.BackendError, match="needs an NVIDIA GPU"):
        B.use("cupy")


def test_manual_seed_makes_random_draws_repeat():
    mn.manual_seed(7)
    a = B.generator("numpy").random(5)
    mn.manual_seed(7)
    b = B.generator("numpy").random(5)
    mn.manual_seed(8)
    c = B.generator("numpy").random(5)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_a_negative_seed_counts_from_two_to_the_64_as_in_pytorch():
    mn.manual_seed(-1)
    a = B.generator("numpy").random(3)
    mn.manual_seed(2**64 - 1)
    assert np.array_equal(a, B.generator("numpy").random(3))
    with pytest.raises(ValueError, match=r"must lie in \[-2\*\*63, 2\*\*64\)"):
        mn.manual_seed(2**64)
    mn.manual_seed(0)


def test_rng_state_survives_a_checkpoint(tmp_path):
    mn.manual_seed(3)
    B.generator("numpy").random(3)
    mn.save({"rng": B.get_rng_state()}, tmp_path / "rng.npz")
    expected = B.generator("numpy").random(4)
    mn.manual_seed(99)
    B.set_rng_state(mn.load(tmp_path / "rng.npz")["rng"])
    assert np.array_equal(B.generator("numpy").random(4), expected)


class _FakeGpuArray(np.ndarray):
    """A NumPy array that the backend module is told to treat as a CuPy array."""


def test_mixing_backends_is_a_clear_error(monkeypatch):
    real_name_of = B.name_of
    monkeypatch.setattr(B, "name_of", lambda a: "cupy" if isinstance(a, _FakeGpuArray) else real_name_of(a))
    a = mn.tensor([1.0, 2.0], requires_grad=True)
    b = mn.Tensor(np.array([3.0, 4.0], dtype=np.float32).view(_FakeGpuArray))
    with pytest.raises(ValueError, match=r"Add got arrays on different backends .*\.to\("):
        a + b


def test_to_numpy_is_a_no_op_on_numpy():
    t = mn.tensor([1.0])
    assert t.to("numpy") is t


@pytest.mark.gpu
def test_to_cupy_and_back(gpu):
    t = mn.tensor([1.0, 2.0], requires_grad=True)
    g = t.to("cupy")
    assert g.backend == "cupy" and g.requires_grad
    back = g.to("numpy")
    assert back.backend == "numpy" and back.numpy().tolist() == [1.0, 2.0]
    (g * 2).sum().backward()  # the copy is differentiable: the gradient comes back to t
    assert t.grad.tolist() == [2.0, 2.0] and mn.backend.name_of(t.grad) == "numpy"


def test_reseed_gives_a_backend_a_fresh_deterministic_generator():
    B.reseed("numpy", (3, 1, 4))
    a = B.generator("numpy").random(3)
    B.reseed("numpy", (3, 1, 4))
    assert np.array_equal(B.generator("numpy").random(3), a)
    B.reseed("numpy", (3, 1, 5))
    assert not np.array_equal(B.generator("numpy").random(3), a)
