"""ReLU forward and backward."""

from ..backend import get_array_module


def relu(x):
    """max(x, 0), elementwise; keeps x's dtype and memory layout."""
    return get_array_module(x).maximum(x, 0)


def relu_backward(grad, out):
    """The gradient of relu from its *output*: it passes where the output is positive.

    Using the output rather than the input lets the input be freed after forward.
    """
    return grad * (out > 0)
