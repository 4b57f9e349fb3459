"""minin's storage order for feature maps, and the output-size arithmetic every kernel shares.

Arrays have PyTorch's logical shape (N, C, H, W), but the feature maps minin computes
are stored in the order (C, H, W, N): channels outermost, the batch innermost (the
layout of cuda-convnet, the code AlexNet was trained with). Two things follow:

* a matrix product with one row per output channel *is* such an array, so a
  convolution's output needs no transpose, and a 1×1 convolution reads its input as a
  (C, H·W·N) matrix without copying it: NiN's mlpconv layers are plain matrix products;
* every strided window that im2col, col2im and pooling take over (H, W) still has the
  whole batch, N contiguous numbers, as its innermost axis, so NumPy runs those loops
  over long contiguous rows instead of rows of 13 pixels.

``kernel_layout`` gives the (C, H, W, N) view, copying only when an array arrives in
another layout (an input batch, say); ``from_kernel_layout`` turns such a buffer back
into the logical (N, C, H, W) view. Tutorial chapter 3 starts from the textbook NCHW
version (``conv_simple.py``) and then explains this order.
"""

from ..backend import get_array_module


def output_size(size, kernel, stride, padding, dilation=1):
    """Output length along one axis: floor((size + 2p - d(k-1) - 1) / s) + 1."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def kernel_layout(x):
    """The (C, H, W, N) view of an (N, C, H, W) array, as a contiguous array
    (free for minin's own feature maps, one copy for anything else)."""
    return get_array_module(x).ascontiguousarray(x.transpose(1, 2, 3, 0))


def from_kernel_layout(buffer):
    """The logical (N, C, H, W) view of a (C, H, W, N) buffer."""
    return buffer.transpose(3, 0, 1, 2)


def strided_window(start, count, step):
    """The slice that picks ``count`` positions ``start, start+step, ...``."""
    return slice(start, start + step * (count - 1) + 1, step)
