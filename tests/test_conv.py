"""conv2d: gradient checks, the explicit-loop reference, PyTorch parity, errors, layout."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minin as mn
import minin.functional as F
import reference
from helpers import as_numpy, compare_with_torch, in_kernel_layout, is_kernel_layout
from minin.kernels import conv


def leaf(a):
    return mn.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


CONFIGS = [
    dict(),
    dict(stride=2),
    dict(padding=1),
    dict(stride=2, padding=1),
    dict(stride=(2, 1), padding=(0, 2)),
    dict(dilation=2, padding=1),
    dict(stride=(1, 3), padding=(2, 1), dilation=(2, 1)),
]


@pytest.mark.parametrize("options", CONFIGS, ids=str)
@pytest.mark.parametrize("kernel", [(3, 3), (2, 3), (1, 1)], ids=str)
def test_gradcheck(options, kernel):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 3, 6, 7)), rng.standard_normal((4, 3) + kernel), rng.standard_normal(4)
    assert mn.gradcheck(lambda a, ww, bb: F.conv2d(a, ww, bb, **options), [leaf(x), leaf(w), leaf(b)])


def test_gradcheck_without_bias_and_with_only_some_inputs_requiring_grad():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    assert mn.gradcheck(lambda a, ww: F.conv2d(a, ww, padding=1), [leaf(x), mn.tensor(w)])
    assert mn.gradcheck(lambda a, ww: F.conv2d(a, ww, stride=2), [mn.tensor(x), leaf(w)])


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 2), c=st.integers(1, 3), o=st.integers(1, 3), h=st.integers(1, 7),
       w=st.integers(1, 7), kh=st.integers(1, 3), kw=st.integers(1, 3), sh=st.integers(1, 3),
       sw=st.integers(1, 3), ph=st.integers(0, 2), pw=st.integers(0, 2), dh=st.integers(1, 2),
       dw=st.integers(1, 2), bias=st.booleans())
def test_matches_the_explicit_loop_reference(n, c, o, h, w, kh, kw, sh, sw, ph, pw, dh, dw, bias):
    if dh * (kh - 1) + 1 > h + 2 * ph or dw * (kw - 1) + 1 > w + 2 * pw:
        return  # the kernel does not fit: covered by the error tests
    rng = np.random.default_rng(0)
    x, wt = rng.standard_normal((n, c, h, w)), rng.standard_normal((o, c, kh, kw))
    b = rng.standard_normal(o) if bias else None
    options = dict(stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw))
    ours = F.conv2d(mn.tensor(x), mn.tensor(wt), None if b is None else mn.tensor(b), **options)
    np.testing.assert_allclose(ours.numpy(), reference.conv2d(x, wt, b, **options), atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 3), c=st.integers(1, 3), o=st.integers(1, 3), h=st.integers(1, 8),
       w=st.integers(1, 8), kh=st.integers(1, 4), kw=st.integers(1, 4), sh=st.integers(1, 3),
       sw=st.integers(1, 3), ph=st.integers(0, 2), pw=st.integers(0, 2), bias=st.booleans())
def test_the_fast_path_equals_the_textbook_conv2d_simple(n, c, o, h, w, kh, kw, sh, sw, ph, pw, bias):
    """conv2d (im2col in the (C, H, W, N) order) against conv2d_simple (NCHW im2col):
    outputs and all three gradients."""
    if kh > h + 2 * ph or kw > w + 2 * pw:
        return  # the kernel does not fit: covered by the error tests
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((n, c, h, w)), rng.standard_normal((o, c, kh, kw))]
    arrays += [rng.standard_normal(o)] if bias else []
    options = dict(stride=(sh, sw), padding=(ph, pw))
    results = []
    for op in (F.conv2d, F.conv2d_simple):
        inputs = [leaf(a) for a in arrays]
        y = op(*inputs, **options)
        y.backward(np.cos(np.arange(y.numel())).reshape(y.shape))
        results.append([y.numpy()] + [t.grad for t in inputs])
    for fast, simple in zip(*results):
        np.testing.assert_allclose(fast, simple, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("options", [dict(), dict(stride=2, padding=1), dict(stride=(2, 1), padding=(0, 2))],
                         ids=str)
def test_conv2d_simple_gradcheck_and_torch(options):
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)
    assert mn.gradcheck(lambda a, ww, bb: F.conv2d_simple(a, ww, bb, **options), [leaf(x), leaf(w), leaf(b)])
    torch = pytest.importorskip("torch")
    compare_with_torch(lambda a, ww, bb: F.conv2d_simple(a, ww, bb, **options),
                       lambda a, ww, bb: torch.nn.functional.conv2d(a, ww, bb, **options), [x, w, b])


def test_conv2d_simple_checks_its_arguments_under_its_own_name():
    with pytest.raises(ValueError, match="conv2d_simple: input has 3 channels"):
        F.conv2d_simple(mn.zeros(1, 3, 5, 5), mn.zeros(2, 4, 3, 3))


@pytest.mark.parametrize("options", CONFIGS + [dict(stride=4), dict(padding=2, dilation=3)], ids=str)
@pytest.mark.parametrize("shapes", [((2, 3, 9, 8), (5, 3, 3, 3)), ((1, 4, 11, 11), (2, 4, 5, 2)),
                                    ((3, 2, 7, 7), (4, 2, 1, 1))], ids=str)
def test_matches_torch(options, shapes):
    torch = pytest.importorskip("torch")
    x_shape, w_shape = shapes
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])]
    compare_with_torch(lambda x, w, b: F.conv2d(x, w, b, **options),
                       lambda x, w, b: torch.nn.functional.conv2d(x, w, b, **options), arrays)


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # PyTorch's note that it copies x, as minin does
@pytest.mark.parametrize("padding, dilation", [("same", 1), ("same", 2), ("same", (1, 2)), ("valid", 1)], ids=str)
@pytest.mark.parametrize("w_shape", [(2, 3, 3, 3), (2, 3, 4, 4), (2, 3, 2, 5), (2, 3, 1, 1)], ids=str)
def test_named_padding_matches_torch(padding, dilation, w_shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((2, 3, 7, 6)), rng.standard_normal(w_shape), rng.standard_normal(2)]
    out = compare_with_torch(lambda x, w, b: F.conv2d(x, w, b, padding=padding, dilation=dilation),
                             lambda x, w, b: torch.nn.functional.conv2d(x, w, b, padding=padding,
                                                                        dilation=dilation), arrays)
    if padding == "same":
        assert out.shape == (2, 2, 7, 6)


def test_same_padding_gradcheck_with_an_even_kernel():
    rng = np.random.default_rng(3)
    x = mn.tensor(rng.standard_normal((1, 2, 5, 4)), requires_grad=True)
    w = mn.tensor(rng.standard_normal((3, 2, 2, 3)), requires_grad=True)
    assert mn.gradcheck(lambda x, w: F.conv2d_relu(x, w, padding="same"), [x, w])


@pytest.mark.parametrize("options, message", [
    (dict(padding="same", stride=2), r"padding='same' needs stride 1 .*got stride \(2, 2\)"),
    (dict(padding="Same"), "padding must be an int, a pair of ints, 'same' or 'valid', got 'Same'"),
    (dict(padding="valid", stride=0), "stride must be at least 1"),
])
def test_named_padding_errors(options, message):
    with pytest.raises(ValueError, match=message):
        F.conv2d(mn.zeros(1, 1, 5, 5), mn.zeros(1, 1, 3, 3), **options)


@pytest.mark.parametrize("options", [dict(), dict(stride=2, padding=1), dict(dilation=2, padding=1)], ids=str)
@pytest.mark.parametrize("kernel", [(3, 3), (1, 1)], ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_relu_gradcheck(options, kernel, bias):
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((2, 3, 6, 7)), rng.standard_normal((4, 3) + kernel), rng.standard_normal(4)
    inputs = [leaf(x), leaf(w)] + ([leaf(b)] if bias else [])
    assert mn.gradcheck(lambda a, ww, *bb: F.conv2d_relu(a, ww, *bb, **options), inputs)


def test_conv2d_relu_is_relu_of_conv2d_bit_for_bit():
    """The fused operation does the same arithmetic in the same order: equal values and
    gradients, not merely close ones."""
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in ((4, 3, 9, 9), (8, 3, 3, 3), (8,))]
    grad = rng.standard_normal((4, 8, 9, 9)).astype(np.float32)
    results = []
    for op in (lambda x, w, b: F.conv2d_relu(x, w, b, padding=1),
               lambda x, w, b: F.relu(F.conv2d(x, w, b, padding=1))):
        leaves = [mn.tensor(a, requires_grad=True) for a in arrays]
        y = op(*leaves)
        y.backward(grad)
        results.append([y.numpy()] + [t.grad for t in leaves])
    for fused, separate in zip(*results):
        np.testing.assert_array_equal(fused, separate)
    assert (results[0][0] == 0).any() and (results[0][0] > 0).any()


def test_conv2d_relu_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal((2, 3, 9, 8)), rng.standard_normal((5, 3, 3, 3)), rng.standard_normal(5)]
    compare_with_torch(lambda x, w, b: F.conv2d_relu(x, w, b, stride=2, padding=1),
                       lambda x, w, b: torch.relu(torch.nn.functional.conv2d(x, w, b, stride=2, padding=1)),
                       arrays)


def test_conv2d_relu_checks_its_arguments_under_its_own_name():
    with pytest.raises(ValueError, match="conv2d_relu: input has 3 channels"):
        F.conv2d_relu(mn.tensor(np.zeros((1, 3, 5, 5))), mn.tensor(np.zeros((2, 4, 3, 3))))


def test_pointwise_path_equals_im2col_path():
    """NiN's 1×1 convolutions skip im2col; the general path must give the same numbers."""
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((4, 6, 5, 7)), rng.standard_normal((3, 6, 1, 1)), rng.standard_normal(3)
    grad = rng.standard_normal((4, 3, 5, 7))
    ones = (1, 1)
    y_fast, cols_fast = conv.conv2d_forward(x, w, b, ones, (0, 0), ones)
    cols_slow = conv.im2col(x, ones, ones, (0, 0), ones)
    y_slow = (w.reshape(3, 6) @ cols_slow + b[:, None]).reshape(3, 5, 7, 4).transpose(3, 0, 1, 2)
    np.testing.assert_allclose(y_fast, y_slow, atol=1e-12)
    fast = conv.conv2d_backward(grad, cols_fast, w, x.shape, ones, (0, 0), ones)
    g = conv.kernel_layout(grad).reshape(3, -1)
    slow_x = conv.col2im(w.reshape(3, 6).T @ g, x.shape, ones, ones, (0, 0), ones)
    np.testing.assert_allclose(fast[0], slow_x, atol=1e-12)
    np.testing.assert_allclose(fast[1], (g @ cols_slow.T).reshape(w.shape), atol=1e-12)
    assert conv.is_pointwise(ones, ones, (0, 0))
    assert not conv.is_pointwise(ones, (2, 2), (0, 0))


def test_pointwise_forward_reads_kernel_layout_input_without_copying():
    x = in_kernel_layout(np.random.default_rng(0).standard_normal((3, 4, 5, 6)).astype(np.float32))
    _, cols = conv.conv2d_forward(x, np.ones((2, 4, 1, 1), np.float32), None, (1, 1), (0, 0), (1, 1))
    assert np.shares_memory(cols, x)


def test_output_is_in_kernel_layout():
    y = F.conv2d(mn.tensor(np.random.rand(2, 3, 8, 8)), mn.tensor(np.random.rand(5, 3, 3, 3)))
    assert y.shape == (2, 5, 6, 6)
    assert is_kernel_layout(y.data)


def test_im2col_by_hand():
    """One 3×3 image, 2×2 kernel: the four patches become the four columns."""
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    cols = conv.im2col(x, (2, 2), (1, 1), (0, 0), (1, 1))
    assert cols.tolist() == [[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]]
    back = conv.col2im(np.ones_like(cols), x.shape, (2, 2), (1, 1), (0, 0), (1, 1))
    assert back[0, 0].tolist() == [[1, 2, 1], [2, 4, 2], [1, 2, 1]]  # patches covering each pixel


def test_float32_in_float32_out(backend):
    x = mn.tensor(np.random.rand(2, 3, 6, 6), dtype=np.float32, requires_grad=True)
    w = mn.tensor(np.random.rand(4, 3, 3, 3), dtype=np.float32, requires_grad=True)
    b = mn.tensor(np.random.rand(4), dtype=np.float32, requires_grad=True)
    for options in (dict(padding=1), dict()):
        y = F.conv2d(x, w, b, **options)
        assert y.dtype == np.float32
        y.sum().backward()
        assert x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32
    w1 = mn.tensor(np.random.rand(4, 3, 1, 1), dtype=np.float32, requires_grad=True)
    assert F.conv2d(x, w1).dtype == np.float32


@pytest.mark.parametrize("call, message", [
    (lambda: F.conv2d(mn.tensor(np.zeros((1, 3, 5, 5))), mn.tensor(np.zeros((2, 4, 3, 3)))),
     "input has 3 channels but the weight expects 4"),
    (lambda: F.conv2d(mn.tensor(np.zeros((3, 5, 5))), mn.tensor(np.zeros((2, 3, 3, 3)))),
     r"4-D input \(N, C, H, W\), got shape \(3, 5, 5\)"),
    (lambda: F.conv2d(mn.tensor(np.zeros((1, 3, 5, 5))), mn.tensor(np.zeros((2, 3, 3)))),
     "4-D weight"),
    (lambda: F.conv2d(mn.tensor(np.zeros((1, 1, 2, 2))), mn.tensor(np.zeros((1, 1, 3, 3)))),
     "larger than the padded input"),
    (lambda: F.conv2d(mn.tensor(np.zeros((1, 1, 5, 5))), mn.tensor(np.zeros((1, 1, 3, 3))), stride=0),
     "stride must be at least 1"),
    (lambda: F.conv2d(mn.tensor(np.zeros((1, 1, 5, 5))), mn.tensor(np.zeros((1, 1, 3, 3))), stride=-2),
     "stride must be at least 1"),
    (lambda: F.conv2d(mn.tensor(np.zeros((1, 1, 5, 5))), mn.tensor(np.zeros((1, 1, 3, 3))), padding=-1),
     "padding must be at least 0"),
    (lambda: F.conv2d(mn.tensor(np.zeros((1, 1, 5, 5))), mn.tensor(np.zeros((2, 1, 3, 3))),
                      mn.tensor(np.zeros(3))), r"bias must have shape \(2,\)"),
])
def test_bad_arguments_are_value_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_bad_argument_types_are_type_errors():
    x, w = mn.tensor(np.zeros((1, 1, 5, 5))), mn.tensor(np.zeros((1, 1, 3, 3)))
    with pytest.raises(TypeError, match="stride must be an int or a pair"):
        F.conv2d(x, w, stride=1.5)
    with pytest.raises(TypeError, match="input is float64 but weight is float32"):
        F.conv2d(mn.tensor(np.zeros((1, 1, 5, 5))), mn.tensor(np.zeros((1, 1, 3, 3)), dtype=np.float32))
    with pytest.raises(TypeError, match="input must be a Tensor"):
        F.conv2d([[1.0]], w)


def test_errors_come_before_any_computation(monkeypatch):
    def explode(*args, **kwargs):
        raise AssertionError("the kernel ran")

    monkeypatch.setattr(conv, "conv2d_forward", explode)
    with pytest.raises(ValueError):
        F.conv2d(mn.tensor(np.zeros((1, 2, 5, 5))), mn.tensor(np.zeros((1, 3, 3, 3))))


@pytest.mark.gpu
@pytest.mark.parametrize("op", [F.conv2d, F.conv2d_relu], ids=["conv2d", "conv2d_relu"])
@pytest.mark.parametrize("options", CONFIGS, ids=str)
def test_gpu_matches_cpu(gpu, options, op):
    rng = np.random.default_rng(0)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in ((2, 3, 9, 8), (4, 3, 3, 2), (4,)))
    grad = None
    results = {}
    for name in ("numpy", "cupy"):
        mn.backend.use(name)
        try:
            tx, tw, tb = (mn.tensor(a, requires_grad=True) for a in (x, w, b))
            y = op(tx, tw, tb, **options)
            grad = rng.standard_normal(y.shape).astype(np.float32) if grad is None else grad
            y.backward(mn.backend.xp().asarray(grad))
            results[name] = [as_numpy(t) for t in (y, tx.grad, tw.grad, tb.grad)]
        finally:
            mn.backend.use("numpy")
    for ours, theirs in zip(results["cupy"], results["numpy"]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)


@pytest.mark.gpu
def test_conv2d_relu_without_bias_on_the_gpu(gpu):
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((3, 2, 7, 7)).astype(np.float32), rng.standard_normal((4, 2, 3, 3)).astype(np.float32)
    expected = F.conv2d_relu(mn.tensor(x), mn.tensor(w), padding=1).numpy()
    mn.backend.use("cupy")
    try:
        got = F.conv2d_relu(mn.tensor(x), mn.tensor(w), padding=1)
        assert mn.backend.name_of(got.data) == "cupy" and is_kernel_layout(got.data)
        np.testing.assert_allclose(as_numpy(got), expected, rtol=1e-4, atol=1e-5)
    finally:
        mn.backend.use("numpy")


# ------------------------------------------------------------------ choosing the algorithm

@pytest.mark.parametrize("relu", [False, True])
def test_winograd_through_conv2d_gives_im2cols_values_and_gradients(relu):
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal((3, 5, 7, 6)), rng.standard_normal((4, 5, 3, 3)), rng.standard_normal(4)]
    op = F.conv2d_relu if relu else F.conv2d
    results = []
    for algorithm in ("im2col", "winograd"):
        inputs = [leaf(a) for a in arrays]
        y = op(*inputs, padding=1, algorithm=algorithm)
        assert type(y._ctx).__name__ == "Conv2dFunction"
        y.backward(np.sin(np.arange(y.numel())).reshape(y.shape))
        results.append([y.numpy()] + [t.grad for t in inputs])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
    assert mn.gradcheck(lambda a, w, b: op(a, w, b, padding=2, algorithm="winograd"), [leaf(a) for a in arrays])


def test_auto_follows_prefers_winograd_and_the_global_switch():
    from minin.kernels import conv as conv_kernels, winograd

    big, small = mn.zeros(64, 128, 6, 6), mn.zeros(2, 3, 6, 6)
    w_big, w_small = mn.zeros(8, 128, 3, 3), mn.zeros(8, 3, 3, 3)
    assert winograd.prefers_winograd(big.shape, w_big.shape, (1, 1), (1, 1), (1, 1))
    x = big.requires_grad_()  # so that the output keeps its Function, which shows the choice
    assert F.conv2d(x, w_big, padding=1)._ctx.kernels is winograd
    assert F.conv2d(small.requires_grad_(), w_small, padding=1)._ctx.kernels is conv_kernels
    previous = F.set_conv_algorithm("im2col")
    try:
        assert previous == "auto" and F.get_conv_algorithm() == "im2col"
        assert F.conv2d(x, w_big, padding=1)._ctx.kernels is conv_kernels
        assert F.conv2d(x, w_big, padding=1, algorithm="winograd")._ctx.kernels is winograd
        F.set_conv_algorithm("winograd")
        assert F.conv2d(small.requires_grad_(), w_small, padding=1)._ctx.kernels is winograd
        with pytest.raises(ValueError, match="algorithm='winograd' needs a 3×3 kernel with stride 1"):
            F.conv2d(small, w_small, stride=2)
    finally:
        F.set_conv_algorithm(previous)
    with pytest.raises(ValueError, match="conv algorithm must be one of auto, im2col, winograd"):
        F.set_conv_algorithm("fft")
    with pytest.raises(ValueError, match="conv2d: algorithm must be one of"):
        F.conv2d(small, w_small, algorithm="fft")


def test_the_layer_takes_an_algorithm_and_keeps_it_when_fused():
    layer = mn.nn.Conv2d(3, 4, 3, padding=1, algorithm="winograd")
    assert "algorithm='winograd'" in repr(layer)
    fused = mn.nn.fuse_conv_relu(mn.nn.Sequential(layer, mn.nn.ReLU()))
    assert fused[0].algorithm == "winograd"
    x = mn.randn(2, 3, 5, 5, requires_grad=True)
    assert fused(x)._ctx.kernels.__name__.endswith("winograd")
    with pytest.raises(ValueError, match="Conv2d: algorithm must be one of"):
        mn.nn.Conv2d(3, 4, 3, algorithm="fast")
