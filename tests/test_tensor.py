import numpy as np
import pytest

import minin as mn


def test_python_data_gets_the_dtypes_torch_tensor_gives(backend):
    # Python floats are float32 (PyTorch's default dtype), ints int64, bools bool.
    assert mn.tensor([1.5, 2.5]).dtype == np.float32 and mn.tensor([1, 2.5]).dtype == np.float32
    assert mn.tensor([1, 2, 3]).dtype == np.int64 and mn.tensor(3).dtype == np.int64
    assert mn.tensor([True, False]).dtype == np.bool_
    assert mn.tensor(np.arange(4, dtype=np.int32)).dtype == np.int32
    assert mn.tensor(np.array([True, False])).dtype == np.bool_


@pytest.mark.parametrize("data", [[1, 2, 3], [1.5, 2], 3, 2.5, True, [[True], [False]],
                                  np.arange(3, dtype=np.uint8), np.zeros(2, dtype=np.float16)])
def test_tensor_dtypes_match_pytorch(data):
    torch = pytest.importorskip("torch")
    assert str(mn.tensor(data).dtype) == str(torch.tensor(data).dtype).replace("torch.", "")


def test_float_arrays_keep_their_dtype(backend):
    assert mn.tensor(np.zeros(3, dtype=np.float64)).dtype == np.float64
    assert mn.tensor(np.zeros(3, dtype=np.float32)).dtype == np.float32
    assert mn.tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert mn.tensor([1, 2], dtype=np.int64).dtype == np.int64


def test_tensor_copies_its_data(backend):
    a = np.ones(3, dtype=np.float32)
    t = mn.tensor(a)
    a[0] = 5
    assert t.numpy()[0] == 1


def test_data_lives_on_the_current_backend(backend):
    t = mn.tensor([1.0, 2.0])
    assert t.backend == backend
    assert mn.backend.get_array_module(t.data) is mn.backend.xp()


def test_properties_and_conversions(backend):
    t = mn.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert t.shape == (2, 3) and t.ndim == 2 and t.numel() == 6 and t.size() == (2, 3)
    assert t.requires_grad and t.grad is None and t.is_leaf
    assert isinstance(t.numpy(), np.ndarray)
    assert t.numpy().tolist() == [[0, 1, 2], [3, 4, 5]]
    assert mn.tensor([[2.5]]).item() == 2.5
    d = t.detach()
    assert not d.requires_grad and d.data is t.data
    with pytest.raises(ValueError, match="one element"):
        t.item()


def test_numpy_returns_a_copy():
    t = mn.tensor([1.0, 2.0])
    t.numpy()[0] = 7
    assert t.numpy()[0] == 1


def test_only_float_tensors_require_grad():
    with pytest.raises(TypeError, match="floating-point"):
        mn.tensor([1, 2], dtype=np.int64, requires_grad=True)


def test_numpy_sees_a_cpu_tensor_as_its_array_and_none_is_not_a_value():
    t = mn.tensor([1.0, 2.0], requires_grad=True)
    assert np.asarray(t).dtype == np.float32 and np.asarray(t).tolist() == [1.0, 2.0]
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert isinstance(np.ones(2, np.float32) + t, mn.Tensor)  # operators still give tensors
    assert (t == None) is False and (t != None) is True  # noqa: E711


def test_bad_data_is_a_type_error():
    with pytest.raises(TypeError, match="cannot make a tensor"):
        mn.tensor("abc")
    with pytest.raises(TypeError, match="cannot make a tensor"):
        mn.tensor([object()])


def test_repr_shows_data_and_flags():
    assert repr(mn.tensor([1.0, 2.0], requires_grad=True)) == "tensor([1., 2.], requires_grad=True)"
    assert "dtype=float64" in repr(mn.tensor(np.zeros(1)))


def test_comparisons_give_boolean_tensors():
    t = mn.tensor([1.0, 2.0, 3.0])
    assert (t > 1.5).numpy().tolist() == [False, True, True]
    assert (t == 2).numpy().tolist() == [False, True, False]


def test_argmax_is_int64_without_grad():
    t = mn.tensor([[1.0, 3.0, 2.0], [5.0, 0.0, 5.0]], requires_grad=True)
    a = t.argmax(axis=1)
    assert a.dtype == np.int64 and not a.requires_grad
    assert a.numpy().tolist() == [1, 0]
