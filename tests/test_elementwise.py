"""Elementwise functions as PyTorch names them (sigmoid, tanh, abs, sqrt, pow, clamp, softmax),
and minin.normal: gradient checks in float64, PyTorch's values, gradients, dtypes and errors."""

import warnings

import numpy as np
import pytest

import minin as mn
import minin.nn.functional as F
from helpers import case_tests, compare_with_torch


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def positive(*shape, seed=0):
    return np.random.default_rng(seed).uniform(0.5, 2.0, shape)


X = randn(3, 4)
# (name, minin function, torch function (of the torch module), inputs)
CASES = [
    ("sigmoid", lambda a: mn.sigmoid(a), lambda t, a: t.sigmoid(a), [X * 4]),
    ("sigmoid_method", lambda a: a.sigmoid(), lambda t, a: a.sigmoid(), [X]),
    ("F.sigmoid", lambda a: F.sigmoid(a), lambda t, a: t.nn.functional.sigmoid(a), [X]),
    ("tanh", lambda a: mn.tanh(a), lambda t, a: t.tanh(a), [X * 2]),
    ("F.tanh", lambda a: F.tanh(a), lambda t, a: t.nn.functional.tanh(a), [X]),
    ("abs", lambda a: a.abs(), lambda t, a: a.abs(), [X]),
    ("abs_builtin", lambda a: abs(a), lambda t, a: abs(a), [X]),
    ("sqrt", lambda a: mn.sqrt(a), lambda t, a: t.sqrt(a), [positive(3, 4)]),
    ("pow_number", lambda a: mn.pow(a, 3), lambda t, a: t.pow(a, 3), [X]),
    ("pow_tensor", lambda a, b: a.pow(b), lambda t, a, b: a.pow(b), [positive(3, 4), X]),
    ("pow_broadcast", lambda a, b: a ** b, lambda t, a, b: a ** b, [positive(3, 4), randn(4, seed=1)]),
    ("rpow", lambda a: 2 ** a, lambda t, a: 2 ** a, [X]),
    ("pow_number_base", lambda a: mn.pow(2.5, a), lambda t, a: t.pow(2.5, a), [X]),
    ("clamp", lambda a: a.clamp(-0.5, 0.5), lambda t, a: a.clamp(-0.5, 0.5), [X]),
    ("clamp_min", lambda a: mn.clamp(a, min=0.1), lambda t, a: t.clamp(a, min=0.1), [X]),
    ("clip_max", lambda a: a.clip(max=0.2), lambda t, a: a.clip(max=0.2), [X]),
    ("clamp_tensors", lambda a, lo, hi: mn.clamp(a, lo, hi), lambda t, a, lo, hi: t.clamp(a, lo, hi),
     [X, randn(4, seed=1) - 1, randn(3, 1, seed=2) + 1]),
    ("softmax", lambda a: mn.softmax(a, 1), lambda t, a: t.softmax(a, 1), [X]),
    ("softmax_method", lambda a: a.softmax(0), lambda t, a: a.softmax(0), [X]),
    ("log_softmax", lambda a: mn.log_softmax(a, -1), lambda t, a: t.log_softmax(a, -1), [X]),
    ("log_softmax_method", lambda a: a.log_softmax(dim=0), lambda t, a: a.log_softmax(dim=0), [X]),
]


test_gradcheck, test_values_and_gradients_match_torch, test_same_on_the_gpu = case_tests(CASES)


def test_gradients_at_zeros_ties_and_crossed_bounds_match_torch():
    """Where the formulas have kinks or 0 · inf: |x| at 0, clamp at its bounds and with
    min > max, pow at base 0 and exponent 0."""
    torch = pytest.importorskip("torch")
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    compare_with_torch(lambda a: a.abs(), lambda a: a.abs(), [x])
    compare_with_torch(lambda a: a.clamp(-0.5, 0.5), lambda a: a.clamp(-0.5, 0.5), [x])
    compare_with_torch(lambda a: a.clamp(0.5, -0.5), lambda a: a.clamp(0.5, -0.5), [x])
    lo, hi = np.array([-0.5, 0.0, 1.0, 0.5, 2.0]), np.array([0.5, 0.0, 0.0, 0.5, 1.0])
    compare_with_torch(lambda a, b, c: mn.clamp(a, b, c), lambda a, b, c: torch.clamp(a, b, c), [x, lo, hi])
    compare_with_torch(lambda a, b: mn.clamp(a, min=b), lambda a, b: torch.clamp(a, min=b), [x, lo])
    compare_with_torch(lambda a, c: mn.clamp(a, max=c), lambda a, c: torch.clamp(a, max=c), [x, hi])
    base, exponent = np.array([0.0, 0.0, 1.5, 2.0, 0.0]), np.array([0.0, 2.0, 0.0, 1.5, 1.0])
    compare_with_torch(lambda a, b: a ** b, lambda a, b: a ** b, [base, exponent])
    compare_with_torch(lambda b: 0.0 ** b, lambda b: 0.0 ** b, [exponent])
    compare_with_torch(lambda a: a ** 0, lambda a: a ** 0, [base])


def test_dtypes_follow_torch():
    torch = pytest.importorskip("torch")
    ints, floats = [1, 2, 4], [1.0, 2.0, 4.0]
    makes = [
        lambda t: t.sigmoid(t.tensor(ints)), lambda t: t.tanh(t.tensor(ints)),
        lambda t: t.sqrt(t.tensor(ints)), lambda t: t.tensor(ints).abs(), lambda t: t.abs(t.tensor(floats)),
        lambda t: t.tensor(floats).sigmoid(), lambda t: t.tensor(floats, dtype=t.float64).tanh(),
        lambda t: t.tensor(ints) ** t.tensor([0.5, 2.0, 1.0]), lambda t: t.tensor(ints).pow(2),
        lambda t: 2 ** t.tensor(ints), lambda t: 2.0 ** t.tensor(ints), lambda t: 2 ** t.tensor(floats),
        lambda t: t.tensor(floats) ** t.tensor(2.0, dtype=t.float64),
        lambda t: t.tensor(floats) ** t.tensor([2.0, 1.0, 1.0], dtype=t.float64),
        lambda t: t.pow(t.tensor(ints), t.tensor(ints)),
        lambda t: t.tensor(ints).clamp(min=2), lambda t: t.tensor(ints).clamp(min=1.5),
        lambda t: t.tensor(ints).clamp(max=2.5), lambda t: t.tensor(floats).clamp(0, 3),
        lambda t: t.tensor(floats).clamp(min=t.tensor(1.5, dtype=t.float64)),
        lambda t: t.tensor(floats).clamp(max=t.tensor([1.5, 2.5, 3.5], dtype=t.float64)),
        lambda t: t.tensor(ints).clamp(t.tensor([2, 2, 2]), t.tensor([3.0, 3.0, 3.0])),
        lambda t: t.softmax(t.tensor([floats]), 1),
        lambda t: t.softmax(t.tensor([floats]), 1, dtype=t.float64),
        lambda t: t.log_softmax(t.tensor([floats]), 1), lambda t: t.tensor([floats]).log_softmax(0),
    ]
    for make in makes:
        ours, theirs = make(mn), make(torch)
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), make
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_float32_values_match_torch_and_sigmoid_never_overflows():
    torch = pytest.importorskip("torch")
    x = np.array([-1e30, -1e4, -100.0, -20.0, -1.0, 0.0, 1.0, 20.0, 100.0, 1e4, 1e30], np.float32)
    for dtype in (np.float32, np.float64):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            t = mn.tensor(x.astype(dtype), requires_grad=True)
            y = mn.sigmoid(t)
            y.sum().backward()
        expected = torch.sigmoid(torch.tensor(x.astype(dtype)))
        assert y.dtype == dtype and t.grad.dtype == dtype
        np.testing.assert_allclose(y.numpy(), expected.numpy(), rtol=1e-6, atol=1e-38)  # denormals
        assert np.all(np.isfinite(t.grad)) and t.grad[0] == t.grad[-1] == 0
    for name in ("tanh", "abs"):
        np.testing.assert_allclose(getattr(mn, name)(mn.tensor(x)).numpy(),
                                   getattr(torch, name)(torch.tensor(x)).numpy(), rtol=1e-6)
    assert np.isnan(mn.sigmoid(mn.tensor([np.nan])).item())


def test_bad_arguments_are_clear_errors():
    x = mn.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="clamp: at least one of min and max must not be None"):
        x.clamp()
    with pytest.raises(TypeError, match="clamp: min must be a number, a tensor or None, got str"):
        mn.clamp(x, min="0")
    with pytest.raises(TypeError, match="pow: the exponent must be a number, a tensor or an array, got str"):
        x ** "2"
    with pytest.raises(TypeError, match="sigmoid takes a Tensor .*, got list"):
        mn.sigmoid([1.0])
    with pytest.raises(TypeError, match="pow takes a Tensor .*, got int"):
        mn.pow(2, 3)
    with pytest.raises(TypeError, match="give dim"):
        x.softmax(None)
    assert x.clamp(min=3, max=1).tolist() == [1.0, 1.0]      # min > max: max everywhere, as torch


def test_functions_take_arrays_and_live_where_pytorch_has_them():
    a = np.array([-1.0, 4.0], np.float32)
    assert mn.abs(a).tolist() == [1.0, 4.0] and mn.clip(a, 0, 1).tolist() == [0.0, 1.0]
    for name in ("sigmoid", "tanh", "abs", "sqrt", "pow", "clamp", "clip", "softmax", "log_softmax",
                 "normal"):
        assert callable(getattr(mn, name)) and name in mn.__all__
    for name in ("sigmoid", "tanh", "nll_loss", "one_hot"):
        assert name in F.__all__ and callable(getattr(F, name))


# ------------------------------------------------------------------ normal

def test_normal_draws_from_the_seeded_generator_as_randn():
    mn.manual_seed(3)
    drawn = mn.normal(0, 1, size=(50,))
    mn.manual_seed(3)
    np.testing.assert_array_equal(drawn.numpy(), mn.randn(50).numpy())
    mn.manual_seed(3)
    scaled = mn.normal(2.0, 0.5, (50,), dtype=mn.float64)
    mn.manual_seed(3)
    np.testing.assert_allclose(scaled.numpy(), mn.randn(50, dtype=mn.float64).numpy() * 0.5 + 2.0)


def test_normal_in_pytorchs_forms():
    torch = pytest.importorskip("torch")
    w, w_torch = mn.normal(0, 0.01, size=(784, 10), requires_grad=True), \
        torch.normal(0, 0.01, size=(784, 10), requires_grad=True)
    assert (w.shape, str(w.dtype), w.requires_grad, w.grad) == \
        (tuple(w_torch.shape), "float32", True, None)
    assert 0.008 < float(w.numpy().std()) < 0.012 and abs(float(w.numpy().mean())) < 1e-3
    means = [0.0, 100.0, -100.0]
    for make in [lambda t: t.normal(t.tensor(means), 0.0), lambda t: t.normal(t.tensor(means), t.zeros(2, 1)),
                 lambda t: t.normal(1.0, t.zeros(2, dtype=t.float64))]:
        ours, theirs = make(mn), make(torch)   # std 0: the means, in torch's shape and dtype
        assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    drawn = mn.normal(mn.full((2000,), 5.0), mn.full((2000,), 2.0))
    assert 4.8 < float(drawn.numpy().mean()) < 5.2 and 1.8 < float(drawn.numpy().std()) < 2.2
    assert mn.normal(0, 1, (3,), dtype=mn.float64).dtype == np.float64


def test_normal_refuses_what_torch_refuses():
    with pytest.raises(TypeError, match="give the size"):
        mn.normal(0.0, 1.0)
    with pytest.raises(ValueError, match="std must be >= 0"):
        mn.normal(0, -1, size=(2,))
    with pytest.raises(ValueError, match="std must be >= 0 everywhere"):
        mn.normal(mn.zeros(2), mn.tensor([1.0, -1.0]))
    with pytest.raises(TypeError, match="must be floating point, got dtype int64"):
        mn.normal(mn.tensor([0, 1]), 1.0)
    with pytest.raises(TypeError, match="mean must be a number or a tensor, got str"):
        mn.normal("0", 1.0, size=(2,))
    with pytest.raises(TypeError, match="go only with numbers for mean and std"):
        mn.normal(mn.zeros(2), 1.0, size=(2,))
    with pytest.raises(TypeError, match="floating-point"):
        mn.normal(0, 1, size=(2,), dtype=mn.int64)
