"""max_pool2d, avg_pool2d and global_avg_pool2d against gradients, loops and PyTorch."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minin as mn
import minin.functional as F
import reference
from helpers import as_numpy, compare_with_torch, in_kernel_layout, is_kernel_layout


def distinct(shape, seed=0):
    """Values at least 1 apart, so an eps step never changes which element is the maximum."""
    return np.random.default_rng(seed).permutation(int(np.prod(shape))).reshape(shape).astype(float)


def leaf(a):
    return mn.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


POOLS = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2),                       # NiN's overlapping windows
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 1), ceil_mode=True),
    dict(kernel_size=3, stride=1, padding=1),
    dict(kernel_size=(2, 4), stride=3, padding=(1, 2), ceil_mode=True),
]


@pytest.mark.parametrize("options", POOLS, ids=str)
def test_max_pool_gradcheck(options):
    assert mn.gradcheck(lambda x: F.max_pool2d(x, **options), [leaf(distinct((2, 2, 7, 8)))])


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("options", POOLS, ids=str)
def test_avg_pool_gradcheck(options, count_include_pad):
    x = leaf(np.random.default_rng(0).standard_normal((2, 2, 7, 8)))
    assert mn.gradcheck(lambda t: F.avg_pool2d(t, count_include_pad=count_include_pad, **options), [x])


def test_global_avg_pool_gradcheck_and_equivalence():
    x = np.random.default_rng(0).standard_normal((3, 4, 5, 6))
    assert mn.gradcheck(F.global_avg_pool2d, [leaf(x)])
    gap = F.global_avg_pool2d(mn.tensor(x)).numpy()
    window = F.avg_pool2d(mn.tensor(x), kernel_size=(5, 6)).numpy()
    assert gap.shape == (3, 4)
    np.testing.assert_allclose(gap, window[:, :, 0, 0], atol=1e-12)
    np.testing.assert_allclose(gap, x.mean(axis=(2, 3)), atol=1e-12)


@st.composite
def pool_case(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    h, w = draw(st.integers(kh, 9)), draw(st.integers(kw, 9))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    return dict(shape=(draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w), kernel=(kh, kw),
                stride=stride, padding=(ph, pw), ceil_mode=draw(st.booleans()))


@settings(max_examples=40, deadline=None)
@given(pool_case(), st.booleans())
def test_pools_match_the_explicit_loop_reference(case, count_include_pad):
    x = distinct(case["shape"])
    options = dict(stride=case["stride"], padding=case["padding"], ceil_mode=case["ceil_mode"])
    t = leaf(x)
    out = F.max_pool2d(t, case["kernel"], **options)
    expected, routing = reference.max_pool2d(x, case["kernel"], **options)
    np.testing.assert_array_equal(out.numpy(), expected)
    grad = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(grad)
    expected_grad = np.zeros_like(x)
    for (b, c, y, xx), (r, s) in routing.items():
        expected_grad[b, c, r, s] += grad[b, c, y, xx]
    np.testing.assert_allclose(t.grad, expected_grad, atol=1e-12)
    avg = F.avg_pool2d(mn.tensor(x), case["kernel"], count_include_pad=count_include_pad, **options)
    np.testing.assert_allclose(avg.numpy(), reference.avg_pool2d(x, case["kernel"], count_include_pad=count_include_pad, **options),
                               atol=1e-12)


def test_max_pool_padding_is_minus_infinity_not_zero():
    x = -np.ones((1, 1, 2, 2)) * np.arange(1, 5).reshape(1, 1, 2, 2)  # all negative
    out = F.max_pool2d(mn.tensor(x), 2, stride=1, padding=1).numpy()
    assert (out < 0).all()
    assert out[0, 0].tolist() == [[-1, -1, -2], [-1, -1, -2], [-3, -3, -4]]


def test_max_pool_ties_go_to_the_first_maximum():
    x = np.zeros((1, 1, 3, 3))
    t = leaf(x)
    F.max_pool2d(t, 3).sum().backward()
    assert t.grad[0, 0].tolist() == [[1, 0, 0], [0, 0, 0], [0, 0, 0]]


def test_a_nan_wins_its_window_and_the_last_nan_gets_the_gradient():
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    x[0, 0, 0, 0] = x[0, 0, 1, 1] = np.nan  # two NaNs in the top-left window, none elsewhere
    t = leaf(x)
    out = F.max_pool2d(t, 3, stride=2)
    assert np.isnan(out.numpy()[0, 0, 0, 0]) and out.numpy()[0, 0].ravel()[1:].tolist() == [14, 22, 24]
    out.sum().backward()
    expected = np.zeros((5, 5))
    expected[1, 1] = 1                         # the last NaN in row-major order, as in PyTorch
    expected[2, 4] = expected[4, 2] = expected[4, 4] = 1
    np.testing.assert_array_equal(t.grad[0, 0], expected)


def test_nan_routing_matches_torch():
    torch = pytest.importorskip("torch")
    x = distinct((2, 3, 9, 10))
    rng = np.random.default_rng(2)
    x.reshape(-1)[rng.choice(x.size, 25, replace=False)] = np.nan
    compare_with_torch(lambda t: F.max_pool2d(t, 3, stride=2, padding=1),
                       lambda t: torch.nn.functional.max_pool2d(t, 3, stride=2, padding=1), [x])


def test_a_window_longer_than_256_routes_its_gradient_right():
    x = np.zeros((1, 1, 2, 300))
    x[0, 0, 1, 280] = 5.0  # offset 280 along the row: more than a byte holds
    t = leaf(x)
    F.max_pool2d(t, (2, 290), stride=(1, 5)).sum().backward()
    assert t.grad[0, 0, 1, 280] == 3.0 and t.grad.sum() == 3.0  # the windows at 0, 5, 10 hold it


@pytest.mark.parametrize("options", [dict(kernel_size=3, stride=2, padding=1),
                                     dict(kernel_size=(3, 2), stride=(2, 1), padding=1, ceil_mode=True)],
                         ids=str)
def test_windows_of_minus_infinity_route_like_torch(options):
    """The padding is -inf too; a window holding nothing larger gives its gradient to its
    first position inside the input, not to the padding."""
    torch = pytest.importorskip("torch")
    x = distinct((2, 2, 7, 6))
    x[np.random.default_rng(3).random(x.shape) < 0.7] = -np.inf
    compare_with_torch(lambda t: F.max_pool2d(t, **options),
                       lambda t: torch.nn.functional.max_pool2d(t, **options), [x])


def test_overlapping_windows_accumulate():
    x = np.zeros((1, 1, 5, 5))
    x[0, 0, 2, 2] = 9.0  # the centre belongs to all four 3×3 stride-2 windows
    t = leaf(x)
    F.max_pool2d(t, 3, stride=2).sum().backward()
    assert t.grad[0, 0, 2, 2] == 4.0 and t.grad.sum() == 4.0


def test_stride_defaults_to_the_kernel_size():
    out = F.max_pool2d(mn.tensor(distinct((1, 1, 6, 6))), 2)
    assert out.shape == (1, 1, 3, 3)
    assert F.avg_pool2d(mn.tensor(distinct((1, 1, 6, 6))), 3).shape == (1, 1, 2, 2)


@pytest.mark.parametrize("options", POOLS + [dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)], ids=str)
def test_max_pool_matches_torch(options):
    torch = pytest.importorskip("torch")
    compare_with_torch(lambda x: F.max_pool2d(x, **options),
                       lambda x: torch.nn.functional.max_pool2d(x, **options), [distinct((2, 3, 9, 10))])


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("options", POOLS, ids=str)
def test_avg_pool_matches_torch(options, count_include_pad):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 10))
    compare_with_torch(lambda t: F.avg_pool2d(t, count_include_pad=count_include_pad, **options),
                       lambda t: torch.nn.functional.avg_pool2d(t, count_include_pad=count_include_pad, **options),
                       [x])


@pytest.mark.parametrize("divisor", [2, -3, 7])
def test_avg_pool_divisor_override_matches_torch(divisor):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 10))
    options = dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, divisor_override=divisor)
    compare_with_torch(lambda t: F.avg_pool2d(t, **options),
                       lambda t: torch.nn.functional.avg_pool2d(t, **options), [x])


def test_global_avg_pool_matches_torch():
    torch = pytest.importorskip("torch")
    compare_with_torch(F.global_avg_pool2d,
                       lambda t: torch.nn.functional.adaptive_avg_pool2d(t, 1).flatten(1),
                       [np.random.default_rng(0).standard_normal((2, 3, 5, 4))])


def test_pooling_keeps_float32_and_layout(backend):
    x = mn.Tensor(in_kernel_layout(np.random.rand(2, 3, 7, 7).astype(np.float32), mn.backend.xp()),
                  requires_grad=True)
    for pool in (lambda t: F.max_pool2d(t, 3, 2), lambda t: F.avg_pool2d(t, 3, 2, padding=1)):
        y = pool(x)
        assert y.dtype == np.float32
        assert is_kernel_layout(y.data)
        y.sum().backward()
        assert x.grad.dtype == np.float32
    assert F.global_avg_pool2d(x).dtype == np.float32


@pytest.mark.parametrize("call, error, message", [
    (lambda x: F.max_pool2d(x, 3, padding=2), ValueError, "at most half the kernel size"),
    (lambda x: F.max_pool2d(x, 0), ValueError, "kernel_size must be at least 1"),
    (lambda x: F.max_pool2d(x, 2, stride=0), ValueError, "stride must be at least 1"),
    (lambda x: F.max_pool2d(x, 9), ValueError, "does not fit"),
    (lambda x: F.avg_pool2d(x[0], 2), ValueError, "4-D input"),
    (lambda x: F.global_avg_pool2d(x[0]), ValueError, "4-D input"),
    (lambda x: F.max_pool2d(x, 2.5), TypeError, "kernel_size must be an int or a pair"),
    (lambda x: F.avg_pool2d(x, 2, divisor_override=0), ValueError, "divisor_override must be a nonzero int"),
    (lambda x: F.avg_pool2d(x, 2, divisor_override=2.5), ValueError, "nonzero int or None, got 2.5"),
    (lambda x: F.max_pool2d(mn.Tensor(x.data.astype(np.int64)), 2), TypeError,
     "max_pool2d: input must be floating point, got dtype int64"),
])
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call(mn.tensor(np.zeros((1, 1, 5, 5))))


@pytest.mark.gpu
@pytest.mark.parametrize("options", POOLS, ids=str)
def test_gpu_matches_cpu(gpu, options):
    x = distinct((2, 3, 9, 10)).astype(np.float32)
    grad = np.random.default_rng(1).standard_normal((2, 3, 9, 10)).astype(np.float32)
    results = {}
    for name in ("numpy", "cupy"):
        mn.backend.use(name)
        try:
            row = []
            for pool in (F.max_pool2d, F.avg_pool2d):
                t = mn.tensor(x, requires_grad=True)
                y = pool(t, **options)
                y.backward(mn.backend.xp().asarray(grad[:, :, :y.shape[2], :y.shape[3]]))
                row += [as_numpy(y), as_numpy(t.grad)]
            results[name] = row
        finally:
            mn.backend.use("numpy")
    for ours, theirs in zip(results["cupy"], results["numpy"]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
