"""Inverted dropout: zero a random fraction p of the units, scale the rest by 1/(1-p),
so the expected value is unchanged and evaluation needs no rescaling."""

from ..backend import get_array_module


def dropout_mask(x, p, generator):
    """A mask with x's dtype and backend: 0 with probability p, else 1/(1-p).

    The uniform numbers are drawn in float32 on x's own backend (on the GPU with CuPy).
    """
    xp = get_array_module(x)
    keep = generator.random(x.shape, dtype=xp.float32) >= p
    mask = keep.astype(x.dtype)
    mask *= 1.0 / (1.0 - p)
    return mask


def dropout_forward(x, mask):
    return x * mask


def dropout_backward(grad, mask):
    return grad * mask
