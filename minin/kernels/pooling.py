"""Max, average and global-average pooling over (N, C, H, W) arrays, with PyTorch's rules.

The window loops run over the kh·kw kernel offsets, each one a strided view of
the whole batch, never over output pixels. The arrays keep whatever memory
layout they arrive in (minin's feature maps are channel-major).
"""

import numpy as np

from ..backend import get_array_module


def pool_output_size(size, kernel, stride, padding, ceil_mode):
    """PyTorch's pooling output length, including its ceil_mode rule that the
    last window must start inside the input or the left padding."""
    span = size + 2 * padding - kernel
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _window(start, count, step):
    return slice(start, start + step * (count - 1) + 1, step)


def _padded(x, fill, kernel, stride, padding, out_hw):
    """x inside a buffer that every window fits into, the outside set to ``fill``."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    hb = (out_hw[0] - 1) * stride[0] + kernel[0]
    wb = (out_hw[1] - 1) * stride[1] + kernel[1]
    (ph, pw) = padding
    if ph == 0 and pw == 0 and hb <= h and wb <= w:
        return x
    buffer = xp.empty_like(x, shape=(n, c, hb, wb))
    buffer.fill(fill)
    rows, cols = min(h, hb - ph), min(w, wb - pw)
    buffer[:, :, ph:ph + rows, pw:pw + cols] = x[:, :, :rows, :cols]
    return buffer


def max_pool2d_forward(x, kernel, stride, padding, ceil_mode):
    """Returns (out, argmax): argmax holds, for every output, the offset i·kw + j of the
    first maximum of its window in row-major order (PyTorch's choice on ties)."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    ho = pool_output_size(h, kernel[0], stride[0], padding[0], ceil_mode)
    wo = pool_output_size(w, kernel[1], stride[1], padding[1], ceil_mode)
    if xp is not np:
        from . import cuda
        return cuda.max_pool2d(x, kernel, stride, padding, (ho, wo))
    source = _padded(x, -np.inf, kernel, stride, padding, (ho, wo))
    out = argmax = None
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            view = source[:, :, _window(i, ho, stride[0]), _window(j, wo, stride[1])]
            if out is None:
                out = view.copy(order="K")
                argmax = np.zeros(out.shape, dtype=np.uint8 if kernel[0] * kernel[1] < 256 else np.int32)
                continue
            better = view > out  # strictly greater: ties keep the earlier offset
            np.maximum(out, view, out=out)
            np.putmask(argmax, better, i * kernel[1] + j)
    return out, argmax


def _zeros_channel_major(xp, n, c, h, w, dtype):
    """Zeros of logical shape (N, C, H, W), stored channel-major like minin's feature maps."""
    return xp.zeros((c, n, h, w), dtype=dtype).transpose(1, 0, 2, 3)


def _buffer_size(x_shape, out_hw, kernel, stride, padding):
    """Height and width of a padded buffer that holds the input and every window."""
    return tuple(max((out_hw[a] - 1) * stride[a] + kernel[a], x_shape[2 + a] + padding[a])
                 for a in (0, 1))


def max_pool2d_backward(grad, argmax, x_shape, kernel, stride, padding):
    """Route each output's gradient to its window's maximum; overlapping windows add up."""
    xp = get_array_module(grad)
    if xp is not np:
        from . import cuda
        return cuda.max_pool2d_backward(grad, argmax, x_shape, kernel, stride, padding)
    n, c, h, w = x_shape
    ho, wo = grad.shape[2:]
    hb, wb = _buffer_size(x_shape, (ho, wo), kernel, stride, padding)
    # The flat position of every window's maximum in a channel-major (C, N, hb, wb) buffer.
    i, j = np.divmod(argmax.astype(np.intp), kernel[1])
    target = (np.arange(c * n).reshape(c, n).T[:, :, None, None] * (hb * wb)
              + (np.arange(ho) * (stride[0] * wb))[:, None] + np.arange(wo) * stride[1]
              + i * wb + j)
    buffer = np.zeros(c * n * hb * wb, dtype=grad.dtype)
    np.add.at(buffer, target.ravel(), grad.ravel())
    buffer = buffer.reshape(c, n, hb, wb).transpose(1, 0, 2, 3)
    return buffer[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + w]


def avg_divisor(size, kernel, stride, padding, out, count_include_pad):
    """How many elements PyTorch divides by at each output position along one axis."""
    start = np.arange(out) * stride - padding
    end = np.minimum(start + kernel, size + padding)
    if count_include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def avg_pool2d_forward(x, kernel, stride, padding, ceil_mode, count_include_pad):
    """Returns (out, divisor); divisor is the (Ho, Wo) array of window counts."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    ho = pool_output_size(h, kernel[0], stride[0], padding[0], ceil_mode)
    wo = pool_output_size(w, kernel[1], stride[1], padding[1], ceil_mode)
    divisor = np.outer(avg_divisor(h, kernel[0], stride[0], padding[0], ho, count_include_pad),
                       avg_divisor(w, kernel[1], stride[1], padding[1], wo, count_include_pad))
    divisor = xp.asarray(divisor.astype(x.dtype))
    source = _padded(x, 0, kernel, stride, padding, (ho, wo))
    out = None
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            view = source[:, :, _window(i, ho, stride[0]), _window(j, wo, stride[1])]
            out = view.copy(order="K") if out is None else xp.add(out, view, out=out)
    out /= divisor
    return out, divisor


def avg_pool2d_backward(grad, divisor, x_shape, kernel, stride, padding):
    """Spread each output's gradient evenly over the elements it averaged."""
    xp = get_array_module(grad)
    n, c, h, w = x_shape
    ho, wo = grad.shape[2:]
    hb, wb = _buffer_size(x_shape, (ho, wo), kernel, stride, padding)
    share = grad / divisor
    buffer = _zeros_channel_major(xp, n, c, hb, wb, grad.dtype)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            buffer[:, :, _window(i, ho, stride[0]), _window(j, wo, stride[1])] += share
    return buffer[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + w]


def global_avg_pool2d_forward(x):
    """(N, C, H, W) → (N, C): the mean of every feature map."""
    return x.mean(axis=(2, 3))


def global_avg_pool2d_backward(grad, x_shape):
    """Each of the H·W pixels of a map gets 1/(H·W) of that map's gradient."""
    xp = get_array_module(grad)
    n, c, h, w = x_shape
    return xp.broadcast_to((grad / (h * w))[:, :, None, None], x_shape)
