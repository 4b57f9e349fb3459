"""A convolution and its ReLU as one layer, and the function that makes a model use it.

``Conv2d`` followed by ``ReLU`` computes the convolution's output, stores it, then reads
it again for the ReLU. ``Conv2dReLU`` calls ``F.conv2d_relu`` instead: on the GPU the bias
and the ReLU are one pass over the output (as cuDNN fuses them), and the output before
the ReLU is never kept. Values and gradients are the same bit for bit.

The fusion is explicit: ``nin()`` builds Conv2d and ReLU layers, as the paper draws
them, and ``fuse_conv_relu(model)`` returns the fast model, which prints (and steps
through in a debugger) as the layers it runs.
"""

import copy
from collections import OrderedDict

from .. import functional as F
from .layers import Conv2d, ReLU, Sequential
from .module import Module


class Conv2dReLU(Conv2d):
    """``relu(conv2d(x))`` as one layer; parameters as ``Conv2d``.

    Args:
        in_channels, out_channels, kernel_size, stride, padding, dilation, bias, algorithm:
            as ``Conv2d``.

    Shape:
        as ``Conv2d``.

    Example::

        >>> layer = Conv2dReLU(1, 4, kernel_size=3, padding=1)
        >>> layer(mn.zeros(2, 1, 8, 8)).shape        # (N, O, Ho, Wo), as Conv2d
        (2, 4, 8, 8)
    """

    def forward(self, x):
        return F.conv2d_relu(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                             algorithm=self.algorithm)

    @classmethod
    def from_conv(cls, conv):
        """A Conv2dReLU that shares ``conv``'s weight and bias (no copy)."""
        fused = cls.__new__(cls)
        Module.__init__(fused)
        for name in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "algorithm"):
            setattr(fused, name, getattr(conv, name))
        fused.weight = conv.weight
        fused.register_parameter("bias", conv.bias)
        return fused


def fuse_conv_relu(model):
    """A new model in which every ``Conv2d`` directly followed by a ``ReLU`` is one ``Conv2dReLU``.

    Only pairs inside a ``Sequential`` are fused (at any depth). Parameters, and the layers
    that are not fused, are shared with ``model`` (not copied); parameters keep their
    state_dict names and the ReLU's slot is dropped. Layers with forward hooks, and
    subclasses of Conv2d and ReLU, are left as they are: fusing them would skip code
    someone put there on purpose.

    Args:
        model: the Module to fuse; it is not changed.

    Example::

        >>> net = fuse_conv_relu(Sequential(Conv2d(1, 4, 3), ReLU(), Conv2d(4, 2, 1)))
        >>> [type(m).__name__ for m in net]
        ['Conv2dReLU', 'Conv2d']
        >>> list(net.state_dict())
        ['0.weight', '0.bias', '2.weight', '2.bias']
    """
    if not isinstance(model, Module):
        raise TypeError(f"fuse_conv_relu takes a Module, got {type(model).__name__}")
    if not model._modules:
        return model
    if not isinstance(model, Sequential):
        return _with_fused_children(model)
    items = list(model._modules.items())
    fused, k = [], 0
    while k < len(items):
        name, module = items[k]
        if k + 1 < len(items) and _fusable(module, items[k + 1][1]):
            fused.append((name, Conv2dReLU.from_conv(module)))
            k += 2
        else:
            fused.append((name, fuse_conv_relu(module)))
            k += 1
    result = Sequential(OrderedDict(fused))
    object.__setattr__(result, "training", model.training)
    return result


def _with_fused_children(module):
    """A shallow copy of a custom Module (its own forward decides what runs) whose
    children are fused."""
    new = copy.copy(module)
    for field in ("_parameters", "_modules", "_buffers", "_forward_hooks"):
        object.__setattr__(new, field, OrderedDict(getattr(module, field)))
    for name, child in module._modules.items():
        new._modules[name] = fuse_conv_relu(child)
        object.__setattr__(new, name, new._modules[name])
    return new


def _fusable(module, following):
    return (type(module) is Conv2d and type(following) is ReLU
            and not module._forward_hooks and not following._forward_hooks)
