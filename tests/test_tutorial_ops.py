"""What PyTorch's own first tutorials (quickstart, tensors, autograd) and d2l's preliminaries
call besides what NiN needs: var and std, norm, cumsum, where, t/mm/mv/dot, the method forms
of arithmetic, all/any/allclose/equal, the random and range constructors, softplus and
binary cross-entropy with logits, grad_fn. Gradient checks in float64, PyTorch's values,
dtypes and errors."""

import warnings

import numpy as np
import pytest

import minin as mn
import minin.nn.functional as F
from helpers import case_tests, compare_with_torch


X = np.random.default_rng(0).standard_normal((3, 4, 5))
Y = np.random.default_rng(1).standard_normal((3, 4, 5))
W, P = np.abs(Y[0]), np.abs(X[0, 0])  # per-element and per-class (last axis) weights
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
    ("t", lambda a: a.t() * mn.arange(3.0, dtype=mn.float64), lambda t, a: a.t() * t.arange(3.0, dtype=t.float64),
     [X[0, :3]]),
    ("t_function", lambda a: mn.t(a), lambda t, a: t.t(a), [X[0, :, 0]]),
    ("mm", lambda a, b: mn.mm(a, b), lambda t, a, b: t.mm(a, b), [X[0], Y[0].T]),
    ("mv", lambda a, b: a.mv(b), lambda t, a, b: a.mv(b), [X[0], Y[0, 0]]),
    ("dot", lambda a, b: mn.dot(a, b), lambda t, a, b: t.dot(a, b), [X[0, 0], Y[0, 0]]),
    ("norm", lambda a: a.norm(), lambda t, a: a.norm(), [X]),
    ("norm_dim", lambda a: mn.norm(a, dim=1, keepdim=True), lambda t, a: t.norm(a, dim=1, keepdim=True), [X]),
    ("norm_p1", lambda a: a.norm(p=1, dim=(0, 2)), lambda t, a: a.norm(p=1, dim=(0, 2)), [X]),
    ("norm_inf", lambda a: a.norm(p=float("inf"), dim=-1), lambda t, a: a.norm(p=float("inf"), dim=-1), [X]),
    ("norm_minus_inf", lambda a: a.norm(p=-float("inf")), lambda t, a: a.norm(p=-float("inf")), [X]),
    ("norm_p3", lambda a: a.norm(p=3, dim=1), lambda t, a: a.norm(p=3, dim=1), [X]),
    ("norm_p0", lambda a: a.norm(p=0, dim=0) + a.sum(), lambda t, a: a.norm(p=0, dim=0) + a.sum(),
     [X * (np.abs(X) > 0.5)]),
    ("cumsum", lambda a: a.cumsum(1), lambda t, a: a.cumsum(1), [X]),
    ("cumsum_last", lambda a: mn.cumsum(a, dim=-1), lambda t, a: t.cumsum(a, dim=-1), [X]),
    ("cumsum_axis", lambda a: a.cumsum(axis=0), lambda t, a: a.cumsum(axis=0), [X]),
    ("where", lambda a, b: mn.where(a > b, a, b), lambda t, a, b: t.where(a > b, a, b), [X, Y]),
    ("where_broadcast", lambda a, b: mn.where(a > 0, a, b), lambda t, a, b: t.where(a > 0, a, b), [X, Y[0, 0]]),
    ("where_number", lambda a: mn.where(a > 0, a, 0.5), lambda t, a: t.where(a > 0, a, 0.5), [X]),
    ("softplus", lambda a: F.softplus(a * 10), lambda t, a: t.nn.functional.softplus(a * 10), [X]),
    ("softplus_beta", lambda a: F.softplus(a, beta=3, threshold=2),
     lambda t, a: t.nn.functional.softplus(a, beta=3, threshold=2), [X]),
    ("softplus_negative_beta", lambda a: F.softplus(a * 10, beta=-0.5),
     lambda t, a: t.nn.functional.softplus(a * 10, beta=-0.5), [X]),
    ("add_alpha", lambda a, b: mn.add(a, b, alpha=-2.5), lambda t, a, b: t.add(a, b, alpha=-2.5), [X, Y]),
    ("sub_alpha", lambda a, b: a.sub(b, alpha=3), lambda t, a, b: a.sub(b, alpha=3), [X, Y]),
    ("bce_logits", lambda a, b: F.binary_cross_entropy_with_logits(a * 3, b.sigmoid()),
     lambda t, a, b: t.nn.functional.binary_cross_entropy_with_logits(a * 3, b.sigmoid()), [X, Y]),
    ("bce_logits_weights", lambda a, b: F.binary_cross_entropy_with_logits(  # PyTorch: no gradient
        a, b.sigmoid(), mn.tensor(W), reduction="sum", pos_weight=mn.tensor(P)),  # for the weights
     lambda t, a, b: t.nn.functional.binary_cross_entropy_with_logits(
         a, b.sigmoid(), t.tensor(W), reduction="sum", pos_weight=t.tensor(P)), [X, Y]),
    ("bce_logits_module", lambda a, b: mn.nn.BCEWithLogitsLoss(reduction="none")(a, b.sigmoid()),
     lambda t, a, b: t.nn.BCEWithLogitsLoss(reduction="none")(a, b.sigmoid()), [X, Y]),
]


test_gradcheck, test_values_and_gradients_match_torch, test_same_on_the_gpu = case_tests(CASES)


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
    with pytest.raises(TypeError, match="std needs a floating-point tensor, got dtype int64"):
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


def test_where_the_formulas_have_kinks_gradients_match_torch():
    """The norm at 0, binary cross-entropy and softplus at logit 0 (where max and abs have
    kinks), and very large logits."""
    torch = pytest.importorskip("torch")
    zero, logits = np.zeros((2, 3)), np.array([[0.0, -800.0, 800.0], [0.0, 1e-8, -30.0]])
    targets = np.array([[1.0, 0.0, 1.0], [0.25, 0.5, 1.0]])
    compare_with_torch(lambda a: a.norm(), lambda a: a.norm(), [zero])
    compare_with_torch(lambda a: a.norm(dim=1), lambda a: a.norm(dim=1), [np.array([[0.0, 0.0], [3.0, 4.0]])])
    compare_with_torch(lambda a, b: F.binary_cross_entropy_with_logits(a, b),
                       lambda a, b: torch.nn.functional.binary_cross_entropy_with_logits(a, b), [logits, targets])
    compare_with_torch(lambda a: F.softplus(a), lambda a: torch.nn.functional.softplus(a), [logits])
    equal = np.array([[2.0, 2.0, 2.0], [1.0, -1.0, 0.0]])  # a row whose deviation is 0
    compare_with_torch(lambda a: a.std(dim=1), lambda a: a.std(dim=1), [equal])
    compare_with_torch(lambda a: a.var(dim=1), lambda a: a.var(dim=1), [equal])
    for p in (3, 1.5, 1):
        compare_with_torch(lambda a: a.norm(p=p, dim=1), lambda a: a.norm(p=p, dim=1),
                           [np.array([[0.0, 0.0], [0.0, -2.0]])])
    x = mn.tensor([0.0], requires_grad=True)
    F.binary_cross_entropy_with_logits(x, mn.tensor([1.0])).backward()
    assert x.grad.tolist() == [-0.5]  # sigmoid(0) - 1


def test_new_operations_keep_float32_and_name_bad_arguments():
    torch = pytest.importorskip("torch")
    x = X.astype(np.float32)
    for make in [lambda t, a: a.norm(), lambda t, a: a.cumsum(0), lambda t, a: t.where(a > 0, a, 0.0),
                 lambda t, a: t.nn.functional.softplus(a), lambda t, a: a[0].t(),
                 lambda t, a: t.tensor([1, 2, 3]).cumsum(0), lambda t, a: t.tensor([True, False]).cumsum(0),
                 lambda t, a: t.where(a > 0, t.tensor(1), t.tensor(0.5)),
                 lambda t, a: t.nn.functional.binary_cross_entropy_with_logits(a, (a > 0).float())]:
        ours, theirs = make(mn, mn.tensor(x)), make(torch, torch.tensor(x))
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), make
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)
    ours, theirs = mn.where(mn.tensor(x) > 1), torch.where(torch.tensor(x) > 1)
    assert [i.tolist() for i in ours] == [i.tolist() for i in theirs]


@pytest.mark.parametrize("call, error, message", [
    (lambda: mn.zeros(2, 3, 4).t(), ValueError, r"t\(\) takes a tensor of at most 2 dimensions"),
    (lambda: mn.mm(mn.ones(2, 3), mn.ones(2, 3)), ValueError, r"mm: shapes \(2, 3\) and \(2, 3\) don't multiply"),
    (lambda: mn.mm(mn.ones(2, 3), mn.ones(3)), ValueError, "mm takes a 2-D and a 2-D tensor"),
    (lambda: mn.mv(mn.ones(2, 3), mn.ones(2)), ValueError, "mv: shapes"),
    (lambda: mn.dot(mn.ones(3), mn.ones(3, dtype=mn.float64)), TypeError, "dot: both must have one dtype"),
    (lambda: mn.norm(mn.ones(3), p="nuc"), ValueError, "norm: p must be 'fro' or a number, got 'nuc'"),
    (lambda: mn.norm(mn.ones(3), p=-1), ValueError, "norm: p must not be negative \\(other than -inf\\), got -1"),
    (lambda: mn.ones(3).var(correction=0, unbiased=True), TypeError, "var takes correction or unbiased"),
    (lambda: mn.ones(3).add(1, alpha="2"), TypeError, "add: alpha must be a number"),
    (lambda: mn.arange(3).norm(), TypeError, "norm needs a floating-point tensor"),
    (lambda: mn.ones(3).cumsum(1), IndexError, "cumsum"),
    (lambda: mn.ones(3).cumsum(), TypeError, "cumsum needs dim"),
    (lambda: mn.ones(3).cumsum(0, axis=0), TypeError, "cumsum: give dim"),
    (lambda: mn.where(mn.ones(3), 1.0, 0.0), TypeError, "where: the condition must be a bool tensor"),
    (lambda: mn.where(mn.ones(3) > 0, 1.0), TypeError, "where takes the condition alone"),
    (lambda: mn.where(mn.ones(3) > 0, mn.ones(2), 0.0), ValueError, "where"),
    (lambda: F.softplus(mn.ones(2), beta=0), ValueError, "softplus: beta must be a nonzero number, got 0"),
    (lambda: mn.nn.Softplus(threshold="20"), TypeError, "Softplus: threshold must be a number"),
    (lambda: F.binary_cross_entropy_with_logits(mn.ones(2), mn.ones(3)), ValueError, "target must have"),
    (lambda: F.binary_cross_entropy_with_logits(mn.ones(2), mn.tensor([1, 0])), TypeError, "target must be floating"),
    (lambda: F.binary_cross_entropy_with_logits(mn.ones(2), mn.ones(2), weight=mn.ones(2, 2)), ValueError,
     "weight and pos_weight must broadcast"),
    (lambda: mn.nn.BCEWithLogitsLoss(reduction="avg"), ValueError, "reduction must be"),
])
def test_new_operations_refuse_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_alpha_keeps_pytorch_dtypes():
    torch = pytest.importorskip("torch")
    for make in [lambda t, T: t.add(T([1.0, 2.0]), T([1, 2]), alpha=0.5),
                 lambda t, T: t.sub(T([1, 2]), T([1, 2]), alpha=3),
                 lambda t, T: T([1.0], dtype=t.float64).add(T([2.0]), alpha=2)]:
        ours, theirs = make(mn, mn.tensor), make(torch, torch.tensor)
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_allclose(ours.numpy(), theirs.numpy())
    ours = mn.add(mn.ones(2), np.array([1, 2]), alpha=0.5)  # an int array, as an int tensor would
    assert ours.dtype == np.float32 and ours.tolist() == [1.5, 2.0]


def test_zero_dimensional_and_empty_inputs_answer_as_torch():
    torch = pytest.importorskip("torch")
    for make in [lambda t: t.tensor(3.0).cumsum(0), lambda t: t.zeros(0).cumsum(0), lambda t: t.tensor(-3.0).norm(),
                 lambda t: t.zeros(0).norm(), lambda t: t.zeros(0).all(), lambda t: t.zeros(0).any(),
                 lambda t: t.tensor(1.0).all(0), lambda t: t.tensor([1.0, 2.0]).t(), lambda t: t.eye(3, 0),
                 lambda t: t.dot(t.zeros(0), t.zeros(0)), lambda t: t.tensor([[1.0, 2.0]]).norm(p=0)]:
        ours, theirs = make(mn), make(torch)
        assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_allclose(ours.numpy(), theirs.numpy())
    for condition in (True, False):
        ours, theirs = mn.where(mn.tensor(condition)), torch.where(torch.tensor(condition))
        assert [i.tolist() for i in ours] == [i.tolist() for i in theirs]


# ------------------------------------------------- sorting, top-k and gather (top-5 accuracy)
S = np.random.default_rng(2).permutation(60).reshape(3, 4, 5) / 7.0  # no ties: one right order
SORT_CASES = [
    ("sort", lambda a: a.sort(dim=1)[0], lambda t, a: a.sort(dim=1)[0], [S]),
    ("sort_descending", lambda a: mn.sort(a, descending=True)[0], lambda t, a: t.sort(a, descending=True)[0], [S]),
    ("topk", lambda a: a.topk(2)[0], lambda t, a: a.topk(2)[0], [S]),
    ("topk_smallest_dim0", lambda a: mn.topk(a, 3, dim=0, largest=False).values,
     lambda t, a: t.topk(a, 3, dim=0, largest=False).values, [S]),
    ("gather", lambda a: a.gather(2, mn.tensor(np.array([[[0, 4, 4]] * 4] * 3))),
     lambda t, a: a.gather(2, t.tensor(np.array([[[0, 4, 4]] * 4] * 3))), [S]),
    ("gather_smaller", lambda a: mn.gather(a, 0, mn.tensor([[[2, 1]]])),
     lambda t, a: t.gather(a, 0, t.tensor([[[2, 1]]])), [S]),
]
test_sort_gradcheck, test_sort_matches_torch, test_sort_same_on_the_gpu = case_tests(SORT_CASES)

# ------------------------------------------------------------ shapes: expand, repeat, split, ...
SHAPE_CASES = [
    ("expand", lambda a: a[:, :1].expand(3, 4, 5) * mn.arange(5.0, dtype=mn.float64),
     lambda t, a: a[:, :1].expand(3, 4, 5) * t.arange(5.0, dtype=t.float64), [S]),
    ("expand_new_axes", lambda a: a.expand(2, -1, -1, -1), lambda t, a: a.expand(2, -1, -1, -1), [S]),
    ("repeat", lambda a: a.repeat(2, 1, 3), lambda t, a: a.repeat(2, 1, 3), [S]),
    ("repeat_more_axes", lambda a: a[0].repeat(2, 1, 2), lambda t, a: a[0].repeat(2, 1, 2), [S]),
    ("masked_fill", lambda a: a.masked_fill(a > 4.05, -1.0), lambda t, a: a.masked_fill(a > 4.05, -1.0), [S]),
    ("split", lambda a: mn.cat([p * (i + 1) for i, p in enumerate(a.split(2, dim=2))], 2),
     lambda t, a: t.cat([p * (i + 1) for i, p in enumerate(a.split(2, dim=2))], 2), [S]),
    ("split_sections", lambda a: mn.split(a, [1, 3], 1)[1], lambda t, a: t.split(a, [1, 3], 1)[1], [S]),
    ("chunk", lambda a: a.chunk(2, dim=-1)[1], lambda t, a: a.chunk(2, dim=-1)[1], [S]),
]
test_shape_gradcheck, test_shape_matches_torch, test_shape_same_on_the_gpu = case_tests(SHAPE_CASES)


def test_in_place_fills_follow_torch():
    torch = pytest.importorskip("torch")
    for t in (mn, torch):
        x = t.zeros(2, 3)
        x.copy_(t.tensor([1.0, 2.0, 3.0]))  # broadcast
        assert x.tolist() == [[1.0, 2.0, 3.0]] * 2
    x = mn.zeros(2, dtype=mn.int64).copy_(mn.tensor([1.7, -2.2]))
    assert x.tolist() == torch.zeros(2, dtype=torch.int64).copy_(torch.tensor([1.7, -2.2])).tolist()
    mn.manual_seed(0)
    u, n = mn.empty(10000).uniform_(-2, 3), mn.empty(10000, dtype=mn.float64).normal_(1.0, 0.5)
    assert u.dtype == np.float32 and -2 <= u.min().item() and u.max().item() < 3
    assert n.dtype == np.float64 and abs(n.mean().item() - 1.0) < 0.02 and abs(n.std().item() - 0.5) < 0.02
    p = mn.nn.Parameter(mn.zeros(3))
    with mn.no_grad():
        p.normal_(0, 0.01)  # how a PyTorch program initialises a parameter by hand
    with pytest.raises(RuntimeError, match="normal_: a leaf tensor that requires grad"):
        p.normal_()
    with pytest.raises(RuntimeError, match="copy_: a leaf tensor that requires grad"):
        p.copy_(mn.ones(3))


@pytest.mark.parametrize("call, error, message", [
    (lambda: mn.ones(2, 3).expand(3), ValueError, "expand: 1 sizes for a tensor of 2 dimensions"),
    (lambda: mn.ones(2, 3).expand(4, 3), ValueError, r"expand: shape \(2, 3\) can't be expanded to \(4, 3\)"),
    (lambda: mn.ones(2, 3).repeat(2), ValueError, "repeat: give at least one count per dimension"),
    (lambda: mn.ones(3).masked_fill(mn.ones(3), 0.0), TypeError, "where: the condition must be a bool tensor"),
    (lambda: mn.ones(3).masked_fill(mn.ones(3) > 0, "a"), TypeError, "masked_fill: value must be a number"),
    (lambda: mn.ones(3).masked_fill(mn.ones(2, 3) > 0, 0.0), ValueError, "masked_fill: a mask of shape"),
    (lambda: mn.ones(5).split([2, 2]), ValueError, "split: lengths \\[2, 2\\] must be non-negative ints that add up to 5"),
    (lambda: mn.ones(5).split(0), ValueError, "split: the piece length must be positive"),
    (lambda: mn.ones(5).chunk(0), ValueError, "chunk: chunks must be a positive int"),
    (lambda: mn.ones(2).copy_(mn.ones(3)), ValueError, "copy_: could not broadcast input array from shape"),
])
def test_shape_operations_refuse_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_indices_and_order_follow_torch_with_ties_nans_and_unsigned_integers():
    torch = pytest.importorskip("torch")
    for values in ([1, 3, 3, 2, 3], [1.0, np.nan, 0.0, np.nan], np.array([200, 3, 250, 3], np.uint8)):
        for descending in (False, True):
            ours = mn.tensor(np.asarray(values)).sort(descending=descending)
            theirs = torch.tensor(np.asarray(values)).sort(descending=descending, stable=True)
            assert ours.indices.tolist() == theirs.indices.tolist()
            np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
            assert mn.argsort(mn.tensor(np.asarray(values)), descending=descending).tolist() == \
                theirs.indices.tolist()
    scores, labels = np.random.default_rng(3).standard_normal((8, 10)), np.arange(8)
    ours = (mn.tensor(scores).topk(5, dim=1).indices == mn.tensor(labels)[:, None]).any(dim=1)
    theirs = (torch.tensor(scores).topk(5, dim=1).indices == torch.tensor(labels)[:, None]).any(dim=1)
    assert ours.tolist() == theirs.tolist()  # top-5 accuracy, as a training script counts it
    for k in (0, 1):
        assert mn.tensor(3.0).topk(k).values.item() == torch.tensor(3.0).topk(k).values.item()


@pytest.mark.parametrize("call, error, message", [
    (lambda: mn.ones(2, 3).topk(4), ValueError, r"topk: k must be an int from 0 to 3 \(the length of dim -1\), got 4"),
    (lambda: mn.ones(2, 3).topk(1.0), ValueError, "topk: k must be an int"),
    (lambda: mn.ones(2, 3).sort(dim=2), IndexError, "argsort"),
    (lambda: mn.ones(2, 3).gather(1, mn.tensor([[0.0]])), ValueError, "gather: index must be an integer tensor"),
    (lambda: mn.ones(2, 3).gather(1, mn.tensor([0])), ValueError, "gather: index must be"),
    (lambda: mn.ones(2, 3).gather(0, mn.tensor([[0, 0, 0, 0]])), ValueError, "no larger than its shape"),
    (lambda: mn.ones(2, 3).gather(1, mn.tensor([[3]])), IndexError, "gather: index out of range for dim 1 of size 3"),
])
def test_sorting_refuses_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("call, error, message", [
    (lambda: mn.allclose(mn.ones(2), "a"), TypeError, "allclose takes a Tensor"),
    (lambda: mn.allclose(mn.ones(2), mn.ones(2), rtol="a"), ValueError, "allclose: rtol must be a non-negative number"),
    (lambda: mn.full_like("a", 1), TypeError, "full_like takes a Tensor, got str"),
    (lambda: mn.rand_like([1.0]), TypeError, "rand_like takes a Tensor, got list"),
    (lambda: F.batch_norm(mn.ones(2, 3), None, None, training=True, momentum="a"), ValueError,
     "batch_norm: momentum must be a non-negative number, got 'a'"),
    (lambda: mn.nn.BatchNorm2d(3, eps="x"), ValueError, "BatchNorm2d: eps must be a positive number, got 'x'"),
    (lambda: mn.nn.BatchNorm1d(3)([[1.0, 2.0, 3.0]]), TypeError, "BatchNorm1d takes a Tensor, got list"),
    (lambda: mn.optim.lr_scheduler.ReduceLROnPlateau(mn.optim.SGD([mn.nn.Parameter(mn.ones(1))])).step("a"),
     TypeError, "ReduceLROnPlateau.step takes the metric"),
])
def test_arguments_of_the_wrong_kind_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_edge_cases_found_in_review_answer_as_torch():
    torch = pytest.importorskip("torch")
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    for make in [lambda t, T: T(x).var(dim=()), lambda t, T: T(x).sum(dim=()), lambda t, T: T(x).mean(dim=[]),
                 lambda t, T: T(x).var(False), lambda t, T: T(x).std(0, True), lambda t, T: T(x).var(1, False, True),
                 lambda t, T: T(np.array([1, 2], np.int32)).cumsum(0, dtype=t.int32),
                 lambda t, T: T([np.inf, 1.0, 0.0]).norm(0), lambda t, T: T(np.array([300, 400], np.float16)).norm(),
                 lambda t, T: t.gather(T(3.0), 0, T(np.array(0))),
                 lambda t, T: t.nn.functional.binary_cross_entropy_with_logits(
                     T([0.5, -1.0]), T([1.0, 0.0]), weight=T([1.0, 2.0], dtype=t.float64),
                     pos_weight=T([3.0], dtype=t.float64))]:
        ours, theirs = make(mn, mn.tensor), make(torch, torch.tensor)
        assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_allclose(ours.numpy().astype(float), theirs.numpy().astype(float), rtol=1e-3)
    with pytest.raises(IndexError, match="gather: index out of range for dim 0 of size 2"):
        mn.gather(mn.tensor([1.0, 2.0]), 0, mn.tensor([-1]))
    with pytest.raises(ValueError, match="randperm: 300 values don't fit in int8"):
        mn.randperm(300, dtype=np.int8)
    with pytest.raises(TypeError, match="add: for integer tensors alpha must be an integer, got 0.5"):
        mn.add(mn.tensor([1]), mn.tensor([2]), alpha=0.5)
    x16 = mn.nn.Parameter(mn.zeros(2, dtype=mn.float16))
    x16.grad = np.array([300, 400], np.float16)
    assert mn.nn.utils.clip_grad_norm_(x16, 1.0).item() == 500.0
    np.testing.assert_allclose(x16.grad, [0.6, 0.8], rtol=1e-3)
