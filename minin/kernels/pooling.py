"""Max, average and global-average pooling over (N, C, H, W) arrays, with PyTorch's rules.

The kernels work on the (C, H, W, N) kernel layout (see ``conv``), so each
strided window view keeps the batch as its contiguous inner axis. Max and
average pooling are *separable*: a kh×kw window is a kw-wide pass along each
row followed by a kh-tall pass along each column, kh + kw array operations
instead of kh·kw. For max pooling the first maximum of the rows of the first
maximal row is the first maximum of the window in row-major order, the element
PyTorch picks, so the two passes also find PyTorch's argmax.
"""

import numpy as np

from ..backend import get_array_module, on_gpu
from . import parallel, pooling_cuda
from .layout import from_kernel_layout, kernel_layout, strided_window


def pool_output_size(size, kernel, stride, padding, ceil_mode):
    """PyTorch's pooling output length, including its ceil_mode rule that the
    last window must start inside the input or the left padding."""
    span = size + 2 * padding - kernel
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _along(axis, index):
    """An index that applies ``index`` to one axis of a (C, H, W, N) array."""
    return (slice(None),) * axis + (index,)


def _buffer_size(x_shape, out_hw, kernel, stride, padding):
    """Height and width of a padded buffer that holds the input and every window."""
    return tuple(max((out_hw[a] - 1) * stride[a] + kernel[a], x_shape[2 + a] + padding[a])
                 for a in (0, 1))


def _padded(x, fill, kernel, stride, padding, out_hw):
    """x in (C, H, W, N) layout inside a buffer that every window fits into, the
    outside set to ``fill``; x's own (copy-free) view when no padding is needed."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    hb, wb = _buffer_size(x.shape, out_hw, kernel, stride, padding)
    source = x.transpose(1, 2, 3, 0)
    if hb == h and wb == w:
        return source
    buffer = xp.full((c, hb, wb, n), fill, dtype=x.dtype)
    buffer[:, padding[0]:padding[0] + h, padding[1]:padding[1] + w] = source
    return buffer


def _offset_type(size):
    """The smallest integer type that holds an offset inside a window of ``size``."""
    return np.uint8 if size <= 256 else np.int32


def _max_along(a, axis, size, step, best, offset, pad=0):
    """Max over windows of ``size`` along ``axis`` into ``best`` and, into the integer
    ``offset``, the position of the first maximum in each window. ``pad``: how many
    positions of ``a`` before the input's own are padding."""
    count = best.shape[axis]
    views = [a[_along(axis, strided_window(j, count, step))] for j in range(size)]
    if size == 1:
        best[...], offset[...] = views[0], 0
        return
    np.maximum(views[0], views[1], out=best)
    for view in views[2:]:
        np.maximum(best, view, out=best)
    # The offset counts the views before the first one that holds the maximum: it grows
    # by one for every view that, like all views before it, missed. (The last view
    # needs no test: when every other view missed, the maximum is there.)
    missed_so_far = np.not_equal(views[0], best)
    offset[...] = missed_so_far
    if size > 2:
        missed = np.empty_like(missed_so_far)
        for view in views[1:-1]:
            np.not_equal(view, best, out=missed)
            missed_so_far &= missed
            offset += missed_so_far.view(np.uint8)
    # A window of nothing but -inf ties with its padding, which must not win: its maximum is
    # its first position inside the input (as in PyTorch).
    if pad and (floor := best == -np.inf).any():
        first_inside = np.maximum(0, pad - step * np.arange(count))
        shape = [1] * best.ndim
        shape[axis] = count
        np.copyto(offset, first_inside.reshape(shape).astype(offset.dtype), where=floor)
    # A NaN wins its window wherever it stands; of several, the last one (as in PyTorch).
    if best.size and np.isnan(best.max()):
        for j, view in enumerate(views):
            offset[np.isnan(view)] = j


def _route_along(grad, offset, axis, size, step, out):
    """The adjoint of ``_max_along``: each window's gradient goes to the offset it recorded.

    Offsets j < step of the windows reach disjoint positions, so they are written
    straight into ``out``; only the larger offsets, which land on positions already
    written (where windows overlap), are added. Positions no window reaches are zeros.
    """
    count = grad.shape[axis]
    if size < step:
        out[...] = 0  # gaps between the windows
    else:
        out[_along(axis, slice(count * step, None))] = 0  # beyond the offsets j < step
    for j in range(size):
        target = out[_along(axis, strided_window(j, count, step))]
        if size == 1:
            target[...] = grad
        elif j < step:
            np.multiply(grad, offset == j, out=target)
        else:
            target += grad * (offset == j)


def max_pool2d_forward(x, kernel, stride, padding, ceil_mode):
    """Returns (out, argmax); argmax is whatever ``max_pool2d_backward`` needs to route
    each output's gradient to the first maximum of its window."""
    n, c, h, w = x.shape
    ho = pool_output_size(h, kernel[0], stride[0], padding[0], ceil_mode)
    wo = pool_output_size(w, kernel[1], stride[1], padding[1], ceil_mode)
    return (pooling_cuda.max_pool2d if on_gpu(x) else _max_pool2d_cpu)(x, kernel, stride, padding, (ho, wo))


def _max_pool2d_cpu(x, kernel, stride, padding, out_hw):
    n, c, h, w = x.shape
    (ho, wo) = out_hw
    source = _padded(x, -np.inf, kernel, stride, padding, (ho, wo))
    hb = source.shape[1]
    row_max = np.empty((c, hb, wo, n), dtype=x.dtype)
    col_offset = np.empty(row_max.shape, dtype=_offset_type(kernel[1]))
    out = np.empty((c, ho, wo, n), dtype=x.dtype)
    row_offset = np.empty(out.shape, dtype=_offset_type(kernel[0]))

    def pool(channels):  # channels are independent: blocks of them run in parallel
        _max_along(source[channels], 2, kernel[1], stride[1], row_max[channels], col_offset[channels],
                   padding[1])
        _max_along(row_max[channels], 1, kernel[0], stride[0], out[channels], row_offset[channels],
                   padding[0])

    parallel.run(pool, c, source.size)
    return from_kernel_layout(out), (row_offset, col_offset)


def max_pool2d_backward(grad, argmax, x_shape, kernel, stride, padding):
    """Route each output's gradient to its window's maximum; overlapping windows add up."""
    backward = pooling_cuda.max_pool2d_backward if on_gpu(grad) else _max_pool2d_backward_cpu
    return backward(grad, argmax, x_shape, kernel, stride, padding)


def _max_pool2d_backward_cpu(grad, argmax, x_shape, kernel, stride, padding):
    n, c, h, w = x_shape
    hb, wb = _buffer_size(x_shape, grad.shape[2:], kernel, stride, padding)
    row_offset, col_offset = argmax
    g = kernel_layout(grad)
    rows = np.empty((c, hb) + g.shape[2:], dtype=g.dtype)
    padded = np.empty((c, hb, wb, n), dtype=g.dtype)

    def route(channels):
        _route_along(g[channels], row_offset[channels], 1, kernel[0], stride[0], rows[channels])
        _route_along(rows[channels], col_offset[channels], 2, kernel[1], stride[1], padded[channels])

    parallel.run(route, c, padded.size)
    return from_kernel_layout(padded[:, padding[0]:padding[0] + h, padding[1]:padding[1] + w])


def avg_divisor(size, kernel, stride, padding, out, count_include_pad):
    """How many elements PyTorch divides by at each output position along one axis."""
    start = np.arange(out) * stride - padding
    end = np.minimum(start + kernel, size + padding)
    if count_include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def _sum_along(a, axis, size, step, out):
    count = out.shape[axis]
    out[...] = a[_along(axis, strided_window(0, count, step))]
    for j in range(1, size):
        out += a[_along(axis, strided_window(j, count, step))]


def avg_pool2d_forward(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override=None):
    """Returns (out, divisor); divisor is the (Ho, Wo, 1) array of window counts (or of
    ``divisor_override``, which replaces them, as in PyTorch)."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    ho = pool_output_size(h, kernel[0], stride[0], padding[0], ceil_mode)
    wo = pool_output_size(w, kernel[1], stride[1], padding[1], ceil_mode)
    divisor = np.full((ho, wo), divisor_override) if divisor_override else \
        np.outer(avg_divisor(h, kernel[0], stride[0], padding[0], ho, count_include_pad),
                 avg_divisor(w, kernel[1], stride[1], padding[1], wo, count_include_pad))
    divisor = xp.asarray(divisor.astype(x.dtype))[:, :, None]  # (Ho, Wo, 1): broadcasts over N
    source = _padded(x, 0, kernel, stride, padding, (ho, wo))
    row_sum = xp.empty((c, source.shape[1], wo, n), dtype=x.dtype)
    out = xp.empty((c, ho, wo, n), dtype=x.dtype)

    def pool(channels):
        _sum_along(source[channels], 2, kernel[1], stride[1], row_sum[channels])
        _sum_along(row_sum[channels], 1, kernel[0], stride[0], out[channels])
        out[channels] /= divisor

    parallel.run(pool, c, source.size, xp)
    return from_kernel_layout(out), divisor


def _spread_along(grad, axis, size, step, out):
    """The adjoint of ``_sum_along``: every element of a window gets the window's gradient."""
    out[...] = 0
    for j in range(size):
        out[_along(axis, strided_window(j, grad.shape[axis], step))] += grad


def avg_pool2d_backward(grad, divisor, x_shape, kernel, stride, padding):
    """Spread each output's gradient evenly over the elements it averaged."""
    xp = get_array_module(grad)
    n, c, h, w = x_shape
    hb, wb = _buffer_size(x_shape, grad.shape[2:], kernel, stride, padding)
    share = kernel_layout(grad) / divisor
    rows = xp.empty((c, hb) + share.shape[2:], dtype=grad.dtype)
    padded = xp.empty((c, hb, wb, n), dtype=grad.dtype)

    def spread(channels):
        _spread_along(share[channels], 1, kernel[0], stride[0], rows[channels])
        _spread_along(rows[channels], 2, kernel[1], stride[1], padded[channels])

    parallel.run(spread, c, padded.size, xp)
    return from_kernel_layout(padded[:, padding[0]:padding[0] + h, padding[1]:padding[1] + w])


def global_avg_pool2d_forward(x):
    """(N, C, H, W) → (N, C): the mean of every feature map (summed over H and W of the
    (C, H, W, N) view, so the batch stays the contiguous inner axis)."""
    return x.transpose(1, 2, 3, 0).mean(axis=(1, 2)).T


def global_avg_pool2d_backward(grad, x_shape):
    """Each of the H·W pixels of a map gets 1/(H·W) of that map's gradient."""
    xp = get_array_module(grad)
    n, c, h, w = x_shape
    share = (grad.T / (h * w))[:, None, None, :]  # (C, 1, 1, N)
    return from_kernel_layout(xp.broadcast_to(share, (c, h, w, n)))
