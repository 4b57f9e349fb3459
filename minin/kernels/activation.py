"""ReLU forward and backward."""

import numpy as np

from ..backend import get_array_module, on_gpu
from . import activation_cuda, parallel


def relu(x):
    """max(x, 0), elementwise; keeps x's dtype and memory layout."""
    xp = get_array_module(x)
    out = xp.empty_like(x)  # keeps x's memory layout
    parallel.elementwise(lambda o, a: xp.maximum(a, 0, out=o), out, x)
    return out


def relu_backward(grad, y):
    """The gradient of relu from its *output* y: it passes where y is positive.

    Using the output rather than the input lets the input be freed after forward.
    """
    result = get_array_module(grad).empty_like(y)
    kernel = activation_cuda.relu_backward if on_gpu(grad) else _relu_backward_cpu
    parallel.elementwise(kernel, result, grad, y)  # kernel(result, grad, y), block by block
    return result


def _relu_backward_cpu(result, grad, y):
    np.multiply(grad, y > 0, out=result)
