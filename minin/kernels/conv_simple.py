"""Convolution the way a textbook writes it: im2col in NCHW order, then one matrix product.

Read this version first (tutorial chapter 3 steps through it). ``conv.py`` does the
same arithmetic in minin's (C, H, W, N) storage order, which saves the transposes
below, and is tested against this file.
"""

from ..backend import get_array_module
from .layout import output_size


def _windows(start, count, step):
    return slice(start, start + step * (count - 1) + 1, step)


def im2col_nchw(x, kernel, stride, padding):
    """(N, C, H, W) → (N·Ho·Wo, C·kh·kw): row (n, oy, ox) is the patch under output (oy, ox)."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    ho, wo = output_size(h, kh, sh, ph), output_size(w, kw, sw, pw)
    padded = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = xp.empty((n, c, kh, kw, ho, wo), dtype=x.dtype)
    for i in range(kh):  # one strided copy per kernel offset, never a loop over pixels
        for j in range(kw):
            cols[:, :, i, j] = padded[:, :, _windows(i, ho, sh), _windows(j, wo, sw)]
    return cols.transpose(0, 4, 5, 1, 2, 3).reshape(n * ho * wo, c * kh * kw)


def col2im_nchw(cols, x_shape, kernel, stride, padding):
    """The adjoint of im2col_nchw: every patch entry is added back where it was copied from."""
    xp = get_array_module(cols)
    n, c, h, w = x_shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    ho, wo = output_size(h, kh, sh, ph), output_size(w, kw, sw, pw)
    cols = cols.reshape(n, ho, wo, c, kh, kw).transpose(0, 3, 4, 5, 1, 2)
    padded = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            padded[:, :, _windows(i, ho, sh), _windows(j, wo, sw)] += cols[:, :, i, j]
    return padded[:, :, ph:ph + h, pw:pw + w]


def conv2d_simple(x, weight, bias, stride, padding):
    """(N, C, H, W) * (O, C, kh, kw) → (N, O, Ho, Wo): patches (N·Ho·Wo, C·kh·kw) times
    filters (C·kh·kw, O), plus the bias, reshaped back to NCHW. stride and padding are
    pairs; Ho = floor((H + 2·padding - kh) / stride) + 1.

    Example::

        >>> x, w = np.ones((1, 1, 4, 4)), np.ones((2, 1, 3, 3))
        >>> conv2d_simple(x, w, None, (1, 1), (0, 0))[0, 0]
        array([[9., 9.],
               [9., 9.]])
    """
    o = weight.shape[0]
    n, _, h, w = x.shape
    ho, wo = (output_size(size, k, s, p) for size, k, s, p in zip((h, w), weight.shape[2:], stride, padding))
    y = im2col_nchw(x, weight.shape[2:], stride, padding) @ weight.reshape(o, -1).T
    if bias is not None:
        y += bias
    return y.reshape(n, ho, wo, o).transpose(0, 3, 1, 2)


def conv2d_simple_backward(grad, x, weight, stride, padding):
    """(grad_x, grad_weight, grad_bias) of conv2d_simple, by the chain rule through the
    product: d cols = d y · filtersᵀ (then col2im), d filters = colsᵀ · d y."""
    o = weight.shape[0]
    g = grad.transpose(0, 2, 3, 1).reshape(-1, o)  # (N·Ho·Wo, O), as y was before the reshape
    cols = im2col_nchw(x, weight.shape[2:], stride, padding)
    grad_weight = (g.T @ cols).reshape(weight.shape)
    grad_x = col2im_nchw(g @ weight.reshape(o, -1), x.shape, weight.shape[2:], stride, padding)
    return grad_x, grad_weight, g.sum(axis=0)
