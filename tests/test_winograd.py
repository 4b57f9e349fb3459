"""Winograd convolution (kernels/winograd.py): the transforms, agreement with the im2col path,
gradient checks, PyTorch parity, the float32 error per tile size, errors, the benchmark."""

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minin as mn
from helpers import compare_with_torch, in_kernel_layout, is_kernel_layout
from minin.kernels import conv, winograd

TILES = sorted(winograd.TRANSFORMS)

# Bounds on the float32 error of the output and the two gradients, relative to the largest
# value, for test_float32_error_per_tile_size's NiN-like layer. Measured there: 1.6e-7 to
# 3.5e-7 for im2col, 2.6e-7 to 5.5e-7 for F(2×2, 3×3) and 3.9e-6 to 4.4e-6 for F(4×4, 3×3)
# (its transforms' constants, up to 8 in Aᵀ and 5 in Bᵀ, amplify rounding: about ten
# times im2col's error). The bounds leave room of about 4×.
FLOAT32_BOUNDS = {"im2col": 1.5e-6, 2: 2e-6, 4: 2e-5}


class WinogradConv(mn.Function):
    """conv2d by Winograd as an autograd Function, for the gradient checks and the parity
    tests (the library's F.conv2d chooses its algorithm itself)."""

    def forward(self, x, weight, bias, padding, tile):
        y, self.saved = winograd.conv2d_forward(x, weight, bias, padding, tile=tile)
        self.weight, self.x_shape, self.padding = weight, x.shape, padding
        return y

    def backward(self, grad):
        need_x, need_weight, need_bias = self.needs_input_grad
        return winograd.conv2d_backward(grad, self.saved, self.weight, self.x_shape, self.padding,
                                        need_x=need_x, need_weight=need_weight, need_bias=need_bias)


def winograd_conv(x, weight, bias=None, padding=0, tile=2):
    return WinogradConv.apply(x, weight, bias, padding=padding, tile=tile)


def im2col_reference(x, w, b, padding, grad, relu=False):
    """Output and the three gradients by kernels/conv.py's im2col path."""
    ones = (1, 1)
    y, cols = conv.conv2d_forward(x, w, b, ones, padding, ones, relu)
    grads = conv.conv2d_backward(grad, cols, w, x.shape, ones, padding, ones)
    return (y,) + grads


@pytest.mark.parametrize("tile", TILES)
def test_one_dimensional_transform_computes_a_correlation(tile):
    """F(m, 3): m outputs of a 3-tap correlation from m + 2 inputs with m + 2 products."""
    at, g, bt = winograd.TRANSFORMS[tile]
    assert at.shape == (tile, tile + 2) and g.shape == (tile + 2, 3) and bt.shape == (tile + 2, tile + 2)
    rng = np.random.default_rng(tile)
    d, f = rng.standard_normal(tile + 2), rng.standard_normal(3)
    expected = [d[i:i + 3] @ f for i in range(tile)]
    np.testing.assert_allclose(at @ ((g @ f) * (bt @ d)), expected, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 3), c=st.integers(1, 4), o=st.integers(1, 4), h=st.integers(1, 9),
       w=st.integers(1, 9), ph=st.integers(0, 2), pw=st.integers(0, 2), tile=st.sampled_from(TILES),
       bias=st.booleans(), relu=st.booleans())
def test_matches_the_im2col_path(n, c, o, h, w, ph, pw, tile, bias, relu):
    if h + 2 * ph < 3 or w + 2 * pw < 3:
        return  # the kernel does not fit: see test_errors
    rng = np.random.default_rng(n * 1000 + c * 100 + h * 10 + w)
    x, wt = rng.standard_normal((n, c, h, w)), rng.standard_normal((o, c, 3, 3))
    b = rng.standard_normal(o) if bias else None
    grad = rng.standard_normal((n, o, h + 2 * ph - 2, w + 2 * pw - 2))
    y, saved = winograd.conv2d_forward(x, wt, b, (ph, pw), relu=relu, tile=tile)
    ours = (y,) + winograd.conv2d_backward(grad, saved, wt, x.shape, (ph, pw), need_bias=bias)
    expected = im2col_reference(x, wt, b, (ph, pw), grad, relu)
    for name, a, e in zip(("output", "input gradient", "weight gradient"), ours, expected):
        np.testing.assert_allclose(a, e, atol=1e-10, err_msg=name)
    if bias:
        np.testing.assert_allclose(ours[3], expected[3], atol=1e-10)
    else:
        assert ours[3] is None


def test_padding_larger_than_two_crops_the_gradient():
    """Padding 3: the input gradient's convolution has padding -1 (it crops)."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 2, 4, 5)), rng.standard_normal((3, 2, 3, 3))
    grad = rng.standard_normal((2, 3, 8, 9))
    for tile in TILES:
        y, saved = winograd.conv2d_forward(x, w, None, 3, tile=tile)
        ours = (y,) + winograd.conv2d_backward(grad, saved, w, x.shape, 3)
        for a, e in zip(ours, im2col_reference(x, w, None, (3, 3), grad)):
            np.testing.assert_allclose(a, e, atol=1e-10)


@pytest.mark.parametrize("tile", TILES)
@pytest.mark.parametrize("shape, padding", [((2, 3, 6, 7), 1), ((1, 2, 5, 5), 0), ((2, 1, 3, 4), 2),
                                            ((1, 3, 2, 2), (1, 2))], ids=str)
def test_gradcheck(tile, shape, padding):
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal(shape), rng.standard_normal((4, shape[1], 3, 3)), rng.standard_normal(4)
    leaves = [mn.tensor(a, requires_grad=True) for a in (x, w, b)]
    assert mn.gradcheck(lambda a, ww, bb: winograd_conv(a, ww, bb, padding, tile), leaves)


def test_gradcheck_with_only_some_inputs_requiring_grad():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    assert mn.gradcheck(lambda a, ww: winograd_conv(a, ww, padding=1),
                        [mn.tensor(x, requires_grad=True), mn.tensor(w)])
    assert mn.gradcheck(lambda a, ww: winograd_conv(a, ww, padding=1),
                        [mn.tensor(x), mn.tensor(w, requires_grad=True)])


@pytest.mark.parametrize("tile", TILES)
@pytest.mark.parametrize("x_shape, w_shape, padding", [
    ((2, 3, 9, 8), (5, 3, 3, 3), 1), ((1, 4, 13, 13), (6, 4, 3, 3), 1), ((3, 2, 6, 6), (4, 2, 3, 3), 0),
    ((2, 5, 2, 2), (3, 5, 3, 3), 1), ((1, 1, 7, 5), (1, 1, 3, 3), 2), ((2, 2, 4, 3), (2, 2, 3, 3), (2, 0))],
    ids=str)
def test_matches_torch(tile, x_shape, w_shape, padding):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])]
    compare_with_torch(lambda x, w, b: winograd_conv(x, w, b, padding, tile),
                       lambda x, w, b: torch.nn.functional.conv2d(x, w, b, padding=padding), arrays)


def relative_error(approx, exact):
    return float(np.abs(approx.astype(np.float64) - exact).max() / np.abs(exact).max())


def test_float32_error_per_tile_size():
    """On a NiN-like layer (64 channels, 13×13, inputs and weights at the scale of a trained
    network's), the float32 result against the float64 one, relative to the largest output:
    F(2×2) about im2col's, F(4×4) a few times larger, both within FLOAT32_BOUNDS."""
    rng = np.random.default_rng(3)
    x = np.maximum(rng.standard_normal((4, 64, 13, 13)), 0)       # after a ReLU
    w = rng.standard_normal((32, 64, 3, 3)) * np.sqrt(2 / (64 * 9))  # He initialisation
    grad = rng.standard_normal((4, 32, 13, 13))
    exact = im2col_reference(x, w, None, (1, 1), grad)
    x32, w32, g32 = (a.astype(np.float32) for a in (x, w, grad))
    errors = {"im2col": [relative_error(a, e) for a, e in
                         zip(im2col_reference(x32, w32, None, (1, 1), g32), exact[:3])]}
    for tile in TILES:
        y, saved = winograd.conv2d_forward(x32, w32, None, 1, tile=tile)
        assert y.dtype == np.float32 and saved.tiles.dtype == np.float32
        gx, gw, _ = winograd.conv2d_backward(g32, saved, w32, x.shape, 1, need_bias=False)
        assert gx.dtype == gw.dtype == np.float32
        errors[tile] = [relative_error(a, e) for a, e in zip((y, gx, gw), exact[:3])]
    for method, bound in FLOAT32_BOUNDS.items():
        assert max(errors[method]) < bound, (method, errors)
    assert max(errors[4]) > max(errors[2])  # the larger tile trades accuracy for speed


def test_output_and_input_gradient_are_in_kernel_layout():
    rng = np.random.default_rng(4)
    x = in_kernel_layout(rng.standard_normal((3, 2, 6, 6)).astype(np.float32))
    w = rng.standard_normal((4, 2, 3, 3)).astype(np.float32)
    y, saved = winograd.conv2d_forward(x, w, None, 1)
    assert y.shape == (3, 4, 6, 6) and is_kernel_layout(y) and y.dtype == np.float32
    grad_x, grad_w, _ = winograd.conv2d_backward(in_kernel_layout(np.ones(y.shape, np.float32)),
                                                 saved, w, x.shape, 1, need_bias=False)
    assert grad_x.shape == x.shape and is_kernel_layout(grad_x) and grad_w.shape == w.shape


def test_the_input_gradient_needs_nothing_saved():
    rng = np.random.default_rng(5)
    x, w, grad = rng.standard_normal((2, 3, 5, 5)), rng.standard_normal((2, 3, 3, 3)), rng.standard_normal((2, 2, 5, 5))
    expected = im2col_reference(x, w, None, (1, 1), grad)[1]
    grad_x, grad_w, grad_b = winograd.conv2d_backward(grad, None, w, x.shape, 1, need_weight=False,
                                                      need_bias=False)
    np.testing.assert_allclose(grad_x, expected, atol=1e-10)
    assert grad_w is None and grad_b is None
    with pytest.raises(ValueError, match="weight gradient needs the input tiles"):
        winograd.conv2d_backward(grad, None, w, x.shape, 1)


def test_prefers_winograd_only_for_3x3_stride_1_layers():
    nin_6 = ((128, 128, 6, 6), (192, 128, 3, 3))
    assert winograd.prefers_winograd(*nin_6, (1, 1), (1, 1), (1, 1))
    assert not winograd.prefers_winograd(nin_6[0], (192, 128, 5, 5), (1, 1), (2, 2), (1, 1))
    assert not winograd.prefers_winograd(*nin_6, (2, 2), (1, 1), (1, 1))
    assert not winograd.prefers_winograd(*nin_6, (1, 1), (1, 1), (2, 2))
    assert not winograd.prefers_winograd(nin_6[0], (192, 128, 1, 1), (1, 1), (0, 0), (1, 1))


def test_prefers_winograd_follows_the_measured_thresholds():
    """The small NiN at batch 128: only the 128→192 layer on 6×6 maps is chosen."""
    def choose(x_shape, w_shape, padding=(1, 1)):
        return winograd.prefers_winograd(x_shape, w_shape, (1, 1), padding, (1, 1))

    assert not choose((128, 64, 13, 13), (128, 64, 3, 3))      # too few input channels
    assert choose((128, 128, 6, 6), (192, 128, 3, 3))
    assert not choose((128, 192, 2, 2), (192, 192, 3, 3))      # a 2×2 output: one tile
    assert not choose((32, 128, 6, 6), (192, 128, 3, 3))       # a small batch
    assert choose((64, 128, 4, 4), (128, 128, 3, 3))
    assert not choose((64, 128, 4, 4), (128, 128, 3, 3), (0, 0))  # 2×2 output


def test_errors():
    x, w = np.zeros((1, 2, 5, 5)), np.zeros((3, 2, 3, 3))
    with pytest.raises(ValueError, match="tile must be one of \\[2, 4\\].*got 3"):
        winograd.conv2d_forward(x, w, None, 1, tile=3)
    with pytest.raises(ValueError, match="needs a 3×3 kernel, got 5×5"):
        winograd.conv2d_forward(x, np.zeros((3, 2, 5, 5)), None, 1)
    with pytest.raises(ValueError, match="input has 2 channels but the weight expects 4"):
        winograd.conv2d_forward(x, np.zeros((3, 4, 3, 3)), None, 1)
    with pytest.raises(ValueError, match="larger than the padded input \\(1×7\\)"):
        winograd.conv2d_forward(np.zeros((1, 2, 1, 5)), w, None, (0, 1))
    with pytest.raises(ValueError, match="padding must be at least 0"):
        winograd.conv2d_forward(x, w, None, -1)


@pytest.mark.gpu
def test_gpu_matches_cpu(gpu):
    rng = np.random.default_rng(6)
    x, w, b = rng.standard_normal((3, 4, 7, 6)), rng.standard_normal((5, 4, 3, 3)), rng.standard_normal(5)
    grad = rng.standard_normal((3, 5, 7, 6))
    for tile in TILES:
        y, saved = winograd.conv2d_forward(x, w, b, 1, tile=tile)
        expected = (y,) + winograd.conv2d_backward(grad, saved, w, x.shape, 1)
        y, saved = winograd.conv2d_forward(gpu.asarray(x), gpu.asarray(w), gpu.asarray(b), 1, tile=tile)
        ours = (y,) + winograd.conv2d_backward(gpu.asarray(grad), saved, gpu.asarray(w), x.shape, 1)
        for a, e in zip(ours, expected):
            np.testing.assert_allclose(gpu.asnumpy(a), e, atol=1e-10)


def test_benchmark_runs_end_to_end():
    pytest.importorskip("torch")
    script = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench", "winograd.py")
    out = subprocess.run([sys.executable, script, "--quick"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "F(2)/torch" in lines[1] and "F(4)/im2col" in lines[1]
    layers = [line.split()[0] for line in lines[2:]]
    assert layers == ["64→128,", "128→192,", "192→192,"]
