"""What the CUDA kernel files share: compiling a kernel source once per element and
index type, choosing the launch grid, and CuPy's elementwise kernels.

The kernels themselves sit beside the NumPy code they replace: ``conv_cuda.py`` beside
``conv.py``, ``pooling_cuda.py`` beside ``pooling.py``, and so on. They are *gather*
kernels: each thread writes only its own part of the output and reads everything that
part needs. No atomics, so results are deterministic and equal run to run. Outputs
are written in minin's (C, H, W, N) layout; each thread of the feature-map kernels
takes one row of the output, and the batch, the innermost axis, is shared out between
neighbouring threads, so they touch neighbouring memory and the index arithmetic is
done once per row. Each kernel is written once over a type ``T``; a source is compiled
on first use and cached, once per element type ``T`` (float32, float64) and index type
``I``: 32-bit integers wherever the sizes allow, since the index arithmetic costs
several times more in 64 bits.
"""

import numpy as np

# The loops every kernel source uses; compiled in front of each source.
PRELUDE = r"""
// A grid-stride loop: each thread takes every (threads in the grid)-th element, so
// any grid covers any size.
#define FOR_EACH(i, total) \
    for (I i = (I)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (I)blockDim.x * gridDim.x)

// The feature-map kernels give each thread one *row* of their output viewed as a 2-D
// array (rows, Wo·N) or (rows, N), and share out the batch, the innermost axis of
// minin's (C, H, W, N) layout, between the blockDim.x threads of a block row ("lanes"):
// lane l takes images l, l + lanes, ...  Neighbouring lanes touch neighbouring memory,
// and the divisions that locate a row are done once per row, not once per element.
#define FOR_EACH_ROW(r, rows) \
    for (I r = (I)blockIdx.x * blockDim.y + threadIdx.y; r < rows; r += (I)blockDim.y * gridDim.x)
#define FOR_EACH_IMAGE(n, N) for (int n = threadIdx.x; n < N; n += blockDim.x)
"""

THREADS = 256
MAX_BLOCKS = 1 << 20
INDEX_LIMIT = 2**31 - 2**29  # up to here, 32-bit indices can't overflow (grid stride included)
_modules = {}  # (source, dtype name, index type name) -> compiled cupy.RawModule
_elementwise = {}  # name -> cupy.ElementwiseKernel


def index_type(total, arrays):
    """np.int32 if every index the kernel computes fits in 32 bits, else np.int64."""
    largest = max([total] + [a.size for a in arrays])
    return np.int32 if largest <= INDEX_LIMIT else np.int64


def _compiled(source, dtype, itype):
    import cupy
    name = np.dtype(dtype).name
    if name not in ("float32", "float64"):
        raise TypeError(f"the CUDA kernels take float32 or float64 arrays, got {name}")
    key = (source, name, np.dtype(itype).name)
    if key not in _modules:
        ctype = "float" if name == "float32" else "double"
        index = "int" if itype is np.int32 else "long long"
        _modules[key] = cupy.RawModule(code=f"typedef {ctype} T;\ntypedef {index} I;\n" + PRELUDE + source)
    return _modules[key]


def launch_shape(total, lanes=None):
    """(blocks, (threads x, threads y)) for ``total`` work items. Without ``lanes``, one
    thread per item (FOR_EACH); with it, a block row of ``lanes`` threads per item (FOR_EACH_ROW)."""
    threads = (THREADS, 1) if lanes is None else (lanes, THREADS // lanes)
    per_block = THREADS if lanes is None else threads[1]  # items one block takes at a time
    return max(1, min((total + per_block - 1) // per_block, MAX_BLOCKS)), threads


def lanes_for(batch):
    """Lanes per row: a warp's 32 for a batch of 32 or more, else the batch rounded up to a
    power of two, so that small batches don't leave most threads idle."""
    return min(32, 1 << max(0, batch - 1).bit_length())


def launch(source, kernel, total, args, dtype, lanes=None):
    """Run ``kernel`` of ``source`` over ``total`` items (a grid-stride loop covers any size)."""
    itype = index_type(total, [a for a in args if hasattr(a, "size") and not isinstance(a, np.generic)])
    blocks, threads = launch_shape(total, lanes)
    _compiled(source, dtype, itype).get_function(kernel)((blocks,), threads, tuple(args) + (itype(total),))


def ints(*values):
    return [np.int32(v) for v in values]


def strides(a):
    """An array's strides in elements, for kernels that read through them."""
    return [np.int64(s // a.itemsize) for s in a.strides]


def elementwise(name, spec):
    """The cupy.ElementwiseKernel for ``spec`` = (inputs, outputs, body), made once.
    Outputs named in the inputs' place are read and updated (the optimizers' state)."""
    if name not in _elementwise:
        import cupy
        inputs, outputs, body = spec
        _elementwise[name] = cupy.ElementwiseKernel(inputs, outputs, body, f"minin_{name}")
    return _elementwise[name]
