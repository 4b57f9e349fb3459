"""PyTorch-named losses, adaptive pools and minin.nn.functional: gradient checks in float64,
and the same values, gradients, shapes, dtypes and errors as torch.nn."""

import numpy as np
import pytest

import minin as mn
import minin.functional
import minin.nn as nn
import minin.nn.functional as F
from helpers import as_numpy, compare_with_torch


def leaf(a):
    return mn.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


LABELS = np.array([0, 2, 1, 2, 4])
CE_OPTIONS = [dict(), dict(reduction="sum"), dict(reduction="none"),
              dict(weight=np.array([1.0, 2.0, 0.5, 3.0, 1.5])),
              dict(ignore_index=2), dict(label_smoothing=0.2),
              dict(weight=np.array([1.0, 2.0, 0.5, 3.0, 1.5]), ignore_index=1,
                   label_smoothing=0.1),
              dict(weight=np.array([1.0, 2.0, 0.5, 3.0, 1.5]), label_smoothing=0.3,
                   reduction="none")]


# ------------------------------------------------------------------ nn.functional

def test_nn_functional_has_everything_minin_functional_has():
    extended = ("cross_entropy", "mse_loss", "softmax", "adaptive_avg_pool2d",
                "adaptive_max_pool2d", "relu", "dropout", "max_pool2d")
    for name in minin.functional.__all__:
        assert name in F.__all__
        if name not in extended:
            assert getattr(F, name) is getattr(minin.functional, name)
    for name in extended:
        assert callable(getattr(F, name)) and name in F.__all__
    assert nn.functional is F


def test_cross_entropy_with_defaults_is_the_fused_kernel():
    logits = mn.tensor(randn(5, 5).astype(np.float32), requires_grad=True)
    fused = minin.functional.cross_entropy(logits, LABELS)
    ours = F.cross_entropy(logits, LABELS)
    assert ours.dtype == np.float32 and ours.item() == fused.item()
    assert type(ours._ctx) is type(fused._ctx)   # one node: the fused kernel, not a graph


@pytest.mark.parametrize("options", CE_OPTIONS)
def test_cross_entropy_gradcheck(options):
    assert mn.gradcheck(lambda x: F.cross_entropy(x, LABELS, **options), [leaf(randn(5, 5))])


@pytest.mark.parametrize("options", CE_OPTIONS)
def test_cross_entropy_matches_torch(options):
    torch = pytest.importorskip("torch")
    theirs = dict(options)
    if "weight" in theirs:
        theirs["weight"] = torch.tensor(theirs["weight"])
    compare_with_torch(lambda x: F.cross_entropy(x, LABELS, **options),
                       lambda x: torch.nn.functional.cross_entropy(x, torch.tensor(LABELS), **theirs),
                       [randn(5, 5)])


def test_cross_entropy_float32_stays_float32_with_options():
    logits = mn.tensor(randn(5, 5).astype(np.float32), requires_grad=True)
    loss = F.cross_entropy(logits, LABELS, weight=np.ones(5), label_smoothing=0.1)
    loss.backward()
    assert loss.dtype == np.float32 and logits.grad.dtype == np.float32


def test_cross_entropy_ignores_the_default_ignore_index_label():
    torch = pytest.importorskip("torch")
    labels = np.array([0, -100, 3])
    x = randn(3, 4)
    ours = F.cross_entropy(mn.tensor(x), labels).item()
    theirs = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(labels)).item()
    assert ours == pytest.approx(theirs, rel=1e-12)


def test_cross_entropy_errors_name_the_mistake():
    x = mn.tensor(randn(3, 4))
    with pytest.raises(ValueError, match=r"label 7 is outside \[0, 4\)"):
        F.cross_entropy(x, np.array([0, 7, 1]), ignore_index=1)
    with pytest.raises(ValueError, match=r"weight must have shape \(4,\)"):
        F.cross_entropy(x, np.array([0, 1, 1]), weight=np.ones(3))
    with pytest.raises(ValueError, match="label_smoothing must lie in"):
        F.cross_entropy(x, np.array([0, 1, 1]), label_smoothing=1.5)
    with pytest.raises(TypeError, match="size_average and reduce are deprecated"):
        F.cross_entropy(x, np.array([0, 1, 1]), size_average=True)
    with pytest.raises(ValueError, match="reduction must be"):
        F.cross_entropy(x, np.array([0, 1, 1]), reduction="avg")
    with pytest.raises(TypeError, match="integer class labels"):
        F.cross_entropy(x, np.array([0.0, 1.0, 1.0]))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_gradcheck_and_torch(reduction):
    a, b = randn(3, 4), randn(3, 4, seed=1)
    assert mn.gradcheck(lambda x, y: F.mse_loss(x, y, reduction=reduction), [leaf(a), leaf(b)])
    torch = pytest.importorskip("torch")
    compare_with_torch(lambda x, y: F.mse_loss(x, y, reduction=reduction),
                       lambda x, y: torch.nn.functional.mse_loss(x, y, reduction=reduction), [a, b])


def test_mse_loss_refuses_shapes_that_differ():
    with pytest.raises(ValueError, match=r"same shape, got \(3,\) and \(3, 1\)"):
        F.mse_loss(mn.tensor(np.zeros(3)), mn.tensor(np.zeros((3, 1))))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_gradcheck_and_torch(dim):
    x = randn(3, 4)
    assert mn.gradcheck(lambda t: F.softmax(t, dim=dim), [leaf(x)])
    torch = pytest.importorskip("torch")
    compare_with_torch(lambda t: F.softmax(t, dim=dim), lambda t: torch.softmax(t, dim=dim), [x])
    with pytest.raises(TypeError, match="give dim"):
        F.softmax(mn.tensor(x))


ADAPTIVE_CASES = [((2, 3, 6, 6), 1), ((2, 3, 6, 6), (1, 1)), ((2, 3, 6, 4), (3, 2)),
                  ((2, 3, 6, 4), (None, 1)), ((3, 4, 4), 2), ((1, 2, 5, 5), 5)]


@pytest.mark.parametrize("shape,size", ADAPTIVE_CASES)
@pytest.mark.parametrize("kind", ["avg", "max"])
def test_adaptive_pools_gradcheck_and_torch(kind, shape, size):
    ours = getattr(F, f"adaptive_{kind}_pool2d")
    x = randn(*shape)
    assert mn.gradcheck(lambda t: ours(t, size), [leaf(x)])
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn.functional, f"adaptive_{kind}_pool2d")
    out = compare_with_torch(lambda t: ours(t, size), lambda t: theirs(t, size), [x])
    assert out.shape == tuple(theirs(torch.tensor(x), size).shape)


@pytest.mark.parametrize("layer", [nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d])
def test_adaptive_pool_layers_keep_nc11_and_float32(layer):
    x = mn.tensor(np.random.default_rng(0).random((2, 10, 5, 5), dtype=np.float32))
    y = layer((1, 1))(x)
    assert y.shape == (2, 10, 1, 1) and y.dtype == np.float32
    assert repr(layer(1)) == f"{layer.__name__}(output_size=1)"


def test_adaptive_pools_refuse_uneven_sizes():
    x = mn.tensor(randn(1, 2, 5, 5))
    with pytest.raises(ValueError, match=r"output size \(2, 2\) must divide the input size "
                                         r"\(5, 5\) evenly"):
        F.adaptive_avg_pool2d(x, 2)
    with pytest.raises(ValueError, match="output_size must hold positive ints"):
        F.adaptive_max_pool2d(x, 0)
    with pytest.raises(ValueError, match="3-D .* or 4-D"):
        F.adaptive_avg_pool2d(mn.tensor(randn(5, 5)), 1)
    with pytest.raises(NotImplementedError, match="return_indices"):
        nn.AdaptiveMaxPool2d(1, return_indices=True)


def test_pytorch_signatures_of_relu_dropout_and_max_pool2d():
    torch = pytest.importorskip("torch")
    x = randn(2, 3, 6, 6)
    compare_with_torch(lambda t: F.relu(t, inplace=True), torch.relu, [x])
    compare_with_torch(lambda t: F.max_pool2d(t, 3, 2, 1, 1, True),
                       lambda t: torch.nn.functional.max_pool2d(t, 3, 2, 1, 1, True), [x])
    assert mn.gradcheck(lambda t: F.max_pool2d(t, 2, None, 0, 1, False), [leaf(x)])
    kept = F.dropout(mn.tensor(x), 0.5, False, True)
    np.testing.assert_array_equal(as_numpy(kept), x)
    with pytest.raises(NotImplementedError, match="return_indices"):
        F.max_pool2d(mn.tensor(x), 2, return_indices=True)


# ------------------------------------------------------------------ loss modules

@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("make", [
    lambda nn: nn.Conv2d(3, 4, 4, padding="same"), lambda nn: nn.Conv2d(3, 4, (3, 2), padding="same", dilation=2),
    lambda nn: nn.Conv2d(3, 4, 3, padding="valid", stride=2), lambda nn: nn.AvgPool2d(3, 2, 1, divisor_override=4),
    lambda nn: nn.Dropout(1.0)])
def test_pytorch_layer_options_give_torchs_values_and_gradients(make):
    torch = pytest.importorskip("torch")
    ours, theirs = make(nn), make(torch.nn).double()
    for name, p in ours.named_parameters():
        p.data = getattr(theirs, name).detach().numpy().copy()
    x = randn(2, 3, 7, 6)
    out = compare_with_torch(ours, theirs, [x])
    assert out.shape == tuple(theirs(torch.tensor(x)).shape)
    assert repr(ours).split("(")[0] == repr(theirs).split("(")[0]


@pytest.mark.parametrize("options", CE_OPTIONS)
def test_cross_entropy_loss_module_matches_torch(options):
    torch = pytest.importorskip("torch")
    theirs = dict(options)
    if "weight" in theirs:
        theirs["weight"] = torch.tensor(theirs["weight"])
    x = randn(5, 5)
    ours = nn.CrossEntropyLoss(**options)(mn.tensor(x), LABELS)
    expected = torch.nn.CrossEntropyLoss(**theirs)(torch.tensor(x), torch.tensor(LABELS))
    np.testing.assert_allclose(as_numpy(ours), expected.numpy(), rtol=1e-12)
    assert ours.shape == tuple(expected.shape)


def test_loss_modules_take_tensor_labels_and_refuse_bad_options():
    logits = mn.tensor(randn(3, 4), requires_grad=True)
    labels = mn.tensor(np.array([1, 0, 3]), dtype=np.int64)
    loss = nn.CrossEntropyLoss(label_smoothing=0.1)(logits, labels)
    loss.backward()
    assert logits.grad.shape == (3, 4)
    assert nn.MSELoss(reduction="sum")(mn.tensor([1.0, 2.0]), mn.tensor([0.0, 0.0])).item() == 5.0
    with pytest.raises(ValueError, match="reduction must be"):
        nn.MSELoss(reduction="max")
    with pytest.raises(ValueError, match="label_smoothing must lie in"):
        nn.CrossEntropyLoss(label_smoothing=-0.1)
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss(reduction='mean')"


@pytest.mark.parametrize("name", ["minin.nn.functional", "minin.nn.loss",
                                  "minin.nn.adaptive_pooling"])
def test_docstring_examples(name):
    import doctest
    import importlib
    result = doctest.testmod(importlib.import_module(name),
                             extraglobs={"mn": mn, "np": np, "F": F, "nn": nn},
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


# ------------------------------------------------------------------ nll_loss, one_hot, activations

NLL_OPTIONS = [dict(), dict(reduction="sum"), dict(reduction="none"),
               dict(weight=np.array([1.0, 2.0, 0.5, 3.0, 1.5])), dict(ignore_index=2),
               dict(weight=np.array([1.0, 2.0, 0.5, 3.0, 1.5]), ignore_index=1, reduction="none")]


@pytest.mark.parametrize("options", NLL_OPTIONS)
def test_nll_loss_gradcheck_torch_and_cross_entropy(options):
    x = randn(5, 5)
    assert mn.gradcheck(lambda t: F.nll_loss(t, LABELS, **options), [leaf(x)])
    np.testing.assert_allclose(F.nll_loss(F.log_softmax(mn.tensor(x), 1), LABELS, **options).numpy(),
                               F.cross_entropy(mn.tensor(x), LABELS, **options).numpy(), rtol=1e-12)
    torch = pytest.importorskip("torch")
    theirs = {k: torch.tensor(v) if k == "weight" else v for k, v in options.items()}
    compare_with_torch(lambda t: F.nll_loss(t, LABELS, **options),
                       lambda t: torch.nn.functional.nll_loss(t, torch.tensor(LABELS), **theirs), [x])
    ours = nn.NLLLoss(**options)(mn.tensor(x), mn.tensor(LABELS))
    expected = torch.nn.NLLLoss(**theirs)(torch.tensor(x), torch.tensor(LABELS))
    np.testing.assert_allclose(as_numpy(ours), expected.numpy(), rtol=1e-12)


def test_log_softmax_then_nll_loss_trains_as_cross_entropy_in_float32():
    x = mn.tensor(randn(4, 3).astype(np.float32), requires_grad=True)
    loss = nn.NLLLoss()(nn.LogSoftmax(dim=1)(x), np.array([0, 2, 1, 2]))
    loss.backward()
    assert loss.dtype == x.grad.dtype == np.float32
    np.testing.assert_allclose(loss.item(), F.cross_entropy(x, np.array([0, 2, 1, 2])).item(), rtol=1e-6)
    assert repr(nn.NLLLoss(ignore_index=0)) == "NLLLoss(reduction='mean', ignore_index=0)"


def test_nll_loss_errors_name_the_mistake():
    logp = mn.tensor(randn(3, 4))
    with pytest.raises(ValueError, match=r"nll_loss expects log-probabilities of shape \(N, C\), got \(4,\)"):
        F.nll_loss(mn.tensor(randn(4)), np.array([1]))
    with pytest.raises(ValueError, match=r"label 7 is outside \[0, 4\)"):
        F.nll_loss(logp, np.array([0, 7, 1]))
    with pytest.raises(TypeError, match="target must hold integer class labels"):
        F.nll_loss(logp, np.array([0.0, 1.0, 1.0]))
    with pytest.raises(TypeError, match="nll_loss: input must be floating point, got dtype int64"):
        F.nll_loss(mn.tensor(np.zeros((3, 4), np.int64)), np.array([0, 1, 1]))
    with pytest.raises(ValueError, match="reduction must be"):
        nn.NLLLoss(reduction="max")
    with pytest.raises(TypeError, match="ignore_index must be an int"):
        nn.NLLLoss(ignore_index=1.5)


def test_one_hot_matches_torch():
    torch = pytest.importorskip("torch")
    labels = np.array([[0, 3], [2, 1], [3, 3]])
    for args in [(), (5,), (-1,)]:
        ours = F.one_hot(mn.tensor(labels), *args)
        expected = torch.nn.functional.one_hot(torch.tensor(labels), *args)
        assert ours.dtype == np.int64 and ours.shape == tuple(expected.shape)
        np.testing.assert_array_equal(ours.numpy(), expected.numpy())
    assert F.one_hot(mn.tensor(np.zeros(0, np.int64)), 3).shape == (0, 3)
    assert not F.one_hot(labels, 4).requires_grad


def test_one_hot_refuses_what_torch_refuses():
    with pytest.raises(ValueError, match="class values must be non-negative, got -1"):
        F.one_hot(mn.tensor([0, -1]))
    with pytest.raises(ValueError, match="smaller than num_classes=3, got 5"):
        F.one_hot(mn.tensor([0, 5]), 3)
    with pytest.raises(ValueError, match="empty tensor"):
        F.one_hot(mn.tensor(np.zeros(0, np.int64)))
    with pytest.raises(TypeError, match="int64 .* got dtype int32; convert it first with .long()"):
        F.one_hot(mn.tensor(np.array([1, 2], np.int32)))
    with pytest.raises(TypeError, match="got list"):
        F.one_hot([1, 2])
    with pytest.raises(ValueError, match="num_classes must be"):
        F.one_hot(mn.tensor([1]), 2.0)


@pytest.mark.parametrize("make", [lambda nn: nn.Sigmoid(), lambda nn: nn.Tanh(),
                                  lambda nn: nn.Softmax(dim=1), lambda nn: nn.Softmax(dim=0),
                                  lambda nn: nn.LogSoftmax(dim=1), lambda nn: nn.LogSoftmax(-1)])
def test_activation_layers_match_torch(make):
    torch = pytest.importorskip("torch")
    x = randn(3, 4) * 3
    assert mn.gradcheck(make(nn), [leaf(x)])
    compare_with_torch(make(nn), make(torch.nn), [x])
    assert repr(make(nn)) == repr(make(torch.nn))
    out = make(nn)(mn.tensor(x.astype(np.float32)))
    assert out.dtype == np.float32 and out.shape == x.shape


def test_softmax_layers_need_an_int_dim():
    for layer in (nn.Softmax, nn.LogSoftmax):
        with pytest.raises(TypeError, match=f"{layer.__name__}: dim must be an int"):
            layer()
