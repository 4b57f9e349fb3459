"""2-D convolution as one matrix multiplication.

im2col copies every kh×kw patch of the input into a column of a matrix, so that
a convolution with O filters becomes ``weight (O, C·kh·kw) @ cols (C·kh·kw, N·Ho·Wo)``:
one large GEMM, which BLAS (or cuBLAS) runs near the machine's peak.

Memory layout. Arrays have PyTorch's logical shape (N, C, H, W), but the feature
maps minin computes are stored in the order (C, H, W, N): channels outermost,
the batch innermost (the layout of cuda-convnet, the code AlexNet was trained
with). Two things follow:

* a GEMM result with one row per output channel *is* such an array, so a
  convolution's output needs no transpose, and a 1×1 convolution reads its input
  as a (C, H·W·N) matrix without copying it: NiN's mlpconv layers are plain
  matrix products;
* every strided window that im2col, col2im and pooling take over (H, W) still
  has the whole batch, N contiguous numbers, as its innermost axis, so NumPy
  runs those loops over long contiguous rows instead of rows of 13 pixels.

``kernel_layout`` gives the (C, H, W, N) view, copying only when an array
arrives in another layout (an input batch, say); ``from_kernel_layout`` turns
such a buffer back into the logical (N, C, H, W) view.
"""

import numpy as np

from ..backend import get_array_module
from . import parallel


def output_size(size, kernel, stride, padding, dilation=1):
    """Output length along one axis: floor((size + 2p - d(k-1) - 1) / s) + 1."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def kernel_layout(x):
    """The (C, H, W, N) view of an (N, C, H, W) array, as a contiguous array
    (free for minin's own feature maps, one copy for anything else)."""
    return get_array_module(x).ascontiguousarray(x.transpose(1, 2, 3, 0))


def from_kernel_layout(buffer):
    """The logical (N, C, H, W) view of a (C, H, W, N) buffer."""
    return buffer.transpose(3, 0, 1, 2)


def is_pointwise(kernel, stride, padding):
    """A 1×1 kernel with stride 1 and no padding needs no im2col at all."""
    return kernel == (1, 1) and stride == (1, 1) and padding == (0, 0)


def strided_window(start, count, step):
    """The slice that picks ``count`` positions ``start, start+step, ...``."""
    return slice(start, start + step * (count - 1) + 1, step)


def _inside(count, offset, step, size):
    """For outputs o = 0..count-1 reading input position o·step + offset: the slice of
    outputs whose position lies inside [0, size), and the slice of positions they read."""
    first = max(0, -(offset // step))            # smallest o with o·step + offset >= 0
    last = min(count - 1, (size - 1 - offset) // step)
    if last < first:
        return slice(0, 0), slice(0, 0)
    return slice(first, last + 1), strided_window(first * step + offset, last - first + 1, step)


def _zero_outside(patch, rows, columns):
    """Zero patch (C, Ho, Wo, N) outside [rows, columns]: the strips along its border
    that fall in the padding, without touching the rest a second time."""
    patch[:, :rows.start] = 0
    patch[:, rows.stop:] = 0
    patch[:, rows, :columns.start] = 0
    patch[:, rows, columns.stop:] = 0


def im2col(x, kernel, stride, padding, dilation):
    """(N, C, H, W) input → (C·kh·kw, Ho·Wo·N) patch matrix.

    Row (c, i, j) of the result holds input channel c shifted by kernel offset
    (i, j) for every output pixel: one strided copy per kernel offset, never a
    Python loop over pixels. Positions in the padding are zeros.
    """
    xp = get_array_module(x)
    if xp is not np:
        from . import cuda
        return cuda.im2col(x, kernel, stride, padding, dilation)
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    ho, wo = output_size(h, kh, sh, ph, dh), output_size(w, kw, sw, pw, dw)
    source = x.transpose(1, 2, 3, 0)  # (C, H, W, N), a view
    cols = np.empty((c, kh, kw, ho, wo, n), dtype=x.dtype)

    def fill(channels):  # channels are independent: blocks of them run in parallel
        for i in range(kh):
            rows, y = _inside(ho, i * dh - ph, sh, h)
            for j in range(kw):
                columns, x_ = _inside(wo, j * dw - pw, sw, w)
                patch = cols[channels, i, j]
                patch[:, rows, columns] = source[channels, y, x_]
                _zero_outside(patch, rows, columns)  # the positions in the padding

    parallel.run(fill, c, cols.size)
    return cols.reshape(c * kh * kw, ho * wo * n)


def col2im(cols, x_shape, kernel, stride, padding, dilation):
    """The adjoint of im2col: (C·kh·kw, Ho·Wo·N) → (N, C, H, W), in kernel layout.

    Every input pixel that appeared in several patches receives the sum of their
    gradients: kh·kw strided-slice additions, none of them landing in the padding.
    """
    xp = get_array_module(cols)
    if xp is not np:
        from . import cuda
        return cuda.col2im(cols, x_shape, kernel, stride, padding, dilation)
    n, c, h, w = x_shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    ho, wo = output_size(h, kh, sh, ph, dh), output_size(w, kw, sw, pw, dw)
    cols = cols.reshape(c, kh, kw, ho, wo, n)
    grad = np.zeros((c, h, w, n), dtype=cols.dtype)

    def accumulate(channels):
        for i in range(kh):
            rows, y = _inside(ho, i * dh - ph, sh, h)
            for j in range(kw):
                columns, x_ = _inside(wo, j * dw - pw, sw, w)
                grad[channels, y, x_] += cols[channels, i, j, rows, columns]

    parallel.run(accumulate, c, cols.size)
    return from_kernel_layout(grad)


def bias_relu(y, bias, relu):
    """y (O, M) += bias[:, None], then max(y, 0) if ``relu``, in place: on the GPU in one
    kernel, on the CPU as two in-place passes over blocks of rows, one block per thread."""
    xp = get_array_module(y)
    if xp is not np and bias is not None:
        from . import cuda
        return cuda.bias_relu(y, bias, relu)

    def apply(rows):
        if bias is not None:
            xp.add(y[rows], bias[rows, None], out=y[rows])
        if relu:
            xp.maximum(y[rows], 0, out=y[rows])

    parallel.run(apply, y.shape[0], y.size, xp)


def conv2d_forward(x, weight, bias, stride, padding, dilation, relu=False):
    """y = conv(x, weight) + bias, and max(y, 0) if ``relu``. Returns (y, cols); cols is
    what the weight gradient needs."""
    o, c, kh, kw = weight.shape
    n, _, h, w = x.shape
    ho, wo = output_size(h, kh, stride[0], padding[0], dilation[0]), output_size(w, kw, stride[1], padding[1], dilation[1])
    if is_pointwise((kh, kw), stride, padding):
        cols = kernel_layout(x).reshape(c, h * w * n)
    else:
        cols = im2col(x, (kh, kw), stride, padding, dilation)
    y = weight.reshape(o, -1) @ cols
    if bias is not None or relu:
        bias_relu(y, bias, relu)
    return from_kernel_layout(y.reshape(o, ho, wo, n)), cols


def conv2d_backward(grad, cols, weight, x_shape, weight_shape, stride, padding, dilation,
                    need_x=True, need_weight=True, need_bias=True):
    """Gradients of conv2d_forward with respect to x, weight and bias (None where not needed).

    ``cols`` (from forward) is needed for the weight gradient, ``weight`` for x's.
    """
    o, c, kh, kw = weight_shape
    xp = get_array_module(grad)
    g = kernel_layout(grad).reshape(o, -1)
    grad_bias = None
    if need_bias:
        grad_bias = xp.empty(o, dtype=g.dtype)
        parallel.run(lambda rows: xp.sum(g[rows], axis=1, out=grad_bias[rows]), o, g.size, xp)
    grad_weight = (g @ cols.T).reshape(weight_shape) if need_weight else None
    grad_x = None
    if need_x:
        grad_cols = weight.reshape(o, -1).T @ g
        if is_pointwise((kh, kw), stride, padding):
            n, _, h, w = x_shape
            grad_x = from_kernel_layout(grad_cols.reshape(c, h, w, n))
        else:
            grad_x = col2im(grad_cols, x_shape, (kh, kw), stride, padding, dilation)
    return grad_x, grad_weight, grad_bias
