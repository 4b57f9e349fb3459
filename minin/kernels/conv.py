"""2-D convolution as one matrix multiplication.

im2col copies every kh×kw patch of the input into a column of a matrix, so that
a convolution with O filters becomes ``weight (O, C·kh·kw) @ cols (C·kh·kw, N·Ho·Wo)``:
one large GEMM, which BLAS (or cuBLAS) runs near the machine's peak. The arrays are in
minin's (C, H, W, N) storage order (see ``layout.py``); ``conv_simple.py`` is the same
idea in the textbook's NCHW order, a screen long, which these kernels are tested against.

Each public kernel picks its CPU version (below) or its GPU version (``conv_cuda.py``)
in one line.
"""

import numpy as np

from ..backend import get_array_module, on_gpu
from . import conv_cuda, parallel
from .layout import from_kernel_layout, kernel_layout, output_size, strided_window



def is_pointwise(kernel, stride, padding):
    """A 1×1 kernel with stride 1 and no padding needs no im2col at all."""
    return kernel == (1, 1) and stride == (1, 1) and padding == (0, 0)


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
    return (conv_cuda.im2col if on_gpu(x) else _im2col_cpu)(x, kernel, stride, padding, dilation)


def _im2col_cpu(x, kernel, stride, padding, dilation):
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
    return (conv_cuda.col2im if on_gpu(cols) else _col2im_cpu)(cols, x_shape, kernel, stride, padding,
                                                               dilation)


def _col2im_cpu(cols, x_shape, kernel, stride, padding, dilation):
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
    if on_gpu(y) and bias is not None:
        return conv_cuda.bias_relu(y, bias, relu)
    xp = get_array_module(y)

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


def conv2d_backward(grad, cols, weight, x_shape, stride, padding, dilation,
                    need_x=True, need_weight=True, need_bias=True):
    """Gradients of conv2d_forward with respect to x, weight and bias (None where not needed).
    ``cols`` (from forward) is needed for the weight gradient."""
    o, c, kh, kw = weight.shape
    xp = get_array_module(grad)
    g = kernel_layout(grad).reshape(o, -1)
    grad_x = grad_weight = grad_bias = None
    if need_bias:
        grad_bias = xp.empty(o, dtype=g.dtype)
        parallel.run(lambda rows: xp.sum(g[rows], axis=1, out=grad_bias[rows]), o, g.size, xp)
    if need_weight:
        grad_weight = (g @ cols.T).reshape(weight.shape)
    if need_x:
        grad_cols = weight.reshape(o, -1).T @ g
        if is_pointwise((kh, kw), stride, padding):
            n, _, h, w = x_shape
            grad_x = from_kernel_layout(grad_cols.reshape(c, h, w, n))
        else:
            grad_x = col2im(grad_cols, x_shape, (kh, kw), stride, padding, dilation)
    return grad_x, grad_weight, grad_bias
