"""ReLU forward and backward."""

import numpy as np

from ..backend import get_array_module
from . import parallel


def relu(x):
    """max(x, 0), elementwise; keeps x's dtype and memory layout."""
    xp = get_array_module(x)
    out = xp.empty_like(x)  # keeps x's memory layout
    parallel.elementwise(lambda o, a: xp.maximum(a, 0, out=o), out, x)
    return out


def relu_backward(grad, out):
    """The gradient of relu from its *output*: it passes where the output is positive.

    Using the output rather than the input lets the input be freed after forward.
    """
    xp = get_array_module(grad)
    result = xp.empty_like(out)
    if xp is np:
        parallel.elementwise(lambda r, g, y: np.multiply(g, y > 0, out=r), result, grad, out)
    else:
        from . import cuda
        parallel.elementwise(cuda.relu_backward, result, grad, out)
    return result
