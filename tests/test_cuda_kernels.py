"""The CUDA kernels, checked on machines without a GPU.

1. nvcc compiles every kernel for float and double (skipped where nvcc is absent).
2. The same source, compiled as plain C++ with a one-thread "grid", runs on the
   CPU: the grid-stride loops then visit every element in turn, so the kernels'
   index arithmetic is compared with the NumPy kernels on many configurations.
   The Python wrappers in minin.kernels.cuda build the arguments in both cases.
"""

import ctypes
import shutil
import subprocess

import numpy as np
import pytest

from helpers import in_kernel_layout, is_kernel_layout
from minin.kernels import conv, cuda, pooling

PRELUDE = """
#include <algorithm>
using std::min;
struct minin_dim3 { unsigned int x, y, z; };
static const minin_dim3 blockIdx = {0, 0, 0}, threadIdx = {0, 0, 0};
static const minin_dim3 blockDim = {1, 1, 1}, gridDim = {1, 1, 1};
#define __global__
"""


def elementwise_source():
    """Each cupy.ElementwiseKernel piece wrapped in a __global__ function, the way CuPy
    wraps it: one thread per element, each argument read or written at index i."""
    functions = []
    for name, (inputs, outputs, body) in cuda.ELEMENTWISE.items():
        ins = [arg.split() for arg in inputs.split(",")]
        outs = [arg.split() for arg in outputs.split(",")]
        params = ", ".join([f"const {t}* {n}_" for t, n in ins] + [f"{t}* {n}_" for t, n in outs])
        loads = " ".join(f"{t} {n} = {n}_[i];" for t, n in ins) + " " + " ".join(f"{t} {n};" for t, n in outs)
        stores = " ".join(f"{n}_[i] = {n};" for _, n in outs)
        functions.append(
            f'extern "C" __global__ void {name}({params}, long long total) {{\n'
            f"  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;"
            f" i += (long long)blockDim.x * gridDim.x) {{ {loads} {body}; {stores} }}\n}}\n")
    return "".join(functions)


@pytest.mark.parametrize("ctype", ["float", "double"])
def test_nvcc_compiles_every_kernel(tmp_path, ctype):
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        pytest.skip("nvcc is not installed")
    source = tmp_path / "kernels.cu"
    source.write_text(f"typedef {ctype} T;\n" + cuda.SOURCE + elementwise_source())
    result = subprocess.run([nvcc, "-arch=sm_80", "-c", str(source), "-o", str(tmp_path / "k.o")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    symbols = subprocess.run(["nm", str(tmp_path / "k.o")], capture_output=True, text=True).stdout
    for kernel in cuda.KERNELS + tuple(cuda.ELEMENTWISE):
        assert kernel in symbols


@pytest.fixture(scope="module")
def emulated(tmp_path_factory):
    """cuda._launch replaced by a call into the kernels compiled for the CPU."""
    compiler = shutil.which("g++") or shutil.which("c++")
    if compiler is None:
        pytest.skip("no C++ compiler")
    folder = tmp_path_factory.mktemp("cuda_on_cpu")
    libraries = {}
    for name, ctype in (("float32", "float"), ("float64", "double")):
        source = folder / f"kernels_{name}.cpp"
        source.write_text(PRELUDE + f"typedef {ctype} T;\n" + cuda.SOURCE + elementwise_source())
        library = folder / f"kernels_{name}.so"
        subprocess.run([compiler, "-O1", "-shared", "-fPIC", str(source), "-o", str(library)], check=True)
        libraries[name] = ctypes.CDLL(str(library))

    def launch(kernel, total, args, dtype):
        c_args = []
        for a in list(args) + [np.int64(total)]:
            if isinstance(a, np.ndarray):
                c_args.append(ctypes.c_void_p(a.ctypes.data))
            elif isinstance(a, np.int32):
                c_args.append(ctypes.c_int(int(a)))
            elif isinstance(a, np.int64):
                c_args.append(ctypes.c_longlong(int(a)))
            else:
                raise TypeError(f"unexpected kernel argument {a!r}")
        getattr(libraries[np.dtype(dtype).name], kernel)(*c_args)

    original = cuda._launch
    cuda._launch = launch
    yield launch
    cuda._launch = original


CONV_CASES = [
    ((2, 3, 7, 6), (3, 3), (1, 1), (0, 0), (1, 1)),
    ((2, 3, 7, 6), (3, 3), (1, 1), (1, 1), (1, 1)),
    ((1, 2, 9, 8), (3, 2), (2, 1), (1, 2), (1, 1)),
    ((2, 2, 9, 9), (3, 3), (2, 3), (2, 1), (2, 2)),
    ((3, 1, 28, 28), (5, 5), (1, 1), (2, 2), (1, 1)),
    ((1, 4, 23, 23), (11, 11), (4, 4), (0, 0), (1, 1)),
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
        got = cuda.im2col(x, kernel, stride, padding, dilation)
        np.testing.assert_array_equal(got, expected)
    cols = np.random.default_rng(1).standard_normal(expected.shape).astype(dtype)
    got = cuda.col2im(cols, shape, kernel, stride, padding, dilation)
    np.testing.assert_allclose(got, conv.col2im(cols, shape, kernel, stride, padding, dilation),
                               rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)
    assert is_kernel_layout(got)


POOL_CASES = [
    ((2, 3, 7, 8), (2, 2), (2, 2), (0, 0), False),
    ((2, 3, 28, 28), (3, 3), (2, 2), (0, 0), False),
    ((2, 3, 9, 9), (3, 3), (2, 2), (1, 1), True),
    ((1, 2, 10, 7), (3, 2), (1, 2), (1, 1), True),
    ((1, 2, 11, 13), (2, 4), (3, 3), (1, 2), True),
    ((2, 2, 5, 5), (5, 5), (5, 5), (0, 0), False),
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
        out, argmax = cuda.max_pool2d(x, kernel, stride, padding, (ho, wo))
        np.testing.assert_array_equal(out, expected)
        assert is_kernel_layout(out)
        for g in (grad, in_kernel_layout(grad)):
            dx = cuda.max_pool2d_backward(g, argmax, shape, kernel, stride, padding)
            np.testing.assert_allclose(dx, expected_dx, rtol=1e-6, atol=1e-6)


@pytest.mark.gpu
def test_kernels_compile_once(gpu):
    x = gpu.asarray(np.random.rand(1, 2, 6, 6).astype(np.float32))
    cuda.im2col(x, (3, 3), (1, 1), (1, 1), (1, 1))
    module = cuda._modules["float32"]
    cuda.im2col(x, (3, 3), (1, 1), (1, 1), (1, 1))
    assert cuda._modules["float32"] is module


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_backward_piece(emulated, dtype):
    rng = np.random.default_rng(0)
    grad, y = rng.standard_normal(1000).astype(dtype), np.maximum(rng.standard_normal(1000), 0).astype(dtype)
    out = np.empty_like(y)
    emulated("relu_backward", out.size, [grad, y, out], dtype)
    np.testing.assert_array_equal(out, grad * (y > 0))


@pytest.mark.gpu
def test_relu_backward_on_the_gpu_keeps_the_layout(gpu):
    from helpers import in_kernel_layout
    y = in_kernel_layout(np.maximum(np.random.default_rng(0).standard_normal((2, 3, 4, 5)), 0), gpu)
    grad = in_kernel_layout(np.random.default_rng(1).standard_normal((2, 3, 4, 5)), gpu)
    out = cuda.relu_backward(grad, y)
    assert is_kernel_layout(out)
    np.testing.assert_array_equal(gpu.asnumpy(out), gpu.asnumpy(grad * (y > 0)))
