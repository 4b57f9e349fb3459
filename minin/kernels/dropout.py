"""Inverted dropout: zero a random fraction p of the units, scale the rest by 1/(1-p),
so the expected value is unchanged and evaluation needs no rescaling."""

from ..backend import get_array_module
from . import parallel


def dropout_mask(x, p, generator):
    """A mask with x's dtype, backend and memory layout: 0 with probability p, else 1/(1-p).

    The uniform numbers are drawn in float32 on x's own backend (on the GPU with CuPy),
    in x's memory order, so that mask and x line up element for element in memory.
    """
    xp = get_array_module(x)
    mask = xp.empty_like(x)
    flat = parallel.flat_view(mask)
    target = flat if flat is not None else mask
    keep = generator.random(target.shape, dtype=xp.float32) >= p
    xp.multiply(keep, 1.0 / (1.0 - p), out=target, dtype=target.dtype)
    return mask


def dropout_forward(x, mask):
    xp = get_array_module(x)
    out = xp.empty_like(x)
    parallel.elementwise(lambda o, a, m: xp.multiply(a, m, out=o), out, x, mask)
    return out


def dropout_backward(grad, mask):
    return dropout_forward(grad, mask)
