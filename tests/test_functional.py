"""relu, dropout, linear, flatten, pad, log_softmax and cross_entropy."""

import numpy as np
import pytest

import minin as mn
import minin.functional as F
from helpers import as_numpy, compare_with_torch, in_kernel_layout, is_kernel_layout


def leaf(a):
    return mn.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ------------------------------------------------------------------ relu

def test_relu_gradcheck_and_torch():
    x = randn(3, 4, 5) + 0.05  # no element within eps of the kink
    assert mn.gradcheck(F.relu, [leaf(x)])
    torch = pytest.importorskip("torch")
    compare_with_torch(F.relu, torch.relu, [x])


def test_relu_keeps_layout_and_dtype(backend):
    x = mn.Tensor(in_kernel_layout(np.random.rand(2, 3, 4, 4).astype(np.float32) - 0.5, mn.backend.xp()),
                  requires_grad=True)
    y = F.relu(x)
    assert y.dtype == np.float32 and is_kernel_layout(y.data)
    y.sum().backward()
    assert x.grad.dtype == np.float32


# ------------------------------------------------------------------ dropout

def test_dropout_is_inverted_and_reproducible(backend):
    x = mn.tensor(np.ones((200, 100)), dtype=np.float32)
    mn.manual_seed(5)
    y = F.dropout(x, p=0.3).numpy()
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.7)}
    assert abs((y == 0).mean() - 0.3) < 0.02
    assert abs(y.mean() - 1.0) < 0.03  # expectation preserved
    mn.manual_seed(5)
    assert np.array_equal(F.dropout(x, p=0.3).numpy(), y)
    assert y.dtype == np.float32


def test_dropout_is_the_identity_when_not_training_or_p_is_zero():
    x = mn.tensor(np.random.rand(4, 4))
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x


@pytest.mark.parametrize("p", [-0.1, 1.01, 1.5, float("nan"), "half"])
def test_dropout_rejects_bad_p(p):
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]"):
        F.dropout(mn.tensor([1.0]), p)


def test_dropout_with_p_one_drops_everything_as_pytorch_does():
    x = leaf([1.0, -2.0, 3.0])
    y = F.dropout(x, 1.0)
    assert y.tolist() == [0.0, 0.0, 0.0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    # x * 0, as in PyTorch: a NaN in the input stays visible
    assert np.isnan(F.dropout(mn.tensor([np.nan, 1.0]), 1.0).numpy()).tolist() == [True, False]


def test_dropout_gradient_with_a_fixed_mask():
    def fixed_mask_dropout(t):
        mn.manual_seed(11)  # the same mask on every call
        return F.dropout(t, p=0.4)

    assert mn.gradcheck(fixed_mask_dropout, [leaf(randn(6, 7))])


def test_dropout_mask_has_the_input_dtype_and_is_not_a_graph_node():
    x = leaf(randn(5, 5))
    y = F.dropout(x, 0.5)
    mask = y._ctx.mask
    assert mask.dtype == np.float64 and not isinstance(mask, mn.Tensor)
    assert [type(p).__name__ for p in y._ctx.parents] == ["Tensor", "ndarray"]
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, mask)


# ------------------------------------------------------------------ linear and flatten

def test_linear_gradcheck_and_torch():
    arrays = [randn(4, 3), randn(5, 3, seed=1), randn(5, seed=2)]
    assert mn.gradcheck(F.linear, [leaf(a) for a in arrays])
    assert mn.gradcheck(lambda x, w: F.linear(x, w), [leaf(randn(2, 4, 3)), leaf(arrays[1])])
    torch = pytest.importorskip("torch")
    compare_with_torch(F.linear, torch.nn.functional.linear, arrays)


def test_linear_rejects_mismatched_features():
    with pytest.raises(ValueError, match="input has 4 features but the weight expects 3"):
        F.linear(mn.tensor(np.zeros((2, 4))), mn.tensor(np.zeros((5, 3))))
    with pytest.raises(ValueError, match=r"bias must have shape \(5,\)"):
        F.linear(mn.tensor(np.zeros((2, 3))), mn.tensor(np.zeros((5, 3))), mn.tensor(np.zeros(4)))


def test_linear_refuses_to_mix_dtypes():
    weight = mn.tensor(np.zeros((5, 3), np.float32))
    with pytest.raises(TypeError, match="linear: input is float64 but weight is float32"):
        F.linear(mn.tensor(np.zeros((2, 3))), weight)
    with pytest.raises(TypeError, match="linear: input must be floating point, got dtype int64"):
        F.linear(mn.Tensor(np.zeros((2, 3), np.int64)), weight)


def test_flatten():
    x = leaf(randn(2, 3, 4, 5))
    assert F.flatten(x).shape == (2, 60)
    assert F.flatten(x, start_dim=2).shape == (2, 3, 20)
    assert mn.gradcheck(F.flatten, [x])
    with pytest.raises(ValueError, match="start_dim 4 is out of range"):
        F.flatten(x, 4)


# ------------------------------------------------------------------ pad

@pytest.mark.parametrize("widths", [(1, 2), (0, 1, 2, 0), (-1, 2, 1, -2), (1, 1, 1, 1, 1, 1), (0, 0)])
def test_pad_gradcheck_and_torch(widths):
    x = randn(2, 3, 4, 5)
    assert mn.gradcheck(lambda t: F.pad(t, widths), [leaf(x)])
    torch = pytest.importorskip("torch")
    compare_with_torch(lambda t: F.pad(t, widths, value=1.5),
                       lambda t: torch.nn.functional.pad(t, widths, value=1.5), [x])


def test_pad_keeps_the_dtype_and_casts_the_value():
    assert F.pad(mn.ones(2), (1, 0), value=2.5).dtype == np.float32
    padded = F.pad(mn.tensor([1, 1]), (1, 1), value=2.7)  # as PyTorch: the value takes x's dtype
    assert padded.dtype == np.int64 and padded.tolist() == [2, 1, 1, 2]


@pytest.mark.parametrize("widths, mode, error, message", [
    ((1,), "constant", TypeError, "two per padded axis"),
    ((1.5, 1), "constant", TypeError, "tuple of ints"),
    ((True, 1), "constant", TypeError, "tuple of ints"),
    (3, "constant", TypeError, "tuple of ints"),
    ((0,) * 10, "constant", ValueError, "pad 5 axes, but the input has 4"),
    ((-3, -3), "constant", ValueError, r"crop more than the 5 elements of axis 3"),
    ((1, 1), "reflect", NotImplementedError, "only mode='constant'"),
])
def test_pad_rejects_bad_arguments(widths, mode, error, message):
    with pytest.raises(error, match=message):
        F.pad(mn.zeros(2, 3, 4, 5), widths, mode=mode)


# ------------------------------------------------------------------ log_softmax and cross_entropy

def test_log_softmax_gradcheck_and_torch():
    x = randn(4, 6)
    assert mn.gradcheck(F.log_softmax, [leaf(x)])
    assert mn.gradcheck(lambda t: F.log_softmax(t, axis=0), [leaf(x)])
    torch = pytest.importorskip("torch")
    compare_with_torch(F.log_softmax, lambda t: torch.log_softmax(t, dim=-1), [x])


def test_log_softmax_is_stable_for_huge_logits():
    x = mn.tensor([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]])
    out = F.log_softmax(x).numpy()
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out[0], [0, -2000, -1000], atol=1e-3)
    np.testing.assert_allclose(out[1], [-np.log(3)] * 3, rtol=1e-6)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_gradcheck_and_torch(reduction):
    logits, labels = randn(5, 4), np.array([0, 3, 1, 1, 2])
    assert mn.gradcheck(lambda t: F.cross_entropy(t, labels, reduction=reduction), [leaf(logits)])
    torch = pytest.importorskip("torch")
    compare_with_torch(lambda t: F.cross_entropy(t, labels, reduction=reduction),
                       lambda t: torch.nn.functional.cross_entropy(t, torch.tensor(labels), reduction=reduction),
                       [logits])


def test_cross_entropy_accepts_label_tensors_and_is_stable(backend):
    logits = mn.tensor([[1000.0, -1000.0], [-1000.0, 1000.0]], requires_grad=True)
    labels = mn.Tensor(mn.backend.xp().asarray(np.array([1, 1])))
    loss = F.cross_entropy(logits, labels)
    assert np.isfinite(loss.item()) and loss.item() == pytest.approx(1000.0)
    loss.backward()
    np.testing.assert_allclose(as_numpy(logits.grad), [[0.5, -0.5], [0, 0]], atol=1e-6)
    assert loss.dtype == logits.grad.dtype == np.float32


@pytest.mark.parametrize("labels, error, message", [
    (np.array([0, 4]), ValueError, r"label 4 is outside \[0, 4\)"),
    (np.array([-1, 0]), ValueError, r"label -1 is outside"),
    (np.array([0, 1, 2]), ValueError, r"target must have shape \(2,\)"),
    (np.array([[0], [1]]), ValueError, r"target must have shape \(2,\)"),
    (np.array([0.0, 1.0]), TypeError, "integer class labels"),
    ("cat", TypeError, "integer class labels"),
])
def test_cross_entropy_rejects_bad_labels(labels, error, message):
    with pytest.raises(error, match=message):
        F.cross_entropy(mn.tensor(np.zeros((2, 4))), labels)


def test_cross_entropy_needs_a_class():
    with pytest.raises(ValueError, match=r"at least one class: the logits have shape \(3, 0\)"):
        F.cross_entropy(mn.tensor(np.zeros((3, 0))), np.zeros(3, np.int64))


def test_log_softmax_needs_an_int_axis():
    with pytest.raises(TypeError, match="log_softmax: axis must be an int, got None"):
        F.log_softmax(mn.tensor([1.0, 2.0]), None)


def test_cross_entropy_rejects_bad_logits_and_reduction():
    with pytest.raises(ValueError, match=r"logits of shape \(N, K\)"):
        F.cross_entropy(mn.tensor(np.zeros(4)), np.array([0]))
    with pytest.raises(ValueError, match="reduction must be"):
        F.cross_entropy(mn.tensor(np.zeros((1, 4))), np.array([0]), reduction="avg")
