"""What PyTorch's own first tutorials (quickstart, tensors, autograd) call besides what NiN
needs: var and std, the method forms of arithmetic, all/any/allclose/equal, the random and
range constructors, grad_fn and torch.accelerator. Gradient checks in float64, PyTorch's
values, dtypes and errors."""

import warnings

import numpy as np
import pytest

import minin as mn
from helpers import compare_with_torch


def leaf(a):
    return mn.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


X = np.random.default_rng(0).standard_normal((3, 4, 5))
Y = np.random.default_rng(1).standard_normal((3, 4, 5))
# (name, minin function, torch function, inputs); the torch function gets the torch module first
CASES = [
    ("var_all", lambda a: a.var(), lambda t, a: a.var(), [X]),
    ("var_dim", lambda a: mn.var(a, 1), lambda t, a: t.var(a, 1), [X]),
    ("var_dims_keepdim", lambda a: a.var(dim=(0, 2), keepdim=True),
     lambda t, a: a.var(dim=(0, 2), keepdim=True), [X]),
    ("var_list_dims", lambda a: a.var(dim=[0, -1]), lambda t, a: a.var(dim=[0, -1]), [X]),
    ("var_correction_0", lambda a: a.var(-1, correction=0), lambda t, a: a.var(-1, correction=0), [X]),
    ("var_unbiased_false", lambda a: a.var(1, unbiased=False), lambda t, a: a.var(1, unbiased=False), [X]),
    ("std_all", lambda a: mn.std(a), lambda t, a: t.std(a), [X]),
    ("std_dim", lambda a: a.std(dim=2, keepdim=True), lambda t, a: a.std(dim=2, keepdim=True), [X]),
    ("std_correction_2", lambda a: a.std(0, correction=2), lambda t, a: a.std(0, correction=2), [X]),
    ("neg", lambda a: a.neg(), lambda t, a: a.neg(), [X]),
    ("neg_function", lambda a: mn.neg(a), lambda t, a: t.neg(a), [X]),
    ("add_method", lambda a, b: a.add(b), lambda t, a, b: a.add(b), [X, Y]),
    ("sub_method", lambda a, b: a.sub(b), lambda t, a, b: a.sub(b), [X, Y[0]]),
    ("mul_method", lambda a, b: a.mul(b), lambda t, a, b: a.mul(b), [X, Y]),
    ("div_method", lambda a: a.div(2.5), lambda t, a: a.div(2.5), [X]),
    ("matmul_method", lambda a, b: a.matmul(b.transpose(1, 2)), lambda t, a, b: a.matmul(b.transpose(1, 2)),
     [X, Y]),
]


@pytest.mark.parametrize("name, ours, theirs, inputs", CASES, ids=[c[0] for c in CASES])
def test_gradcheck(name, ours, theirs, inputs):
    assert mn.gradcheck(ours, [leaf(a) for a in inputs])


@pytest.mark.parametrize("name, ours, theirs, inputs", CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients_match_torch(name, ours, theirs, inputs):
    torch = pytest.importorskip("torch")
    compare_with_torch(ours, lambda *a: theirs(torch, *a), inputs)


def test_var_and_std_keep_float32_and_warn_without_degrees_of_freedom():
    torch = pytest.importorskip("torch")
    x = X.astype(np.float32)
    for name in ("var", "std"):
        ours, theirs = getattr(mn.tensor(x), name)(1), getattr(torch.tensor(x), name)(1)
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5)
    one = mn.tensor([3.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # nan from the formula, not a 0/0
        with pytest.warns(UserWarning, match="1 values with correction 1 leave no degree of freedom"):
            v = one.var()
        v.backward()
    with pytest.warns(UserWarning, match="degrees of freedom"):
        assert np.isnan(v.item()) and np.isnan(torch.tensor([3.0]).var().item())
    with pytest.raises(TypeError, match="var and std need a floating-point tensor, got dtype int64"):
        mn.arange(3).std()
    with pytest.raises(TypeError, match="var: correction must be a number, got 'x'"):
        mn.ones(3).var(correction="x")
    with pytest.raises(IndexError, match="var"):
        mn.ones(3).var(dim=1)


def test_all_any_allclose_and_equal_answer_as_torch():
    torch = pytest.importorskip("torch")
    a = np.array([[1.0, 0.0, 2.0], [3.0, 4.0, 5.0]], np.float32)
    for make in [lambda t, x: x.all(), lambda t, x: x.any(), lambda t, x: t.all(x, dim=1),
                 lambda t, x: x.any(dim=0, keepdim=True), lambda t, x: (x > 0).all(1),
                 lambda t, x: t.any(x == 7), lambda t, x: x.long().all(dim=-1)]:
        ours, theirs = make(mn, mn.tensor(a)), make(torch, torch.tensor(a))
        assert ours.dtype == np.bool_ and ours.tolist() == theirs.tolist()
    b = a + 1e-6
    for make in [lambda t: t.allclose(t.tensor(a), t.tensor(b)),
                 lambda t: t.tensor(a).allclose(t.tensor(a + 1e-3)),
                 lambda t: t.allclose(t.tensor(a), t.tensor(a + 1e-3), atol=1e-2),
                 lambda t: t.allclose(t.tensor([np.nan]), t.tensor([np.nan])),
                 lambda t: t.allclose(t.tensor([np.nan]), t.tensor([np.nan]), equal_nan=True),
                 lambda t: t.equal(t.tensor(a), t.tensor(a)), lambda t: t.tensor(a).equal(t.tensor(b)),
                 lambda t: t.equal(t.tensor(a), t.tensor(a[:1])), lambda t: t.equal(t.ones(2), t.ones(2, 1))]:
        ours, theirs = make(mn), make(torch)
        assert type(ours) is bool and ours == theirs
    with pytest.raises(ValueError, match="allclose.*(2, 3).*(4,)"):
        mn.allclose(mn.tensor(a), mn.zeros(4))
    with pytest.raises(TypeError, match="equal takes a Tensor"):
        mn.equal(mn.tensor(a), "a")


def test_constructors_match_torch():
    torch = pytest.importorskip("torch")
    for make in [lambda t: t.linspace(0, 1, 5), lambda t: t.linspace(-3, 7, 11), lambda t: t.linspace(2, 2, 1),
                 lambda t: t.linspace(0, 1, 0), lambda t: t.linspace(0, 1, 4, dtype=t.float64),
                 lambda t: t.eye(3), lambda t: t.eye(2, 4), lambda t: t.eye(0), lambda t: t.eye(2, dtype=t.int64),
                 lambda t: t.full_like(t.zeros(2, 3), 7.5), lambda t: t.full_like(t.arange(3), 2)]:
        ours, theirs = make(mn), make(torch)
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "") and ours.shape == tuple(theirs.shape)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-7)
    template = mn.zeros(2, 3, dtype=mn.float64)
    for make in (mn.rand_like, mn.randn_like):
        t = make(template, requires_grad=True)
        assert t.shape == (2, 3) and t.dtype == np.float64 and t.requires_grad
    assert ((mn.rand_like(mn.zeros(1000)).numpy() >= 0) & (mn.rand_like(mn.zeros(1000)).numpy() < 1)).all()
    mn.manual_seed(3)
    first = mn.randperm(10)
    mn.manual_seed(3)
    assert first.tolist() == mn.randperm(10).tolist() and sorted(first.tolist()) == list(range(10))
    assert first.dtype == np.int64 and mn.randperm(0).shape == (0,) and mn.eye(2, requires_grad=True).requires_grad


@pytest.mark.parametrize("call, error, message", [
    (lambda: mn.randperm(-1), ValueError, "randperm: n must be a non-negative int, got -1"),
    (lambda: mn.randperm(2.0), ValueError, "randperm: n must be a non-negative int, got 2.0"),
    (lambda: mn.randperm(3, requires_grad=True), TypeError, "only floating-point tensors can require"),
    (lambda: mn.linspace(0, 1, -1), ValueError, "linspace: steps must be a non-negative int, got -1"),
    (lambda: mn.linspace(0, "1", 3), TypeError, "linspace: end must be a number, got str"),
    (lambda: mn.eye(True), ValueError, "eye: n must be a non-negative int, got True"),
    (lambda: mn.eye(2, -1), ValueError, "eye: m must be a non-negative int, got -1"),
    (lambda: mn.rand_like(mn.arange(3)), TypeError, "rand makes floating-point tensors, got dtype int64"),
])
def test_constructors_refuse_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_grad_fn_names_the_operation_and_is_none_for_leaves():
    x = mn.randn(5, 3, requires_grad=True)
    z = x * 2 + 1
    assert x.grad_fn is None and z.grad_fn is not None and type(z.grad_fn).__name__ == "Add"
    assert type(z.grad_fn.parents[0].grad_fn).__name__ == "Mul"
    assert (x.detach() * 2).grad_fn is None and not z.is_cuda
    with mn.no_grad():
        assert (x * 2).grad_fn is None
