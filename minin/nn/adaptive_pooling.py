"""Adaptive pooling layers: pool to a fixed output size, whatever the input size."""

from . import functional as F
from .module import Module


class AdaptiveAvgPool2d(Module):
    """Average pooling to ``output_size``, as ``torch.nn.AdaptiveAvgPool2d``.

    ``AdaptiveAvgPool2d(1)`` is NiN's global average pool with the (N, C, 1, 1) shape
    PyTorch keeps (follow it with ``nn.Flatten()``). Sizes other than (1, 1) must divide
    the input size evenly (then kernel = stride = (H / oh, W / ow)); others raise an error.

    Args:
        output_size: an int or a pair (oh, ow); None in the pair keeps that input size.

    Shape:
        (N, C, H, W) → (N, C, oh, ow), or (C, H, W) → (C, oh, ow).

    Example::

        >>> nn.AdaptiveAvgPool2d((1, 1))(mn.tensor(np.ones((2, 10, 5, 5)))).shape
        (2, 10, 1, 1)
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(Module):
    """Max pooling to ``output_size``, as ``torch.nn.AdaptiveMaxPool2d``.

    oh and ow must divide H and W (kernel = stride = (H / oh, W / ow)); (1, 1), the
    global maximum of each map, always does.

    Args:
        output_size: an int or a pair (oh, ow); None in the pair keeps that input size.
        return_indices: only False (True raises NotImplementedError).

    Shape:
        (N, C, H, W) → (N, C, oh, ow), or (C, H, W) → (C, oh, ow).

    Example::

        >>> nn.AdaptiveMaxPool2d(1)(mn.tensor(np.ones((2, 10, 6, 6)))).shape
        (2, 10, 1, 1)
    """

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        if return_indices:
            raise NotImplementedError("AdaptiveMaxPool2d: return_indices=True is not supported")
        self.output_size = output_size

    def forward(self, x):
        return F.adaptive_max_pool2d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
