"""The GPU's ReLU backward as one elementwise CUDA kernel (``activation.py`` has the NumPy one)."""

from . import cuda_runtime as rt

# (inputs, outputs, body) of a cupy.ElementwiseKernel; y is relu's *output*
RELU_BACKWARD = ("T grad, T y", "T dx", "dx = y > (T)0 ? grad : (T)0")
ELEMENTWISE = {"relu_backward": RELU_BACKWARD}


def relu_backward(result, grad, y):
    """result = grad where relu's output y is positive, else 0: one pass."""
    rt.elementwise("relu_backward", RELU_BACKWARD)(grad, y, result)
