"""Every Tensor operation: numerical gradient checks, PyTorch parity, and the graph's life cycle."""

import gc
import weakref

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import minin as mn
from helpers import as_numpy, compare_with_torch


def leaf(array, grad=True):
    return mn.tensor(np.asarray(array, dtype=np.float64), requires_grad=grad)


def positive(rng, *shape):
    return rng.uniform(0.5, 2.0, size=shape)


# One entry per operation: (name, minin function, torch function, input shapes, positive inputs?)
OPS = [
    ("add", lambda a, b: a + b, lambda a, b: a + b, [(3, 4), (3, 4)], False),
    ("add_broadcast_row", lambda a, b: a + b, lambda a, b: a + b, [(3, 4), (4,)], False),
    ("add_broadcast_both", lambda a, b: a + b, lambda a, b: a + b, [(3, 1, 5), (4, 1)], False),
    ("add_scalar", lambda a: a + 2.5, lambda a: a + 2.5, [(2, 3)], False),
    ("radd_scalar", lambda a: 2.5 + a, lambda a: 2.5 + a, [(2, 3)], False),
    ("sub_broadcast", lambda a, b: a - b, lambda a, b: a - b, [(2, 3), (2, 1)], False),
    ("rsub_scalar", lambda a: 1.0 - a, lambda a: 1.0 - a, [(4,)], False),
    ("mul_broadcast", lambda a, b: a * b, lambda a, b: a * b, [(2, 3, 4), (3, 1)], False),
    ("mul_scalar", lambda a: a * -3.0, lambda a: a * -3.0, [(5,)], False),
    ("div", lambda a, b: a / b, lambda a, b: a / b, [(3, 4), (3, 4)], True),
    ("div_broadcast", lambda a, b: a / b, lambda a, b: a / b, [(3, 4), (1, 4)], True),
    ("rdiv_scalar", lambda a: 2.0 / a, lambda a: 2.0 / a, [(3,)], True),
    ("neg", lambda a: -a, lambda a: -a, [(2, 2)], False),
    ("pow_square", lambda a: a ** 2, lambda a: a ** 2, [(3, 2)], False),
    ("pow_fraction", lambda a: a ** 1.5, lambda a: a ** 1.5, [(3, 2)], True),
    ("pow_negative", lambda a: a ** -2, lambda a: a ** -2, [(4,)], True),
    ("matmul_2d", lambda a, b: a @ b, lambda a, b: a @ b, [(3, 4), (4, 5)], False),
    ("matmul_batched", lambda a, b: a @ b, lambda a, b: a @ b, [(2, 3, 4), (2, 4, 5)], False),
    ("matmul_broadcast_batch", lambda a, b: a @ b, lambda a, b: a @ b, [(2, 3, 4), (4, 5)], False),
    ("matmul_vector", lambda a, b: a @ b, lambda a, b: a @ b, [(3, 4), (4,)], False),
    ("vector_matmul", lambda a, b: a @ b, lambda a, b: a @ b, [(4,), (4, 2)], False),
    ("sum_all", lambda a: a.sum(), lambda a: a.sum(), [(3, 4)], False),
    ("sum_axis", lambda a: a.sum(axis=1), lambda a: a.sum(dim=1), [(3, 4, 2)], False),
    ("sum_axes_keepdims", lambda a: a.sum(axis=(0, 2), keepdims=True),
     lambda a: a.sum(dim=(0, 2), keepdim=True), [(3, 4, 2)], False),
    ("sum_negative_axis", lambda a: a.sum(axis=-1), lambda a: a.sum(dim=-1), [(3, 4)], False),
    ("mean_all", lambda a: a.mean(), lambda a: a.mean(), [(3, 4)], False),
    ("mean_axis_keepdims", lambda a: a.mean(axis=0, keepdims=True),
     lambda a: a.mean(dim=0, keepdim=True), [(3, 4)], False),
    ("mean_axes", lambda a: a.mean(axis=(1, 2)), lambda a: a.mean(dim=(1, 2)), [(2, 3, 4)], False),
    ("max_axis", lambda a: a.max(axis=1), lambda a: a.max(dim=1).values, [(3, 5)], False),
    ("max_axis_keepdims", lambda a: a.max(axis=0, keepdims=True),
     lambda a: a.max(dim=0, keepdim=True).values, [(4, 3)], False),
    ("exp", lambda a: a.exp(), lambda a: a.exp(), [(3, 3)], False),
    ("log", lambda a: a.log(), lambda a: a.log(), [(3, 3)], True),
    ("relu", lambda a: a.relu(), lambda a: a.relu(), [(4, 5)], False),
    ("reshape", lambda a: a.reshape(4, 3) * 1.0, lambda a: a.reshape(4, 3), [(2, 6)], False),
    ("reshape_infer", lambda a: a.reshape(-1), lambda a: a.reshape(-1), [(2, 3)], False),
    ("transpose", lambda a: a.transpose(2, 0, 1), lambda a: a.permute(2, 0, 1), [(2, 3, 4)], False),
    ("transpose_reverse", lambda a: a.T, lambda a: a.permute(1, 0), [(2, 3)], False),
    ("transpose_negative_axes", lambda a: a.transpose(-1, 0, 1), lambda a: a.permute(-1, 0, 1),
     [(2, 3, 4)], False),
    ("sum_axis_list", lambda a: a.sum(axis=[0, 2]), lambda a: a.sum(dim=[0, 2]), [(3, 4, 2)], False),
    ("flatten", lambda a: a.flatten(1), lambda a: a.flatten(1), [(2, 3, 4)], False),
    ("astype", lambda a: a.astype(np.float64) * 3, lambda a: a.double() * 3, [(3,)], False),
    ("pow_zero", lambda a: a ** 0, lambda a: a ** 0, [(3,)], False),
    ("index_int", lambda a: a[1], lambda a: a[1], [(3, 4)], False),
    ("index_slice", lambda a: a[:, 1:3], lambda a: a[:, 1:3], [(3, 4)], False),
    ("index_step", lambda a: a[::2, ::-1], lambda a: a[::2].flip(1), [(5, 4)], False),
    ("cat", lambda a, b: mn.cat([a, b, a], axis=1), lambda a, b: __import__("torch").cat([a, b, a], 1),
     [(2, 3), (2, 2)], False),
]


def _inputs(shapes, positive_only, seed=0):
    rng = np.random.default_rng(seed)
    return [positive(rng, *s) if positive_only else rng.standard_normal(s) for s in shapes]


@pytest.mark.parametrize("name, ours, _, shapes, positive_only", OPS, ids=[op[0] for op in OPS])
def test_gradcheck(name, ours, _, shapes, positive_only):
    arrays = _inputs(shapes, positive_only)
    assert mn.gradcheck(ours, [leaf(a) for a in arrays])


@pytest.mark.parametrize("name, ours, theirs, shapes, positive_only", OPS, ids=[op[0] for op in OPS])
def test_matches_torch(name, ours, theirs, shapes, positive_only):
    pytest.importorskip("torch")
    compare_with_torch(ours, theirs, _inputs(shapes, positive_only))


def test_pow_zero_has_a_zero_gradient_at_zero():
    a = leaf([0.0, 1.0])
    (a ** 0).sum().backward()
    assert a.grad.tolist() == [0.0, 0.0]


def test_astype_keeps_the_graph_and_sends_the_gradient_back_in_the_source_dtype():
    a = mn.tensor([1.0, 2.0], requires_grad=True)
    b = a.double()
    assert b.dtype == np.float64 and b.requires_grad
    (b * 2).sum().backward()
    assert a.grad.dtype == np.float32 and a.grad.tolist() == [2.0, 2.0]
    with mn.no_grad():
        assert not a.float().requires_grad


def test_constant_operands_leave_a_float32_tensor_float32():
    a = mn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for out in (a * np.array(2.0), np.array(2.0) + a, a - [1.0, 2.0, 3.0], [1, 2, 3] / a,
                a * np.float64(2)):
        assert out.dtype == np.float32
    (a * np.array(2.0)).sum().backward()
    assert a.grad.tolist() == [2.0, 2.0, 2.0]


def test_flatten_checks_start_dim():
    with pytest.raises(ValueError, match="start_dim 2 is out of range for 2 dimensions"):
        mn.tensor(np.ones((2, 3))).flatten(2)
    assert mn.tensor(np.ones((2, 3))).flatten().shape == (6,)


def test_indexing_with_integer_arrays_accumulates_repeats():
    a = leaf(np.arange(5.0))
    picked = a[np.array([0, 2, 2, 4])]
    picked.sum().backward()
    assert a.grad.tolist() == [1, 0, 2, 0, 1]
    assert mn.gradcheck(lambda t: t[np.array([[0, 1], [1, 1]]), 1:], [leaf(np.random.rand(3, 3))])


def test_indexing_with_a_tensor_index():
    a = leaf(np.arange(4.0))
    a[mn.tensor([3, 3], dtype=np.int64)].sum().backward()
    assert a.grad.tolist() == [0, 0, 0, 2]


def test_max_gradient_goes_to_the_first_maximum_like_torch():
    torch = pytest.importorskip("torch")
    data = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0]])
    a = leaf(data)
    a.max(axis=1).sum().backward()
    t = torch.tensor(data, requires_grad=True)
    t.max(dim=1).values.sum().backward()
    assert a.grad.tolist() == t.grad.tolist() == [[0, 1, 0, 0], [1, 0, 0, 0]]


def test_max_over_everything_shares_ties_like_torch():
    torch = pytest.importorskip("torch")
    data = np.array([[1.0, 3.0], [3.0, 0.0]])
    a = leaf(data)
    a.max().backward()
    t = torch.tensor(data, requires_grad=True)
    t.max().backward()
    assert a.grad.tolist() == t.grad.tolist() == [[0, 0.5], [0.5, 0]]


# ------------------------------------------------------------------ broadcasting and reductions

@st.composite
def broadcastable_pair(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4))
    return shapes.input_shapes


@settings(max_examples=40, deadline=None)
@given(broadcastable_pair(), st.sampled_from(["add", "sub", "mul", "div"]))
def test_broadcasting_gradients_sum_back_to_each_input(shapes, op):
    rng = np.random.default_rng(0)
    a, b = (rng.uniform(0.5, 1.5, size=s) for s in shapes)
    fn = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y,
          "mul": lambda x, y: x * y, "div": lambda x, y: x / y}[op]
    x, y = leaf(a), leaf(b)
    assert mn.gradcheck(fn, [x, y])
    out = fn(mn.tensor(a, requires_grad=True), mn.tensor(b, requires_grad=True))
    assert out.shape == np.broadcast_shapes(a.shape, b.shape)


@settings(max_examples=40, deadline=None)
@given(hnp.array_shapes(min_dims=1, max_dims=4, max_side=4), st.data())
def test_reductions_over_any_axes(shape, data):
    ndim = len(shape)
    axes = data.draw(st.lists(st.integers(0, ndim - 1), unique=True, min_size=1, max_size=ndim))
    keepdims = data.draw(st.booleans())
    kind = data.draw(st.sampled_from(["sum", "mean", "max"]))
    values = np.random.default_rng(0).permutation(int(np.prod(shape))).reshape(shape).astype(float)
    if kind == "max":
        axis = axes[0]
        fn = lambda t: t.max(axis=axis, keepdims=keepdims)  # noqa: E731
        expected = values.max(axis=axis, keepdims=keepdims)
    else:
        axis = tuple(axes)
        fn = lambda t: getattr(t, kind)(axis=axis, keepdims=keepdims)  # noqa: E731
        expected = getattr(values, kind)(axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(as_numpy(fn(leaf(values))), expected)
    assert mn.gradcheck(fn, [leaf(values)])


# ------------------------------------------------------------------ the graph

def test_long_chain_needs_no_recursion():
    x = mn.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y * 1.0 + 0.0
    y.sum().backward()
    assert x.grad.tolist() == [1.0]


def test_gradients_of_a_scalar_leaf_accumulate():
    x = mn.tensor(2.0, requires_grad=True)
    (x * x).backward()
    (x * 3).backward()
    assert isinstance(x.grad, np.ndarray) and x.grad.shape == () and float(x.grad) == 7.0
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert float(x.grad) == 15.0


def test_gradients_accumulate_until_zeroed():
    x = mn.tensor([2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [6.0]
    x.zero_grad()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0]


def test_a_tensor_used_twice_gets_both_contributions():
    x = mn.tensor([3.0], requires_grad=True)
    y = x * x + x  # x reaches the output along three paths
    y.sum().backward()
    assert x.grad.tolist() == [7.0]
    h = x * 2
    (h * h + h.exp()).sum().backward()  # fan-out of an intermediate result
    assert x.grad.tolist() == pytest.approx([7.0 + 8 * 3 + 2 * np.exp(6.0)])


def test_no_grad_builds_no_graph():
    x = mn.tensor([1.0, 2.0], requires_grad=True)
    with mn.no_grad():
        assert not mn.is_grad_enabled()
        y = (x * 2).sum()
    assert mn.is_grad_enabled()
    assert not y.requires_grad and y._ctx is None

    @mn.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    assert mn.is_grad_enabled()
    with mn.no_grad():
        with mn.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad


def test_constants_build_no_graph():
    a, b = mn.tensor([1.0]), mn.tensor([2.0])
    c = a * b + 1
    assert not c.requires_grad and c._ctx is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        c.backward()


def test_graph_is_released_after_backward():
    x = mn.tensor(np.ones((100, 100)), requires_grad=True)
    hidden = (x * 2).exp()
    watcher = weakref.ref(hidden)
    loss = (hidden * 3).sum()
    del hidden
    assert watcher() is not None  # the graph holds the intermediate result...
    loss.backward()
    assert watcher() is None  # ...and lets go of it after backward, without gc
    gc.collect()
    assert watcher() is None
    with pytest.raises(RuntimeError, match="already freed"):
        loss.backward()


def test_retain_graph_allows_a_second_backward():
    x = mn.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_backward_of_a_non_scalar_needs_a_gradient():
    x = mn.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    with pytest.raises(RuntimeError, match="one-element"):
        y.backward()
    with pytest.raises(ValueError, match="shape"):
        y.backward(np.ones(3))
    y.backward(np.array([1.0, 10.0]))
    assert x.grad.tolist() == [3.0, 30.0]


def test_float32_stays_float32(backend):
    x = mn.tensor(np.random.rand(3, 4), dtype=np.float32, requires_grad=True)
    w = mn.tensor(np.random.rand(4, 2), dtype=np.float32, requires_grad=True)
    y = ((x @ w).relu().exp() / 3.0 - np.float64(2.0)) ** 2
    out = (y.log() + y.max(axis=1, keepdims=True)).mean()
    assert out.dtype == np.float32
    out.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_ops_run_on_every_backend(backend):
    a = mn.tensor(np.random.rand(3, 4), requires_grad=True)
    b = mn.tensor(np.random.rand(4), requires_grad=True)
    ((a * b + a / (b + 1)) @ mn.tensor(np.ones((4, 2)))).relu().sum().backward()
    assert a.grad.shape == (3, 4) and b.grad.shape == (4,)
    assert mn.backend.get_array_module(a.grad) is mn.backend.xp()


# ------------------------------------------------------------------ writing a Function

class Cube(mn.Function):
    def forward(self, x):
        self.x = x
        return x ** 3

    def backward(self, grad):
        return grad * 3 * self.x ** 2


class WrongCube(Cube):
    def backward(self, grad):
        return grad * 2 * self.x ** 2


def test_a_custom_function_is_checked_by_gradcheck():
    x = leaf(np.random.default_rng(0).standard_normal((2, 3)))
    assert mn.gradcheck(Cube.apply, [x])
    with pytest.raises(AssertionError, match=r"gradient of input 0 \(shape \(2, 3\)\) is wrong at index"):
        mn.gradcheck(WrongCube.apply, [x])


def test_directional_gradcheck_for_large_inputs():
    big = leaf(np.random.default_rng(0).standard_normal((50, 60)))
    assert mn.gradcheck(lambda t: (t * t).exp().sum(axis=0), [big], directional=True)
    with pytest.raises(AssertionError, match="directional derivative mismatch"):
        mn.gradcheck(WrongCube.apply, [big], directional=True)


class NanCube(Cube):
    def backward(self, grad):
        return grad * np.nan


def test_a_nan_gradient_fails_gradcheck():
    x = leaf([1.0, 2.0])
    with pytest.raises(AssertionError, match="analytic nan"):
        mn.gradcheck(NanCube.apply, [x])
    with pytest.raises(AssertionError, match="numerical nan"), np.errstate(invalid="ignore"):
        mn.gradcheck(lambda t: t.log(), [leaf([-1.0, 2.0])])


def test_gradcheck_passes_integer_inputs_as_they_are():
    import minin.functional as F
    logits = leaf(np.random.default_rng(0).standard_normal((3, 4)))
    assert mn.gradcheck(F.cross_entropy, [logits, mn.Tensor(np.array([0, 3, 1]))])
    with pytest.raises(TypeError, match="fn must return one Tensor, got tuple"):
        mn.gradcheck(lambda t: (t, t), [logits])


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="requires_grad"):
        mn.gradcheck(lambda t: t * 2, [mn.tensor([1.0])])


def test_a_backward_returning_the_wrong_shape_is_reported():
    class Broken(mn.Function):
        def forward(self, x):
            return x.sum()

        def backward(self, grad):
            return grad.reshape(1)

    with pytest.raises(RuntimeError, match=r"Broken.backward returned a gradient of shape \(1,\)"):
        Broken.apply(mn.tensor([1.0, 2.0], requires_grad=True)).backward()


def test_cat_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="do not match outside axis 0"):
        mn.cat([mn.tensor(np.zeros((2, 3))), mn.tensor(np.zeros((2, 4)))])


@pytest.mark.parametrize("call, error, message", [
    (lambda: mn.cat(mn.tensor([[1.0, 2.0]])), TypeError, "a list or tuple of tensors, got Tensor"),
    (lambda: mn.cat([mn.tensor([1.0]), [2.0]]), TypeError, "cat takes tensors, got list among them"),
    (lambda: mn.cat([mn.tensor([1.0])], axis=2), ValueError, "axis 2 is out of range for 1 dimensions"),
    (lambda: mn.cat([mn.tensor([1.0])], axis=None), TypeError, "axis must be an int, got None"),
    (lambda: mn.cat([mn.tensor(1.0), mn.tensor(2.0)]), ValueError, "0-d tensors have no axis"),
    (lambda: list(mn.tensor(3.0)), TypeError, "iteration over a 0-d tensor"),
    (lambda: len(mn.tensor(3.0)), TypeError, r"len\(\) of a 0-d tensor"),
    (lambda: mn.tensor([[1.0, 2.0]]) @ 2.0, ValueError, "matmul needs operands of at least one dimension"),
    (lambda: mn.tensor([1.0]).to(3), TypeError, "to\\(\\) takes a device, a backend name or a dtype, got 3"),
])
def test_misused_tensor_operations_say_what_was_expected(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_iterating_a_tensor_gives_its_rows_and_matmul_keeps_float32_with_lists():
    rows = list(leaf(np.arange(6.0).reshape(2, 3)))
    assert [r.numpy().tolist() for r in rows] == [[0, 1, 2], [3, 4, 5]]
    t = mn.tensor([[1.0, 2.0]])
    assert (t @ [[1.0], [1.0]]).dtype == np.float32 and ([[1.0, 1.0]] @ t.T).dtype == np.float32


@pytest.mark.parametrize("change", [lambda t: t.__iadd__(1), lambda t: t.mul_(2),
                                    lambda t: t.__setitem__(0, 5.0), lambda t: t.zero_()])
def test_changing_a_kept_input_in_place_before_backward_is_an_error_as_in_pytorch(change):
    x, w = mn.ones(3), mn.ones(3, requires_grad=True)
    y = (x * w).sum()  # Mul keeps x for w's gradient
    change(x)
    with pytest.raises(RuntimeError, match=r"Mul.backward needs its input 0 as it was, but it was "
                                           r"changed in place"):
        y.backward()


def test_changing_an_input_that_was_only_read_is_fine_as_in_pytorch():
    x, w = mn.ones(3), mn.ones(3, requires_grad=True)
    y = (x + w).sum()  # Add keeps neither input
    x += 1
    y.backward()
    assert w.grad.tolist() == [1.0, 1.0, 1.0]
    torch = pytest.importorskip("torch")
    tx, tw = torch.ones(3), torch.ones(3, requires_grad=True)
    ty = (tx + tw).sum()
    tx += 1
    ty.backward()  # PyTorch agrees: no error
    assert tw.grad.tolist() == w.grad.tolist()


@pytest.mark.parametrize("change", [lambda x: x.__iadd__(1), lambda x: x[1].__iadd__(1),
                                    lambda x: x.reshape(3, 2).T[0].__imul__(2),
                                    lambda x: x.detach().zero_()])
def test_a_view_counts_changes_with_the_memory_it_shows_as_in_pytorch(change):
    x, w = mn.ones(2, 3), mn.ones(3, requires_grad=True)
    y = (x[0] * w).sum()  # Mul keeps the view x[0]
    change(x)  # the base, another view of it, or a detached copy that shares it
    with pytest.raises(RuntimeError, match="changed in place"):
        y.backward()
    x, w = mn.ones(2, 3), mn.ones(3, requires_grad=True)
    y = (x[0] * w).sum()
    x.clone().add_(1)  # a copy is another memory
    y.backward()
    assert w.grad.tolist() == [1.0, 1.0, 1.0]
