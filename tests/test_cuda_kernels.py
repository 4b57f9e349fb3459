"""The CUDA kernels, checked on machines without a GPU.

1. nvcc compiles every kernel for float and double (skipped where nvcc is absent).
2. The same sources, compiled as plain C++, run on the CPU: a launch runs every
   thread of the grid that minin's wrappers ask for, one after another (the
   kernels write disjoint outputs, so the order does not matter). The kernels'
   index arithmetic, their sharing out of rows and images between threads and
   their grid-stride loops are compared with the NumPy kernels on many
   configurations. minin's own wrappers and cuda_runtime.launch pick the index type
   and the grid and build the arguments; only the compiled module is replaced.
"""

import ctypes
import re
import shutil
import subprocess

import numpy as np
import pytest

import minin as mn

from helpers import in_kernel_layout, is_kernel_layout
from minin.kernels import (activation_cuda, conv, conv_cuda, cuda_runtime, loss, loss_cuda, optim_cuda,
                           pooling, pooling_cuda)

# Every CUDA kernel source and elementwise kernel of minin/kernels/*_cuda.py.
SOURCE = cuda_runtime.PRELUDE + conv_cuda.SOURCE + pooling_cuda.SOURCE + loss_cuda.SOURCE
KERNELS = conv_cuda.KERNELS + pooling_cuda.KERNELS + loss_cuda.KERNELS
ELEMENTWISE = {**activation_cuda.ELEMENTWISE, **optim_cuda.ELEMENTWISE}

PRELUDE = """
#include <algorithm>
#include <cmath>
using std::min;
using std::exp;
using std::log;
using std::sqrt;
struct minin_dim3 { unsigned int x, y, z; };
static minin_dim3 blockIdx, threadIdx, blockDim, gridDim;
#define __global__
"""

KERNEL_SIGNATURE = re.compile(r'extern "C" __global__ void (\w+)\(([^)]*)\)')


def grid_launchers(source):
    """For each kernel K in ``source``, a C function K_launch(blocks, threads_x, threads_y,
    K's arguments...) that runs K once for every thread of that grid."""
    launchers = []
    for name, params in KERNEL_SIGNATURE.findall(source):
        args = ", ".join(p.split()[-1].lstrip("*") for p in params.split(","))
        launchers.append(
            f'extern "C" void {name}_launch(unsigned grid_b, unsigned grid_x, unsigned grid_y, {params}) {{\n'
            f"  gridDim = {{grid_b, 1, 1}}; blockDim = {{grid_x, grid_y, 1}};\n"
            f"  for (unsigned grid_i = 0; grid_i < grid_b; ++grid_i)\n"
            f"    for (unsigned grid_ty = 0; grid_ty < grid_y; ++grid_ty)\n"
            f"      for (unsigned grid_tx = 0; grid_tx < grid_x; ++grid_tx) {{\n"
            f"        blockIdx = {{grid_i, 0, 0}}; threadIdx = {{grid_tx, grid_ty, 0}}; {name}({args});\n"
            f"      }}\n}}\n")
    return "".join(launchers)


C_TYPES = {"T": "T", "int32": "int"}


def elementwise_source():
    """Each cupy.ElementwiseKernel piece wrapped in a __global__ function, the way CuPy
    wraps it: one thread per element i, every argument (scalars too, here) an array read
    at i, outputs read and then written back at i."""
    functions = []
    for name, (inputs, outputs, body) in ELEMENTWISE.items():
        ins = [arg.split() for arg in inputs.split(",")]
        outs = [arg.split() for arg in outputs.split(",")]
        params = ", ".join([f"const {C_TYPES[t]}* {n}_" for t, n in ins] +
                           [f"{C_TYPES[t]}* {n}_" for t, n in outs])
        loads = " ".join(f"{C_TYPES[t]} {n} = {n}_[i];" for t, n in ins + outs)
        stores = " ".join(f"{n}_[i] = {n};" for _, n in outs)
        functions.append(
            f'extern "C" __global__ void {name}({params}, I total) {{\n'
            f"  for (I i = (I)blockIdx.x * blockDim.x + threadIdx.x; i < total;"
            f" i += (I)blockDim.x * gridDim.x) {{ {loads} {body}; {stores} }}\n}}\n")
    return "".join(functions)


@pytest.mark.parametrize("index", ["int", "long long"])
@pytest.mark.parametrize("ctype", ["float", "double"])
def test_nvcc_compiles_every_kernel(tmp_path, ctype, index):
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        pytest.skip("nvcc is not installed")
    source = tmp_path / "kernels.cu"
    source.write_text(f"typedef {ctype} T;\ntypedef {index} I;\n" + SOURCE + elementwise_source())
    result = subprocess.run([nvcc, "-arch=sm_80", "-c", str(source), "-o", str(tmp_path / "k.o")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    symbols = subprocess.run(["nm", str(tmp_path / "k.o")], capture_output=True, text=True).stdout
    for kernel in KERNELS + tuple(ELEMENTWISE):
        assert kernel in symbols


@pytest.fixture(scope="module")
def cpu_kernels(tmp_path_factory):
    """The kernels compiled for the CPU, for each element type and index type."""
    compiler = shutil.which("g++") or shutil.which("c++")
    if compiler is None:
        pytest.skip("no C++ compiler")
    folder = tmp_path_factory.mktemp("cuda_on_cpu")
    libraries = {}
    for dtype, ctype in (("float32", "float"), ("float64", "double")):
        for itype, index in (("int32", "int"), ("int64", "long long")):
            source = folder / f"kernels_{dtype}_{itype}.cpp"
            kernels = SOURCE + elementwise_source()
            source.write_text(PRELUDE + f"typedef {ctype} T;\ntypedef {index} I;\n" + kernels
                              + grid_launchers(kernels))
            library = folder / f"kernels_{dtype}_{itype}.so"
            subprocess.run([compiler, "-O1", "-shared", "-fPIC", str(source), "-o", str(library)], check=True)
            libraries[dtype, itype] = ctypes.CDLL(str(library))
    return libraries


class EmulatedModule:
    """Stands in for the compiled cupy.RawModule: calling one of its functions with
    (grid, block, args), as cuda_runtime.launch does, runs that grid on the CPU."""

    def __init__(self, library):
        self.library = library

    def get_function(self, name):
        def run(grid, block, args):
            (blocks,), (tx, ty) = grid, block
            c_args = [ctypes.c_uint(blocks), ctypes.c_uint(tx), ctypes.c_uint(ty)]
            for a in args:
                if isinstance(a, np.ndarray):
                    c_args.append(ctypes.c_void_p(a.ctypes.data))
                elif isinstance(a, np.int32):
                    c_args.append(ctypes.c_int(int(a)))
                elif isinstance(a, np.int64):
                    c_args.append(ctypes.c_longlong(int(a)))
                else:
                    raise TypeError(f"unexpected kernel argument {a!r}")
            getattr(self.library, name + "_launch")(*c_args)
        return run


@pytest.fixture(params=["32-bit", "64-bit", "two blocks"])
def emulated(request, cpu_kernels, monkeypatch):
    """The compiled CUDA modules replaced by the kernels compiled for the CPU, so that
    minin's own cuda_runtime.launch (index type, grid shape, arguments) runs them. The
    64-bit run pretends every array is too large for 32-bit indices; the two-block run
    caps the grid, so that the grid-stride loops go round more than once. Returns a
    launcher for the elementwise pieces: (kernel, total, args, dtype)."""
    if request.param == "64-bit":
        monkeypatch.setattr(cuda_runtime, "INDEX_LIMIT", 0)
    if request.param == "two blocks":
        monkeypatch.setattr(cuda_runtime, "MAX_BLOCKS", 2)
    monkeypatch.setattr(cuda_runtime, "_compiled", lambda source, dtype, itype: EmulatedModule(
        cpu_kernels[np.dtype(dtype).name, np.dtype(itype).name]))
    return lambda kernel, total, args, dtype: cuda_runtime.launch(None, kernel, total, args, dtype)


CONV_CASES = [
    ((2, 3, 7, 6), (3, 3), (1, 1), (0, 0), (1, 1)),
    ((2, 3, 7, 6), (3, 3), (1, 1), (1, 1), (1, 1)),
    ((1, 2, 9, 8), (3, 2), (2, 1), (1, 2), (1, 1)),
    ((2, 2, 9, 9), (3, 3), (2, 3), (2, 1), (2, 2)),
    ((3, 1, 28, 28), (5, 5), (1, 1), (2, 2), (1, 1)),
    ((1, 4, 23, 23), (11, 11), (4, 4), (0, 0), (1, 1)),
    ((37, 2, 6, 5), (3, 3), (1, 2), (1, 1), (1, 1)),   # more images than a warp's lanes
    ((130, 1, 4, 4), (3, 3), (1, 1), (1, 1), (1, 1)),  # more than col2im's 4 images per lane
]


def _layouts(shape, dtype, seed=0):
    """The same values as an NCHW array and as a channel-major view."""
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return x, in_kernel_layout(x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, kernel, stride, padding, dilation", CONV_CASES)
def test_im2col_and_col2im(emulated, shape, kernel, stride, padding, dilation, dtype):
    for x in _layouts(shape, dtype):
        expected = conv.im2col(x, kernel, stride, padding, dilation)
        got = conv_cuda.im2col(x, kernel, stride, padding, dilation)
        np.testing.assert_array_equal(got, expected)
    cols = np.random.default_rng(1).standard_normal(expected.shape).astype(dtype)
    got = conv_cuda.col2im(cols, shape, kernel, stride, padding, dilation)
    # the same additions in the same order as the NumPy kernel: the same sums, bit for bit
    np.testing.assert_array_equal(got, conv.col2im(cols, shape, kernel, stride, padding, dilation))
    assert is_kernel_layout(got)


POOL_CASES = [
    ((2, 3, 7, 8), (2, 2), (2, 2), (0, 0), False),
    ((2, 3, 28, 28), (3, 3), (2, 2), (0, 0), False),
    ((2, 3, 9, 9), (3, 3), (2, 2), (1, 1), True),
    ((1, 2, 10, 7), (3, 2), (1, 2), (1, 1), True),
    ((1, 2, 11, 13), (2, 4), (3, 3), (1, 2), True),
    ((2, 2, 5, 5), (5, 5), (5, 5), (0, 0), False),
    ((37, 2, 7, 6), (3, 3), (2, 2), (1, 1), True),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, kernel, stride, padding, ceil_mode", POOL_CASES)
def test_max_pool(emulated, shape, kernel, stride, padding, ceil_mode, dtype):
    values = np.random.default_rng(0).permutation(int(np.prod(shape))).reshape(shape).astype(dtype)
    values[0, 0, 0, :2] = values[0, 0, 0, 0]  # a tie: the first one must win
    ho = pooling.pool_output_size(shape[2], kernel[0], stride[0], padding[0], ceil_mode)
    wo = pooling.pool_output_size(shape[3], kernel[1], stride[1], padding[1], ceil_mode)
    grad = np.random.default_rng(1).standard_normal((shape[0], shape[1], ho, wo)).astype(dtype)
    expected, cpu_argmax = pooling.max_pool2d_forward(values, kernel, stride, padding, ceil_mode)
    expected_dx = pooling.max_pool2d_backward(grad, cpu_argmax, shape, kernel, stride, padding)
    for x in (values, in_kernel_layout(values)):
        out, argmax = pooling_cuda.max_pool2d(x, kernel, stride, padding, (ho, wo))
        np.testing.assert_array_equal(out, expected)
        assert is_kernel_layout(out)
        for g in (grad, in_kernel_layout(grad)):
            dx = pooling_cuda.max_pool2d_backward(g, argmax, shape, kernel, stride, padding)
            np.testing.assert_allclose(dx, expected_dx, rtol=1e-6, atol=1e-6)


def test_max_pool_routes_nan_and_minus_infinity_windows_as_numpy_does(emulated):
    shape, kernel, stride, padding = (3, 2, 9, 8), (3, 3), (2, 2), (1, 1)
    values = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    values[:, :, :4, :4] = -np.inf  # windows of nothing but -inf and padding
    values.reshape(-1)[np.random.default_rng(1).choice(values.size, 20, replace=False)] = np.nan
    ho, wo = (pooling.pool_output_size(shape[2 + a], kernel[a], stride[a], padding[a], False) for a in (0, 1))
    grad = np.random.default_rng(2).standard_normal((shape[0], shape[1], ho, wo)).astype(np.float32)
    expected, cpu_argmax = pooling.max_pool2d_forward(values, kernel, stride, padding, False)
    out, argmax = pooling_cuda.max_pool2d(values, kernel, stride, padding, (ho, wo))
    np.testing.assert_array_equal(out, expected)  # NaN where the NumPy kernel has NaN
    np.testing.assert_allclose(pooling_cuda.max_pool2d_backward(grad, argmax, shape, kernel, stride, padding),
                               pooling.max_pool2d_backward(grad, cpu_argmax, shape, kernel, stride, padding),
                               rtol=1e-6, atol=1e-6)  # the same routes; sums of overlaps in another order


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bias_relu(emulated, relu, dtype):
    rng = np.random.default_rng(0)
    y, bias = rng.standard_normal((5, 301)).astype(dtype), rng.standard_normal(5).astype(dtype)
    y[1, 7] = np.nan
    expected = y + bias[:, None]
    if relu:
        expected = np.maximum(expected, 0)
    conv_cuda.bias_relu(y, np.stack([bias, bias], axis=1)[:, 0], relu)  # a strided bias
    np.testing.assert_array_equal(y, expected)


def test_bias_relu_refuses_an_output_it_cannot_update_in_place(emulated):
    y = np.zeros((4, 6), np.float32)
    with pytest.raises(ValueError, match="C-contiguous"):
        conv_cuda.bias_relu(y.T, np.zeros(6, np.float32), True)


@pytest.mark.gpu
def test_kernels_compile_once(gpu):
    x = gpu.asarray(np.random.rand(1, 2, 6, 6).astype(np.float32))
    conv_cuda.im2col(x, (3, 3), (1, 1), (1, 1), (1, 1))
    module = cuda_runtime._modules[conv_cuda.SOURCE, "float32", "int32"]
    conv_cuda.im2col(x, (3, 3), (1, 1), (1, 1), (1, 1))
    assert cuda_runtime._modules[conv_cuda.SOURCE, "float32", "int32"] is module


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_backward_piece(emulated, dtype):
    rng = np.random.default_rng(0)
    grad, y = rng.standard_normal(1000).astype(dtype), np.maximum(rng.standard_normal(1000), 0).astype(dtype)
    out = np.empty_like(y)
    emulated("relu_backward", out.size, [grad, y, out], dtype)  # the wrapper's argument order
    np.testing.assert_array_equal(out, grad * (y > 0))


@pytest.mark.gpu
def test_relu_backward_on_the_gpu_keeps_the_layout(gpu):
    from helpers import in_kernel_layout
    y = in_kernel_layout(np.maximum(np.random.default_rng(0).standard_normal((2, 3, 4, 5)), 0), gpu)
    grad = in_kernel_layout(np.random.default_rng(1).standard_normal((2, 3, 4, 5)), gpu)
    out = gpu.empty_like(y)
    activation_cuda.relu_backward(out, grad, y)
    assert is_kernel_layout(out)
    np.testing.assert_array_equal(gpu.asnumpy(out), gpu.asnumpy(grad * (y > 0)))


def _full(value, like, dtype=None):
    return np.full(like.shape, value, dtype=dtype or like.dtype)


@pytest.mark.parametrize("nesterov", [0, 1])
def test_sgd_momentum_piece_matches_the_optimizer(emulated, nesterov):
    rng = np.random.default_rng(0)
    param, grads = rng.standard_normal(50), [rng.standard_normal(50) for _ in range(3)]
    reference = mn.nn.Parameter(param.copy())
    optimizer = mn.optim.SGD([reference], lr=0.1, momentum=0.9, dampening=0.0 if nesterov else 0.2,
                             weight_decay=0.01, nesterov=bool(nesterov))
    ours, buf = param.copy(), np.zeros(50)
    for k, g in enumerate(grads):
        reference.grad = g
        optimizer.step()
        group = optimizer.param_groups[0]
        args = [g] + [_full(group[key], g) for key in ("lr", "momentum", "dampening", "weight_decay")]
        args += [_full(nesterov, g, np.int32), _full(int(k == 0), g, np.int32), ours, buf]
        emulated("sgd_momentum", 50, args, np.float64)
    np.testing.assert_allclose(ours, reference.data, rtol=1e-13)


def test_adam_piece_matches_the_optimizer(emulated):
    rng = np.random.default_rng(0)
    param, grads = rng.standard_normal(50), [rng.standard_normal(50) for _ in range(3)]
    reference = mn.nn.Parameter(param.copy())
    optimizer = mn.optim.Adam([reference], lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)
    ours, m, v = param.copy(), np.zeros(50), np.zeros(50)
    for step, g in enumerate(grads, start=1):
        reference.grad = g
        optimizer.step()
        scalars = [0.01, 0.8, 0.99, 1e-6, 0.1, 1 - 0.8 ** step, (1 - 0.99 ** step) ** 0.5]
        emulated("adam", 50, [g] + [_full(x, g) for x in scalars] + [ours, m, v], np.float64)
    np.testing.assert_allclose(ours, reference.data, rtol=1e-13)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_kernels(emulated, reduction, dtype, monkeypatch):
    rng = np.random.default_rng(0)
    logits = (rng.standard_normal((7, 10)) * 50).astype(dtype)
    logits[0, 3] = 1000  # still finite
    target = rng.integers(0, 10, 7)
    expected, log_probs = loss.cross_entropy(logits, target, reduction)
    grad = np.asarray(rng.standard_normal(np.shape(expected)), dtype=dtype)
    expected_grad = loss.cross_entropy_backward(grad, log_probs, target, reduction)
    monkeypatch.setattr(loss, "on_gpu", lambda array: True)  # loss.py's own dispatch, to the kernels
    got, probs = loss.cross_entropy(logits.T.copy().T, target, reduction)  # a non-contiguous input
    np.testing.assert_allclose(got, expected, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-12)
    np.testing.assert_allclose(loss.cross_entropy_backward(grad, probs, target, reduction), expected_grad,
                               rtol=1e-5, atol=1e-6 if dtype == np.float32 else 1e-14)


def test_cross_entropy_kernel_marks_bad_labels_with_nan(emulated):
    losses, _ = loss_cuda.cross_entropy_rows(np.zeros((3, 4)), np.array([0, 4, -1]))
    assert np.isfinite(losses[0]) and np.isnan(losses[1]) and np.isnan(losses[2])
