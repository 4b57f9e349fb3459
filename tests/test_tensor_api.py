"""The PyTorch-named Tensor API: values, dtypes, shapes, gradients and errors against PyTorch."""

import operator

import numpy as np
import pytest

import minin as mn
from minin import nn
from helpers import compare_with_torch


def leaf(a):
    return mn.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def test_size_numel_and_dim_as_in_pytorch():
    t = mn.zeros(2, 3, 4)
    assert t.size() == (2, 3, 4) and t.size(0) == 2 and t.size(-1) == 4
    assert t.numel() == 24 and mn.numel(t) == 24 and t.dim() == 3
    with pytest.raises(IndexError, match="size: dim 3 is out of range for 3 dimensions"):
        t.size(3)
    with pytest.raises(TypeError, match="dim must be an int"):
        t.size("0")


def test_max_and_min_with_a_dim_give_values_and_indices():
    torch = pytest.importorskip("torch")
    x = np.array([[1.0, 7.0, 7.0], [4.0, -2.0, 0.5]])
    for name in ("max", "min"):
        for dim, keepdim in ((1, False), (0, True), (-1, True)):
            values, indices = getattr(mn.tensor(x), name)(dim, keepdim)
            expected = getattr(torch.tensor(x), name)(dim, keepdim)
            np.testing.assert_array_equal(values.numpy(), expected.values.numpy())
            np.testing.assert_array_equal(indices.numpy(), expected.indices.numpy())
            assert indices.dtype == np.int64 and values.shape == tuple(expected.values.shape)
    result = mn.max(mn.tensor(x), dim=1)
    assert result.values.tolist() == [7.0, 4.0] and result.indices.tolist() == [1, 0]


def test_max_on_the_array_of_data_works_as_in_a_pytorch_accuracy_count():
    """`_, predicted = torch.max(outputs.data, 1)`: in minin `.data` is the array."""
    outputs = mn.tensor([[0.1, 0.9], [0.8, 0.2]])
    _, predicted = mn.max(outputs.data, 1)
    labels = mn.tensor(np.array([1, 1]))
    assert (predicted == labels).sum().item() == 1 and labels.size(0) == 2


def test_numpy_names_keep_numpy_answers():
    x = mn.tensor([[1.0, 5.0], [3.0, 2.0]])
    assert x.max(axis=1).tolist() == [5.0, 3.0]          # values only, as np.max
    assert x.min(axis=(0, 1)).item() == 1.0
    assert x.sum(axis=0, keepdims=True).shape == (1, 2)
    with pytest.raises(TypeError, match="give dim .* or axis .*, not both"):
        x.sum(dim=0, axis=0)


@pytest.mark.parametrize("name, ours, theirs", [
    ("max_dim", lambda a: a.max(1).values, lambda a: a.max(1).values),
    ("min_dim_keepdim", lambda a: a.min(0, keepdim=True).values, lambda a: a.min(0, keepdim=True).values),
    ("max_all", lambda a: a.max(), lambda a: a.max()),
    ("min_all", lambda a: a.min(), lambda a: a.min()),
    ("amax_dims", lambda a: a.amax(dim=(0, 1)), lambda a: a.amax(dim=(0, 1))),
    ("amin_dim", lambda a: a.amin(1), lambda a: a.amin(1)),
])
def test_extremes_match_torch_gradients_included_at_ties(name, ours, theirs):
    pytest.importorskip("torch")
    x = np.array([[1.0, 7.0, 7.0], [4.0, 4.0, 0.5], [2.0, 2.0, 2.0]])
    compare_with_torch(ours, theirs, [x])


def test_elementwise_maximum_and_minimum_share_ties_as_torch():
    torch = pytest.importorskip("torch")
    x = np.array([[1.0, 7.0, 7.0], [4.0, 4.0, 0.5], [2.0, 2.0, 2.0]])
    y = x[::-1].copy()
    compare_with_torch(lambda a, b: mn.maximum(a, b), lambda a, b: torch.maximum(a, b), [x, y])
    compare_with_torch(lambda a, b: mn.minimum(a, b), lambda a, b: torch.minimum(a, b), [x, y])
    compare_with_torch(lambda a, b: mn.max(a, b), lambda a, b: torch.max(a, b), [x, x.T.copy()])
    compare_with_torch(lambda a, b: a.min(b), lambda a, b: a.min(b), [x, y])


def test_new_differentiable_operations_pass_gradcheck():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    assert mn.gradcheck(lambda t: t.min(1).values, [leaf(a)])
    assert mn.gradcheck(lambda t: t.amax(0), [leaf(a)])
    assert mn.gradcheck(lambda s, t: mn.maximum(s, t), [leaf(a), leaf(b)])
    assert mn.gradcheck(lambda t: t.clone() * 2, [leaf(a)])
    assert mn.gradcheck(lambda t: t.unsqueeze(1).squeeze(1).permute(1, 0).view(12), [leaf(a)])
    assert mn.gradcheck(lambda t: t.transpose(0, 1), [leaf(a)])
    assert mn.gradcheck(lambda t: mn.stack([t, t * 2], dim=1), [leaf(a)])


def test_shape_methods_follow_torch():
    torch = pytest.importorskip("torch")
    x = np.arange(24.0).reshape(2, 3, 4)
    ours, theirs = mn.tensor(x), torch.tensor(x)
    pairs = [
        (ours.view(6, 4), theirs.view(6, 4)), (ours.view((4, 6)), theirs.view((4, 6))),
        (ours.unsqueeze(0), theirs.unsqueeze(0)), (ours.unsqueeze(-1), theirs.unsqueeze(-1)),
        (ours.unsqueeze(1).squeeze(), theirs.unsqueeze(1).squeeze()),
        (ours[:1].squeeze(0), theirs[:1].squeeze(0)), (ours.squeeze(1), theirs.squeeze(1)),
        (ours.permute(2, 0, 1), theirs.permute(2, 0, 1)), (ours.transpose(0, 2), theirs.transpose(0, 2)),
        (ours.transpose(-1, 1), theirs.transpose(-1, 1)),
        (ours.flatten(), theirs.flatten()), (ours.flatten(1), theirs.flatten(1)),
        (ours.flatten(0, 1), theirs.flatten(0, 1)), (mn.flatten(ours, 1), torch.flatten(theirs, 1)),
        (ours.contiguous(), theirs.contiguous()), (mn.cat([ours, ours], dim=2), torch.cat([theirs, theirs], 2)),
        (mn.stack([ours, ours], 1), torch.stack([theirs, theirs], 1)),
        (ours.sum(dim=(0, 2), keepdim=True), theirs.sum(dim=(0, 2), keepdim=True)),
        (mn.mean(ours, 1), torch.mean(theirs, 1)), (mn.argmax(ours, 2), torch.argmax(theirs, 2)),
        (ours.argmin(dim=1, keepdim=True), theirs.argmin(dim=1, keepdim=True)),
        (mn.argmax(ours), torch.argmax(theirs)),
    ]
    for got, expected in pairs:
        assert got.shape == tuple(expected.shape)
        np.testing.assert_array_equal(got.numpy(), expected.numpy())
    assert nn.Flatten(0, 1)(ours).shape == tuple(torch.nn.Flatten(0, 1)(theirs).shape)
    with pytest.raises(ValueError, match="flatten: start_dim 2 comes after end_dim 1"):
        ours.flatten(2, 1)


def test_one_element_tensors_become_python_numbers_and_indices():
    label = mn.tensor([2], dtype=mn.int64)
    classes = ("a", "b", "c")
    assert classes[label] == "c" and classes[mn.from_numpy(np.array(1))] == "b"
    assert float(mn.tensor([1.5])) == 1.5 and int(mn.tensor(2.7)) == 2
    assert bool(mn.tensor([0.0])) is False
    with pytest.raises(ValueError, match="the truth value of a tensor needs a tensor with one element"):
        bool(mn.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="only integer tensors can be used as an index"):
        classes[mn.tensor([1.0])]


def test_creation_functions_follow_torch_dtypes_and_shapes():
    torch = pytest.importorskip("torch")
    pairs = [(mn.zeros(2, 3), torch.zeros(2, 3)), (mn.ones((2,)), torch.ones((2,))),
             (mn.full((2, 2), 7), torch.full((2, 2), 7)), (mn.full((1,), 0.5), torch.full((1,), 0.5)),
             (mn.arange(5), torch.arange(5)), (mn.arange(1, 2, 0.25), torch.arange(1, 2, 0.25)),
             (mn.zeros(3, dtype=mn.float64), torch.zeros(3, dtype=torch.float64)),
             (mn.zeros_like(mn.ones(2, 2)), torch.zeros_like(torch.ones(2, 2)))]
    for ours, theirs in pairs:
        assert ours.shape == tuple(theirs.shape)
        assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    for draw in (mn.rand, mn.randn):
        t = draw(3, 4)
        assert t.shape == (3, 4) and t.dtype == mn.float32
    mn.manual_seed(1)
    first = mn.randn(5).numpy()
    mn.manual_seed(1)
    np.testing.assert_array_equal(mn.randn(5).numpy(), first)
    assert 0 <= mn.rand(100).numpy().min() and mn.rand(100).numpy().max() < 1
    ints = mn.randint(0, 3, (50,))
    assert ints.dtype == mn.int64 and set(ints.tolist()) <= {0, 1, 2}
    array = np.arange(3)
    shared = mn.from_numpy(array)
    array[0] = 9
    assert shared.tolist() == [9, 1, 2] and shared.dtype == np.int64
    assert mn.zeros(2, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="rand makes floating-point tensors"):
        mn.rand(2, dtype=mn.int64)
    with pytest.raises(TypeError, match="zeros: sizes must be ints"):
        mn.zeros(2.5)
    assert mn.rand(size=(1, 1, 28, 28)).shape == (1, 1, 28, 28) and mn.zeros(size=[2]).shape == (2,)
    with pytest.raises(TypeError, match="randn: give the sizes or size=, not both"):
        mn.randn(2, size=(2,))


def test_dtypes_devices_and_to():
    t = mn.tensor([1.0, 2.0], requires_grad=True)
    assert t.dtype == mn.float32 and mn.long == np.int64 and mn.double == np.float64
    assert t.device == mn.device("cpu") and t.device == "cpu" and str(mn.device("cuda:1")) == "cuda:1"
    assert mn.device("numpy") == mn.device("cpu") and mn.device("cuda", 0).index == 0
    assert t.to("cpu") is t and t.cpu() is t and t.to(mn.float32) is t
    d = t.to(mn.float64)
    assert d.dtype == np.float64 and d.requires_grad
    d.sum().backward()
    assert t.grad.dtype == np.float32 and t.grad.tolist() == [1.0, 1.0]
    assert t.long().dtype == np.int64 and not t.long().requires_grad and t.type() == "minin.FloatTensor"
    assert t.type(mn.float64).dtype == np.float64 and t.to(mn.zeros(1, dtype=mn.float64)).dtype == np.float64
    for bad, error, message in [("gpu", ValueError, "unknown device 'gpu'"), ("cuda:x", ValueError, "bad device"),
                                (3, TypeError, "device takes a string")]:
        with pytest.raises(error, match=message):
            mn.device(bad)
    if not mn.cuda.is_available():
        assert mn.cuda.device_count() == 0 == mn.accelerator.device_count()
        assert not mn.accelerator.is_available() and mn.accelerator.current_accelerator() is None
        mn.accelerator.synchronize()  # nothing to wait for
        with pytest.raises(mn.backend.BackendError, match="CuPy"):
            t.to("cuda")
        with pytest.raises(mn.backend.BackendError, match="CuPy"):
            nn.Linear(2, 2).to(mn.device("cuda"))


def test_pytorch_layer_arguments_that_change_nothing_here_are_accepted():
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)" and repr(nn.ReLU()) == "ReLU()"
    x = mn.tensor([-1.0, 2.0])
    assert nn.ReLU(inplace=True)(x).tolist() == [0.0, 2.0] and x.tolist() == [-1.0, 2.0]
    assert nn.Dropout(0.2, inplace=True).eval()(x) is x
    import minin
    assert minin.utils.data.DataLoader is not None  # torch.utils.data after `import minin as torch`


def test_module_apply_to_and_zero_grad_as_in_pytorch():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    seen = []

    def init_weights(m):
        seen.append(type(m).__name__)
        if type(m) in (nn.Linear, nn.Conv2d):
            nn.init.xavier_uniform_(m.weight)

    assert net.apply(init_weights) is net
    assert seen == ["Conv2d", "ReLU", "Flatten", "Linear", "Sequential"]  # children first
    assert net.to(mn.device("cpu")) is net and net.to("cpu", mn.float64) is net
    assert all(p.dtype == np.float64 for p in net.parameters())
    net(mn.randn(2, 1, 6, 6, dtype=mn.float64)).sum().backward()
    net.zero_grad(set_to_none=True)
    assert all(p.grad is None for p in net.parameters())
    with pytest.raises(TypeError, match="floating dtypes only"):
        net.to(mn.int64)


def test_an_integer_tensor_cannot_be_made_to_require_grad_later():
    a = mn.tensor([1, 2], dtype=np.int64)
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients, got dtype int64"):
        a.requires_grad = True
    with pytest.raises(TypeError, match="only floating-point tensors"):
        a.requires_grad_()
    b = mn.tensor([1.0, 2.0]).requires_grad_()
    (b * 0.5).sum().backward()
    assert b.grad.tolist() == [0.5, 0.5]


@pytest.mark.parametrize("array", [np.array(["a", "b"]), np.array([1 + 2j]), np.array([object()]),
                                   np.array(["2024-01-01"], dtype="datetime64[D]"),
                                   np.array([1], dtype="timedelta64[s]")], ids=str)
def test_arrays_that_are_not_real_numbers_are_refused_like_lists(array):
    with pytest.raises(TypeError, match="cannot make a tensor from an array .*expected numbers"):
        mn.tensor(array)
    with pytest.raises(TypeError, match="cannot make a tensor"):
        mn.Tensor(array)


@pytest.mark.gpu
def test_cuda_devices_move_tensors_and_modules(gpu):
    assert mn.cuda.is_available() and mn.cuda.device_count() >= 1
    assert mn.accelerator.is_available() and mn.accelerator.current_accelerator() == mn.device("cuda")
    assert mn.accelerator.current_device_index() == mn.cuda.current_device()
    t = mn.tensor([1.0, -2.0], requires_grad=True)
    g = t.to(mn.device("cuda"))
    assert g.device == mn.device("cuda", mn.cuda.current_device()) and g.backend == "cupy"
    g.relu().sum().backward()
    assert t.grad.tolist() == [1.0, 0.0]  # the gradient came back to the CPU tensor
    layer = nn.Linear(2, 1).to("cuda")
    assert all(p.backend == "cupy" for p in layer.parameters()) and layer.cpu() is layer
    assert mn.zeros(2, device="cuda").backend == "cupy"


# ------------------------------------------------------------------ type promotion
PROMOTION_DTYPES = ["float32", "float64", "float16", "int64", "int32", "uint8", "bool"]


def _operand(kind, dtype, module):
    """A 1-d tensor, a 0-d tensor or a Python number of ``dtype`` in ``module`` (minin or torch)."""
    if kind == "number":
        return {"bool": True}.get(dtype, 2.5 if dtype.startswith("float") else 3)
    shape = (3,) if kind == "1-d" else ()
    values = np.ones(shape, dtype=dtype)
    if module is mn:
        return mn.Tensor(values)
    import torch
    return torch.from_numpy(values)


KINDS = [("1-d", "1-d"), ("1-d", "0-d"), ("0-d", "1-d"), ("0-d", "0-d"), ("1-d", "number"), ("number", "0-d")]
PROMOTION_CASES = [(a, b, kinds) for a in PROMOTION_DTYPES for b in PROMOTION_DTYPES for kinds in KINDS
                   # a Python number is a bool, an int or a float
                   if "number" not in kinds or (a if kinds[0] == "number" else b) in ("float32", "int64", "bool")]


@pytest.mark.parametrize("first, second, kinds", PROMOTION_CASES)
def test_arithmetic_promotes_dtypes_as_pytorch_does(first, second, kinds):
    torch = pytest.importorskip("torch")
    ours = [_operand(k, d, mn) for k, d in zip(kinds, (first, second))]
    theirs = [_operand(k, d, torch) for k, d in zip(kinds, (first, second))]
    expected = str(torch.result_type(*theirs)).replace("torch.", "")
    assert str(mn.result_type(*ours)) == expected
    for op in (operator.add, operator.sub, operator.mul, operator.truediv):
        try:
            want = str(op(*theirs).dtype).replace("torch.", "")
        except (RuntimeError, TypeError):
            continue  # PyTorch refuses this one (subtracting bools)
        assert str(op(*ours).dtype) == want, op.__name__


def test_a_float32_tensor_stays_float32_against_integers_and_0d_tensors_and_the_gradient_keeps_dtypes():
    x = mn.ones(3, requires_grad=True)
    w = mn.tensor(2.0, dtype=mn.float64, requires_grad=True)
    y = x * w + mn.tensor(1, dtype=mn.int64) - np.float64(0.5)
    assert y.dtype == mn.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float64 and float(w.grad) == 3.0
    accuracy = (mn.tensor([1, 2, 3], dtype=mn.int64) == mn.tensor([1, 0, 3], dtype=mn.int64)).sum() / 3
    assert accuracy.dtype == mn.float32 and accuracy.item() == pytest.approx(2 / 3)


def test_promote_types_uses_pytorch_table():
    torch = pytest.importorskip("torch")
    for a in PROMOTION_DTYPES:
        for b in PROMOTION_DTYPES:
            expected = str(torch.promote_types(getattr(torch, a), getattr(torch, b))).replace("torch.", "")
            assert str(mn.promote_types(a, b)) == expected, (a, b)


def test_d2l_softmax_regression_snippets_run_as_in_pytorch():
    torch = pytest.importorskip("torch")

    def snippets(lib):  # d2l 3.6 (softmax regression from scratch), with `torch` as lib
        y = lib.tensor([0, 2])
        y_hat = lib.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
        picked = y_hat[[0, 1], y]
        loss = -lib.log(y_hat[range(len(y_hat)), y])
        correct = (y_hat.argmax(axis=1).type(y.dtype) == y).type(y.dtype).sum()
        return y.dtype, picked, loss, float(correct) / len(y), correct / len(y)

    ours, theirs = snippets(mn), snippets(torch)
    assert str(ours[0]) == str(theirs[0]).replace("torch.", "") == "int64"
    for a, b in zip(ours[1:3], theirs[1:3]):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
    assert ours[3] == theirs[3] == 0.5
    assert str(ours[4].dtype) == str(theirs[4].dtype).replace("torch.", "") == "float32"


@pytest.mark.parametrize("other", ["a", None, object(), 1j, np.array(["x"]), np.array([1 + 2j])],
                         ids=["str", "None", "object", "complex", "str-array", "complex-array"])
@pytest.mark.parametrize("op, name", [(operator.add, "add"), (operator.sub, "sub"),
                                      (operator.mul, "mul"), (operator.truediv, "div")])
def test_arithmetic_with_something_that_is_not_a_number_is_a_clear_type_error(op, name, other):
    t = mn.tensor([1.0, 2.0], requires_grad=True)
    for left, right in ((t, other), (other, t)):
        with pytest.raises(TypeError, match=rf"^{name}: unsupported operands .*expected tensors, "
                                            r"arrays or real numbers"):
            op(left, right)
    with pytest.raises(TypeError, match="unsupported operands"):
        mn.maximum(t, other)


# ------------------------------------------------------------------ reductions, dtypes, errors
def _raises_like_torch(make, error, message, torch):
    """``make(torch)`` raises, and ``make(mn)`` raises ``error`` with ``message``."""
    with pytest.raises((RuntimeError, IndexError, TypeError, ValueError)):
        make(torch)
    with pytest.raises(error, match=message):
        make(mn)


def test_reductions_check_their_dims_and_refuse_empty_extremes_as_pytorch():
    torch = pytest.importorskip("torch")
    for make, error, message in [
        (lambda t: t.zeros(2, 3).sum(2), IndexError, "sum: dim 2 is out of range for 2 dimensions"),
        (lambda t: t.zeros(2, 3).mean(dim=-3), IndexError, "mean: dim -3 is out of range"),
        (lambda t: t.zeros(2, 3).sum((1, -1)), ValueError, r"sum: dim \(1, -1\) names an axis more than once"),
        (lambda t: t.zeros(2, 3).sum(1.0), TypeError, "sum: dim must be an int, got 1.0"),
        (lambda t: t.zeros(0).max(), IndexError, r"max\(\): the tensor has no elements"),
        (lambda t: t.zeros(0, 3).min(0), IndexError, r"min\(\): dim 0 to reduce over has size 0"),
        (lambda t: t.zeros(0, 3).amax(0), IndexError, r"amax\(\): dim 0 to reduce over has size 0"),
        (lambda t: t.zeros(0, 3).argmax(), IndexError, r"argmax\(\): the tensor has no elements"),
        (lambda t: t.zeros(0, 3).argmin(0), IndexError, r"argmin\(\): dim 0 to reduce over has size 0"),
    ]:
        _raises_like_torch(make, error, message, torch)
    empty = np.zeros((0, 3))
    for name in ("max", "argmax", "amax", "sum"):  # over a dim of length 3: an empty answer
        ours, theirs = getattr(mn.tensor(empty), name)(1), getattr(torch.tensor(empty), name)(1)
        ours, theirs = (ours[0], theirs[0]) if name == "max" else (ours, theirs)
        assert ours.shape == tuple(theirs.shape) == (0,)
    assert mn.tensor(3.0).sum(0).item() == torch.tensor(3.0).sum(0).item() == 3.0
    values, indices = mn.tensor(3.0).max(-1)  # a 0-d tensor has dim 0 (or -1), as in PyTorch
    assert (values.item(), indices.item(), indices.dtype) == (3.0, 0, mn.int64)


def test_no_silent_float64_from_integers_and_mixed_dtypes():
    torch = pytest.importorskip("torch")
    ints = [1, 2, 4]
    pairs = [
        (lambda t: t.exp(t.tensor(ints)), None), (lambda t: t.log(t.tensor(ints)), None),
        (lambda t: t.tensor(ints) ** 0.5, None), (lambda t: t.tensor(ints) ** 2, None),
        (lambda t: t.cat([t.tensor([1.5]), t.tensor(ints)]), None),
        (lambda t: t.cat([t.tensor(ints), t.tensor([True])]), None),
        (lambda t: t.tensor(ints).sum(dtype=t.float64), None),
        (lambda t: t.tensor(ints).mean(dtype=t.float32), None),
        (lambda t: t.tensor(ints).float().mean(0, keepdim=True), None),
    ]
    for make, _ in pairs:
        ours, theirs = make(mn), make(torch)
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), make
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    _raises_like_torch(lambda t: t.tensor(ints).mean(), TypeError,
                       "mean: needs a floating-point tensor, got dtype int64", torch)
    _raises_like_torch(lambda t: t.zeros(2, 3) @ t.zeros(3, 2, dtype=t.int64), TypeError,
                       "matmul: both operands must have one dtype, got float32 and int64", torch)
    _raises_like_torch(lambda t: t.zeros(2, 3) @ t.zeros(3, dtype=t.float64), TypeError,
                       "got float32 and float64", torch)
    a = mn.tensor([1.0, 2.0], requires_grad=True)
    mn.cat([a, mn.tensor([3])]).sum().backward()  # the cast keeps the gradient flowing
    assert a.grad.tolist() == [1.0, 1.0]


def test_shape_mistakes_name_the_shapes_not_numpys_internals():
    torch = pytest.importorskip("torch")
    for make, message in [
        (lambda t: t.zeros(2, 3) @ t.zeros(4, 2), r"matmul: shapes \(2, 3\) and \(4, 2\) cannot be multiplied"),
        (lambda t: t.zeros(5, 2, 3) @ t.zeros(4, 3, 1), r"shapes \(5, 2, 3\) and \(4, 3, 1\).*batch sizes"),
        (lambda t: t.zeros(2, 3).permute(0, 0), r"permute: dims \(0, 0\) are not an order of the 2 dims"),
        (lambda t: t.zeros(2, 3).permute(1), r"permute: dims \(1,\) are not an order"),
    ]:
        _raises_like_torch(make, ValueError, message, torch)
    _raises_like_torch(lambda t: t.zeros(2, 3).permute(0, 2), IndexError,
                       "permute: dim 2 is out of range", torch)
    for args, message in [((0, 1, 0), "arange: step must be nonzero"),
                          ((5, 0), "arange: end 0 lies on the wrong side of start 5 for step 1")]:
        _raises_like_torch(lambda t: t.arange(*args), ValueError, message, torch)


def test_type_takes_pytorchs_type_names():
    torch = pytest.importorskip("torch")
    x = np.array([1.7, -2.2])
    for name in ("torch.FloatTensor", "torch.LongTensor", "torch.DoubleTensor", "torch.IntTensor"):
        ours, theirs = mn.tensor(x).type(name), torch.tensor(x).type(name)
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        assert ours.tolist() == theirs.tolist() and ours.type() == name.replace("torch", "minin")
    assert mn.tensor([1], dtype=mn.int16).type() == "minin." + torch.tensor([1], dtype=torch.int16).type()[6:]
    with pytest.raises(ValueError, match="type\\(\\): unknown type name 'torch.Floats'"):
        mn.tensor(x).type("torch.Floats")


def test_comparison_methods_and_view_as_for_the_classic_accuracy_count():
    torch = pytest.importorskip("torch")

    def correct(t):  # PyTorch's MNIST example
        output = t.tensor([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1], [0.2, 0.3, 0.5]])
        target = t.tensor([1, 2, 2])
        pred = output.argmax(dim=1, keepdim=True)
        return pred.eq(target.view_as(pred)).sum().item()

    assert correct(mn) == correct(torch) == 2
    x, y = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 2.0])
    for name in ("eq", "ne", "lt", "le", "gt", "ge"):
        assert getattr(mn.tensor(x), name)(mn.tensor(y)).tolist() == getattr(torch.tensor(x), name)(torch.tensor(y)).tolist()
        assert getattr(mn.tensor(x), name)(2).tolist() == getattr(torch.tensor(x), name)(2).tolist()
    assert mn.zeros(2, 3).reshape_as(mn.zeros(3, 2)).shape == (3, 2)
    assert (mn.zeros(2) == "a") is False and (mn.zeros(2) != "a") is True
    _raises_like_torch(lambda t: t.zeros(2) < "a", TypeError, "'<' not supported between", torch)
    _raises_like_torch(lambda t: t.zeros(2).eq("a"), TypeError, "eq: expected a tensor, an array or a number, got str", torch)


# ------------------------------------------------------------------ in-place operations
def test_d2l_sgd_from_scratch_updates_the_parameters_in_place():
    torch = pytest.importorskip("torch")

    def train(t):  # d2l 3.2's sgd: `param -= lr * param.grad / batch_size` under no_grad
        w = t.tensor([[1.0], [-2.0]], requires_grad=True)
        b = t.zeros(1, requires_grad=True)
        X, y = t.tensor([[1.0, 2.0], [3.0, 4.0], [0.5, -1.0]]), t.tensor([[1.0], [2.0], [3.0]])
        for _ in range(3):
            loss = ((X @ w + b - y) ** 2 / 2).sum()
            loss.backward()
            with t.no_grad():
                for param in [w, b]:
                    param -= 0.05 * param.grad / 3
                    param.grad = None
        return w, b

    (w, b), (tw, tb) = train(mn), train(torch)
    np.testing.assert_allclose(w.numpy(), tw.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), tb.detach().numpy(), rtol=1e-6)
    assert w.is_leaf and w.requires_grad


def test_in_place_operators_follow_pytorchs_autograd_rules():
    torch = pytest.importorskip("torch")

    def leaf_plus_one(t):
        w = t.ones(2, requires_grad=True)
        w += 1

    _raises_like_torch(leaf_plus_one, RuntimeError, r"\+=: a leaf tensor that requires grad can't be "
                                                    "changed in place while gradients are recorded", torch)

    def grads(t):  # += on a result in the graph, and on a constant with a term that requires grad
        w = t.tensor([1.0, 2.0], requires_grad=True)
        h = w * w
        h += 1
        h *= w
        x = t.zeros(2)
        x += w
        (h + x).sum().backward()
        return w.grad

    np.testing.assert_allclose(grads(mn), grads(torch).numpy())

    def method_in_graph(t):
        w = t.ones(2, requires_grad=True)
        h = w * 2
        h.add_(1)  # PyTorch records it; minin says it can't rather than leave h unchanged

    with pytest.raises(RuntimeError, match="add_: minin does not record in-place changes"):
        method_in_graph(mn)


def test_in_place_writes_reach_views_and_shared_arrays_as_in_pytorch():
    torch = pytest.importorskip("torch")

    def run(t):
        a = np.zeros(3, dtype=np.float32)
        x = t.from_numpy(a)
        x += 1
        m = t.zeros(2, 3)
        row = m[0]
        row *= 0  # a view: m sees it
        row += t.tensor([1.0, 2.0, 3.0])
        r = m.mul_(2)
        m.div_(t.tensor([1.0, 2.0, 4.0]))
        m.sub_(1)
        return a.tolist(), m.tolist(), r is m

    assert run(mn) == run(torch)
    x = mn.zeros(2)
    x += mn.ones(2, dtype=mn.float64)  # PyTorch casts back into the tensor's dtype
    assert x.dtype == mn.float32 and x.tolist() == [1.0, 1.0]
    u = mn.zeros(2, dtype=mn.uint8)
    u += mn.ones(2, dtype=mn.int64)
    assert u.dtype == mn.uint8 and u.tolist() == [1, 1]


@pytest.mark.parametrize("make, error, message", [
    (lambda t: operator.iadd(t.zeros(2, dtype=t.int64), 1.5), TypeError,
     r"\+=: the result has dtype float32, which can't be stored in place in a tensor of dtype int64"),
    (lambda t: operator.itruediv(t.ones(2, dtype=t.int64), 2), TypeError, "/=: the result has dtype float32"),
    (lambda t: operator.iadd(t.zeros(3), t.ones(2, 3)), ValueError,
     r"\+=: an operand of shape \(2, 3\) doesn't broadcast to the tensor's shape \(3,\)"),
    (lambda t: operator.iadd(t.zeros(3), "a"), TypeError, r"\+=: unsupported operands"),
    (lambda t: t.zeros(3).__setitem__(0, "a"), TypeError, "index assignment: unsupported operands"),
    (lambda t: t.zeros(3, requires_grad=True).__setitem__(0, 1.0), RuntimeError,
     "index assignment: a leaf tensor that requires grad"),
    (lambda t: t.zeros(3, requires_grad=True).zero_(), RuntimeError, "a leaf tensor that requires grad"),
], ids=["int+=float", "int/=", "broadcast", "str", "setitem-str", "setitem-leaf", "zero_-leaf"])
def test_bad_in_place_operations_raise_where_pytorch_does(make, error, message):
    torch = pytest.importorskip("torch")
    _raises_like_torch(make, error, message, torch)


def test_index_assignment_fill_and_zero_as_in_pytorch():
    torch = pytest.importorskip("torch")

    def run(t):
        x = t.zeros(2, 4)
        x[0] = 5.0
        x[:, 1:3] = t.tensor([7.0, 8.0])
        x[x > 6] = -1.0
        x[t.tensor([1]), t.tensor([3])] = 2.5
        x[..., None][1, 0] = 9.0
        ints = t.zeros(3, dtype=t.int64)
        ints[0] = 1.7  # cast into the tensor's dtype
        w = t.zeros(3, requires_grad=True)
        with t.no_grad():
            w[1] = 4.0
            w.fill_(w[1].item() / 2)
        filled = t.ones(2).fill_(3)
        return x.tolist(), ints.tolist(), w.tolist() if t is mn else w.detach().tolist(), \
            filled.tolist(), t.ones(2).zero_().tolist()

    assert run(mn) == run(torch)
    x = mn.zeros(3)
    with pytest.raises(RuntimeError, match="index assignment: minin does not record in-place changes"):
        x[0] = mn.ones(1, requires_grad=True)[0] * 2  # PyTorch records it; minin says so, not silence


def test_reductions_agree_with_pytorch_on_any_shape_and_dim():
    """Values, shapes and dtypes, or an error from both, for random shapes (empty ones too)
    and dims (out of range ones too)."""
    torch = pytest.importorskip("torch")
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies

    @hypothesis.settings(max_examples=60, deadline=None, derandomize=True)
    @hypothesis.given(shape=st.lists(st.integers(0, 3), min_size=0, max_size=3),
                      dim=st.integers(-4, 3), keepdim=st.booleans(),
                      name=st.sampled_from(["sum", "mean", "amax", "amin", "argmax", "argmin", "max", "min"]))
    @hypothesis.example(shape=[], dim=-1, keepdim=False, name="max")
    @hypothesis.example(shape=[0, 2], dim=0, keepdim=True, name="amin")
    def check(shape, dim, keepdim, name):
        x = np.arange(float(np.prod(shape))).reshape(shape) % 5
        try:
            expected = getattr(torch.tensor(x), name)(dim, keepdim)
        except (IndexError, RuntimeError):
            with pytest.raises(IndexError, match=rf"^{name}"):  # named, not NumPy's AxisError
                getattr(mn.tensor(x), name)(dim, keepdim)
            return
        got = getattr(mn.tensor(x), name)(dim, keepdim)
        for ours, theirs in zip(got, expected) if name in ("max", "min") else [(got, expected)]:
            assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype)[6:]
            np.testing.assert_allclose(ours.numpy(), theirs.numpy())

    check()


def test_squeeze_takes_several_dims_as_pytorch_2():
    torch = pytest.importorskip("torch")
    for dim in [(0, 2), (0, 1), [2], (-1, -3), -1]:
        assert mn.zeros(1, 3, 1).squeeze(dim).shape == tuple(torch.zeros(1, 3, 1).squeeze(dim).shape)
    _raises_like_torch(lambda t: t.zeros(1, 3, 1).squeeze((0, 5)), IndexError, "squeeze: dim 5 is out of range", torch)
    _raises_like_torch(lambda t: t.zeros(1, 3, 1).squeeze((0, 0)), ValueError, "names an axis more than once", torch)


@pytest.mark.parametrize("op, name", [(lambda a, b: a + b, "add"), (lambda a, b: b - a, "sub"),
                                      (lambda a, b: a * b, "mul"), (lambda a, b: a / b, "div"),
                                      (mn.maximum, "maximum"), (lambda a, b: a == b, "eq"),
                                      (lambda a, b: a < b, "lt")])
def test_shapes_that_do_not_broadcast_name_the_operation_and_both_shapes(op, name):
    a, b = mn.ones(2, 3), mn.ones(4)
    with pytest.raises(ValueError, match=rf"^{name}: shapes \((2, 3|4,)\) and \((2, 3|4,)\) do not broadcast"):
        op(a, b)
