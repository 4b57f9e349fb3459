"""Differentiable CNN operations on Tensors: ``import minin.functional as F``.

Each operation checks its arguments (so a mistake is reported here, in terms
of the call, not deep inside an array library), then runs a ``Function`` whose
forward and backward call the array kernels in :mod:`minin.kernels`.
Semantics follow ``torch.nn.functional``.
"""

import numbers

import numpy as np

from . import backend
from ._checks import is_int
from .function import Function
from .kernels.layout import output_size
from .kernels import activation, conv, conv_simple, dropout as dropout_kernels, loss, pooling, winograd
from . import operators
from .ops import ReLU
from .operators import log_softmax  # a tensor operation (torch.log_softmax), used here by the losses
from .tensor import Tensor

__all__ = ["avg_pool2d", "conv2d", "conv2d_relu", "conv2d_simple", "get_conv_algorithm", "set_conv_algorithm", "cross_entropy", "dropout", "flatten",
           "global_avg_pool2d", "linear", "log_softmax", "max_pool2d", "pad", "relu"]


# --------------------------------------------------------------------------- checks

def _tensor(x, op, what):
    if isinstance(x, Tensor):
        return x
    if backend.is_array(x):
        return Tensor(x)
    raise TypeError(f"{op}: {what} must be a Tensor, got {type(x).__name__}")


def pair(value, op, name, minimum):
    """An int or a pair of ints, each at least ``minimum``, as a pair (else a clear error)."""
    values = (value, value) if isinstance(value, numbers.Integral) else value
    if (not isinstance(values, (tuple, list)) or len(values) != 2
            or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values)):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(values) < minimum:
        raise ValueError(f"{op}: {name} must be at least {minimum}, got {value!r}")
    return int(values[0]), int(values[1])


def _check_4d(x, op):
    if x.ndim != 4:
        raise ValueError(f"{op} expects a 4-D input (N, C, H, W), got shape {tuple(x.shape)}")


def _checked_bias(bias, op, outputs):
    if bias is None:
        return None
    bias = _tensor(bias, op, "bias")
    if bias.shape != (outputs,):
        raise ValueError(f"{op}: bias must have shape ({outputs},), got {tuple(bias.shape)}")
    return bias


def _check_float(x, op, what):
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{op}: {what} must be floating point, got dtype {x.dtype}")


# --------------------------------------------------------------------------- convolution

class Conv2dFunction(Function):
    """conv2d, with its ReLU when ``relu``, by ``kernels``: kernels/conv.py (im2col and one
    matrix product) or kernels/winograd.py (Winograd's F(2×2, 3×3), which has no stride or
    dilation to take: it runs only where both are 1)."""

    def forward(self, x, weight, bias, stride, padding, dilation, relu=False, kernels=conv):
        self.options = (padding,) if kernels is winograd else (stride, padding, dilation)
        y, saved = kernels.conv2d_forward(x, weight, bias, *self.options, relu)
        self.saved = saved if self.needs_input_grad[1] else None  # what the weight gradient needs
        self.kernels, self.weight, self.x_shape = kernels, weight, x.shape
        self.out = y if relu else None  # where it is positive, ReLU passes the gradient
        return y

    def backward(self, grad):
        if self.out is not None:
            grad = activation.relu_backward(grad, self.out)
        return self.kernels.conv2d_backward(grad, self.saved, self.weight, self.x_shape, *self.options,
                                            *self.needs_input_grad)


CONV_ALGORITHMS = ("auto", "im2col", "winograd")
_conv_algorithm = "auto"


def set_conv_algorithm(name):
    """Choose how convolutions run when their ``algorithm`` is None (the default).

    Args:
        name: "auto" (the default: Winograd where kernels/winograd.py's measurements on the
            CPU say it is faster, else im2col), "im2col", or "winograd" (every layer, which
            must then be 3×3 with stride 1 and dilation 1: others raise ValueError).

    Returns:
        The previous setting, to restore it.

    Example::

        >>> previous = F.set_conv_algorithm("im2col")
        >>> F.get_conv_algorithm(), F.set_conv_algorithm(previous)
        ('im2col', 'im2col')
    """
    global _conv_algorithm
    if name not in CONV_ALGORITHMS:
        raise ValueError(f"conv algorithm must be one of {', '.join(CONV_ALGORITHMS)}, got {name!r}")
    previous, _conv_algorithm = _conv_algorithm, name
    return previous


def get_conv_algorithm():
    """The global convolution algorithm ``set_conv_algorithm`` set: "auto", "im2col" or "winograd".

    Example::

        >>> previous = F.set_conv_algorithm("winograd")
        >>> F.get_conv_algorithm()
        'winograd'
        >>> _ = F.set_conv_algorithm(previous)
    """
    return _conv_algorithm


def _choose_kernels(algorithm, x, weight, stride, padding, dilation, op):
    """kernels/winograd.py where Winograd is asked for (or "auto" prefers it), else kernels/conv.py."""
    algorithm = _conv_algorithm if algorithm is None else algorithm
    if algorithm == "auto":  # measured on the CPU only: the GPU keeps im2col until measured there
        chosen = x.backend == "numpy" and winograd.prefers_winograd(x.shape, weight.shape, stride,
                                                                    padding, dilation)
        return winograd if chosen else conv
    if algorithm == "winograd" and winograd.applies(weight.shape, stride, dilation):
        return winograd
    if algorithm == "im2col":
        return conv
    raise _algorithm_error(algorithm, weight, stride, dilation, op)


def _algorithm_error(algorithm, weight, stride, dilation, op):
    if algorithm not in CONV_ALGORITHMS:
        return ValueError(f"{op}: algorithm must be one of {', '.join(CONV_ALGORITHMS)} or None, "
                          f"got {algorithm!r}")
    return ValueError(f"{op}: algorithm='winograd' needs a 3×3 kernel with stride 1 and dilation 1, "
                      f"got a {weight.shape[2]}×{weight.shape[3]} kernel, stride {stride}, "
                      f"dilation {dilation}")


def _conv_arguments(x, weight, bias, stride, padding, dilation, op):
    """The arguments of a convolution, checked, with stride, padding and dilation as pairs."""
    x, weight = _tensor(x, op, "input"), _tensor(weight, op, "weight")
    _check_4d(x, op)
    _check_float(x, op, "input")
    if weight.ndim != 4 or weight.dtype != x.dtype or weight.shape[1] != x.shape[1]:
        raise _weight_error(x, weight, op)
    stride, dilation = pair(stride, op, "stride", 1), pair(dilation, op, "dilation", 1)
    if isinstance(padding, str):
        x, padding = _named_padding(x, named_padding(padding, stride, op), weight.shape[2:], dilation)
    else:
        padding = pair(padding, op, "padding", 0)
    if min(output_size(x.shape[2 + a], weight.shape[2 + a], stride[a], padding[a], dilation[a])
           for a in (0, 1)) < 1:
        raise _kernel_size_error(x, weight, padding, dilation, op)
    return x, weight, _checked_bias(bias, op, weight.shape[0]), stride, padding, dilation


def named_padding(padding, stride, op):
    """A convolution's padding given by name, checked: PyTorch's "valid" or "same" (stride 1 only)."""
    if padding not in ("same", "valid"):
        raise ValueError(f"{op}: padding must be an int, a pair of ints, 'same' or 'valid', got {padding!r}")
    if padding == "same" and stride != (1, 1):
        raise ValueError(f"{op}: padding='same' needs stride 1 (as in PyTorch), got stride {stride}")
    return padding


def _named_padding(x, name, kernel, dilation):
    """x and the padding pair for "valid" (none) or "same" (the output as large as the input).
    "same" splits the padding evenly; an odd total puts its extra row or column at the bottom
    or right, as PyTorch does, which the kernels' symmetric padding cannot, so x is padded."""
    if name == "valid":
        return x, (0, 0)
    total = [dilation[a] * (kernel[a] - 1) for a in (0, 1)]
    if total[0] % 2 or total[1] % 2:
        x = pad(x, (0, total[1] % 2, 0, total[0] % 2))
    return x, (total[0] // 2, total[1] // 2)


def _weight_error(x, weight, op):
    if weight.ndim != 4:
        return ValueError(f"{op} expects a 4-D weight (O, C, kh, kw), got shape {tuple(weight.shape)}")
    if weight.dtype != x.dtype:
        return TypeError(f"{op}: input is {x.dtype} but weight is {weight.dtype}")
    return ValueError(f"{op}: input has {x.shape[1]} channels but the weight expects "
                      f"{weight.shape[1]} (weight shape {tuple(weight.shape)})")


def _kernel_size_error(x, weight, padding, dilation, op):
    kernel = weight.shape[2:]
    padded = tuple(x.shape[2 + a] + 2 * padding[a] for a in (0, 1))
    extent = tuple(dilation[a] * (kernel[a] - 1) + 1 for a in (0, 1))
    return ValueError(f"{op}: the kernel ({kernel[0]}×{kernel[1]}, {extent[0]}×{extent[1]} "
                      f"with dilation) is larger than the padded input ({padded[0]}×{padded[1]})")


def _conv2d(x, weight, bias, stride, padding, dilation, relu, algorithm, op):
    x, weight, bias, stride, padding, dilation = _conv_arguments(x, weight, bias, stride, padding,
                                                                 dilation, op)
    kernels = _choose_kernels(algorithm, x, weight, stride, padding, dilation, op)
    return Conv2dFunction.apply(x, weight, bias, stride=stride, padding=padding, dilation=dilation,
                                relu=relu, kernels=kernels)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, *, algorithm=None):
    """2-D convolution (cross-correlation), as ``torch.nn.functional.conv2d``.

    Args:
        x: the input, (N, C, H, W), floating point.
        weight: (O, C, kh, kw), of x's dtype.
        bias: (O,) or None (the default).
        stride, padding, dilation: each an int or a pair (defaults 1, 0, 1); padding may also
            be "valid" (none) or "same" (keeps H and W; stride 1 only), as in PyTorch.
        algorithm: "im2col", "winograd" (3×3, stride 1), "auto", or None for the global
            setting (``set_conv_algorithm``, "auto" by default).

    Shape:
        (N, C, H, W) → (N, O, Ho, Wo), with
        Ho = floor((H + 2·padding - dilation·(kh - 1) - 1) / stride) + 1, and Wo likewise.

    Example::

        >>> F.conv2d(mn.zeros(2, 3, 28, 28), mn.zeros(8, 3, 5, 5), padding=2).shape
        (2, 8, 28, 28)
    """
    return _conv2d(x, weight, bias, stride, padding, dilation, False, algorithm, "conv2d")


def conv2d_relu(x, weight, bias=None, stride=1, padding=0, dilation=1, *, algorithm=None):
    """``relu(conv2d(x, weight, bias, ...))`` as one operation.

    On the GPU the bias and the ReLU are one pass over the output (cuDNN fuses them the same
    way), and the convolution's output before the ReLU is never kept. Values and gradients
    are those of ``conv2d`` followed by ``relu``.

    Args:
        x, weight, bias, stride, padding, dilation, algorithm: as ``conv2d``.

    Shape:
        as ``conv2d``.

    Example::

        >>> w = mn.ones(2, 1, 3, 3)
        >>> F.conv2d_relu(-mn.ones(1, 1, 4, 4), w).tolist()   # every sum is -9, so 0
        [[[[0.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]]]
    """
    return _conv2d(x, weight, bias, stride, padding, dilation, True, algorithm, "conv2d_relu")


class Conv2dSimpleFunction(Function):
    """The textbook convolution (kernels/conv_simple.py): NCHW im2col and one product."""

    def forward(self, x, weight, bias, stride, padding):
        self.x, self.weight, self.options = x, weight, (stride, padding)
        return conv_simple.conv2d_simple(x, weight, bias, stride, padding)

    def backward(self, grad):
        grad_x, grad_weight, grad_bias = conv_simple.conv2d_simple_backward(grad, self.x, self.weight,
                                                                            *self.options)
        return grad_x, grad_weight, grad_bias if self.needs_input_grad[2] else None


def conv2d_simple(x, weight, bias=None, stride=1, padding=0):
    """``conv2d`` (without dilation) in a screen of textbook code, to read and step through.

    im2col in NCHW order, then one matrix product. Values and gradients as ``conv2d``, which
    runs the same idea in minin's (C, H, W, N) order.

    Args:
        x, weight, bias, stride, padding: as ``conv2d``.

    Shape:
        as ``conv2d``.

    Example::

        >>> x, w = mn.randn(2, 3, 5, 5), mn.randn(4, 3, 3, 3)
        >>> F.conv2d_simple(x, w, padding=1).shape
        (2, 4, 5, 5)
    """
    x, weight, bias, stride, padding, _ = _conv_arguments(x, weight, bias, stride, padding, 1,
                                                          "conv2d_simple")
    return Conv2dSimpleFunction.apply(x, weight, bias, stride=stride, padding=padding)


# --------------------------------------------------------------------------- activations

def relu(x):
    """max(x, 0) elementwise, as ``torch.nn.functional.relu``.

    The gradient passes where the output is positive.

    Args:
        x: the input tensor, any shape (the output has its shape).

    Example::

        >>> F.relu(mn.tensor([-2.0, 0.0, 3.0]))
        tensor([0., 0., 3.])
    """
    return ReLU.apply(_tensor(x, "relu", "input"))


# --------------------------------------------------------------------------- pooling

def pool_params(op, kernel_size, stride, padding):
    """Checked (kernel, stride, padding) pairs; stride None means the kernel size."""
    kernel = pair(kernel_size, op, "kernel_size", 1)
    stride = kernel if stride is None else pair(stride, op, "stride", 1)
    padding = pair(padding, op, "padding", 0)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{op}: padding {padding} must be at most half the kernel size {kernel}")
    return kernel, stride, padding


def divisor_param(op, divisor_override):
    """avg_pool2d's divisor_override, checked: None or a nonzero int."""
    if divisor_override is not None and (not is_int(divisor_override) or divisor_override == 0):
        raise ValueError(f"{op}: divisor_override must be a nonzero int or None, got {divisor_override!r}")
    return divisor_override


def _pool_options(op, x, kernel_size, stride, padding, ceil_mode):
    _check_4d(x, op)
    kernel, stride, padding = pool_params(op, kernel_size, stride, padding)
    out = tuple(pooling.pool_output_size(x.shape[2 + a], kernel[a], stride[a], padding[a], ceil_mode)
                for a in (0, 1))
    if min(out) < 1:
        raise ValueError(f"{op}: a {kernel[0]}×{kernel[1]} window does not fit the input "
                         f"{x.shape[2]}×{x.shape[3]} with padding {padding}")
    return kernel, stride, padding


class MaxPool2dFunction(Function):
    def forward(self, x, kernel, stride, padding, ceil_mode):
        out, self.argmax = pooling.max_pool2d_forward(x, kernel, stride, padding, ceil_mode)
        self.x_shape, self.options = x.shape, (kernel, stride, padding)
        return out

    def backward(self, grad):
        return pooling.max_pool2d_backward(grad, self.argmax, self.x_shape, *self.options)


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """The maximum of each kernel_size window, as ``torch.nn.functional.max_pool2d``.

    Args:
        x: the input, (N, C, H, W), floating point.
        kernel_size, stride, padding: each an int or a pair; stride defaults to kernel_size;
            padding (default 0) counts as -inf and is at most half the kernel.
        dilation: PyTorch's fifth argument; must be 1.
        ceil_mode: round the output size up (default False).

    Shape:
        (N, C, H, W) → (N, C, Ho, Wo), with Ho = floor((H + 2·padding - kh) / stride) + 1
        (ceil with ceil_mode, the last window starting inside the input or its left
        padding), and Wo likewise.

    Example::

        >>> F.max_pool2d(mn.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
        [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    x = _tensor(x, "max_pool2d", "input")
    _check_float(x, "max_pool2d", "input")
    if dilation != 1 and dilation != (1, 1):
        raise ValueError(f"max_pool2d: only dilation 1 is supported, got {dilation!r}")
    kernel, stride, padding = _pool_options("max_pool2d", x, kernel_size, stride, padding, ceil_mode)
    return MaxPool2dFunction.apply(x, kernel=kernel, stride=stride, padding=padding, ceil_mode=bool(ceil_mode))


class AvgPool2dFunction(Function):
    def forward(self, x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
        out, self.divisor = pooling.avg_pool2d_forward(x, kernel, stride, padding, ceil_mode,
                                                       count_include_pad, divisor_override)
        self.x_shape, self.options = x.shape, (kernel, stride, padding)
        return out

    def backward(self, grad):
        return pooling.avg_pool2d_backward(grad, self.divisor, self.x_shape, *self.options)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean of each kernel_size window, as ``torch.nn.functional.avg_pool2d``.

    Args:
        x, kernel_size, stride, padding, ceil_mode: as ``max_pool2d``, except that padding
            counts as zeros.
        count_include_pad: divide by the whole window (True, the default) or by its part
            inside the input (False).
        divisor_override: a nonzero int to divide by instead (default None).

    Shape:
        as ``max_pool2d``.

    Example::

        >>> F.avg_pool2d(mn.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
        [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    x = _tensor(x, "avg_pool2d", "input")
    _check_float(x, "avg_pool2d", "input")
    kernel, stride, padding = _pool_options("avg_pool2d", x, kernel_size, stride, padding, ceil_mode)
    return AvgPool2dFunction.apply(x, kernel=kernel, stride=stride, padding=padding,
                                   ceil_mode=bool(ceil_mode), count_include_pad=bool(count_include_pad),
                                   divisor_override=divisor_param("avg_pool2d", divisor_override))


class GlobalAvgPool2dFunction(Function):
    def forward(self, x):
        self.x_shape = x.shape
        return pooling.global_avg_pool2d_forward(x)

    def backward(self, grad):
        return pooling.global_avg_pool2d_backward(grad, self.x_shape)


def global_avg_pool2d(x):
    """The mean of each feature map, with no parameters.

    Args:
        x: the input, (N, C, H, W), floating point.

    Shape:
        (N, C, H, W) → (N, C).

    Example::

        >>> F.global_avg_pool2d(mn.arange(8.0).reshape(1, 2, 2, 2)).tolist()
        [[1.5, 5.5]]
    """
    x = _tensor(x, "global_avg_pool2d", "input")
    _check_4d(x, "global_avg_pool2d")
    _check_float(x, "global_avg_pool2d", "input")
    return GlobalAvgPool2dFunction.apply(x)


# --------------------------------------------------------------------------- dropout

class DropoutFunction(Function):
    def forward(self, x, mask):
        self.mask = mask
        return dropout_kernels.dropout_forward(x, mask)

    def backward(self, grad):
        return dropout_kernels.dropout_backward(grad, self.mask), None


def dropout(x, p=0.5, training=True):
    """Inverted dropout, as ``torch.nn.functional.dropout``.

    While ``training``, each element is zeroed with probability p and the rest are scaled
    by 1/(1-p), so the expected value is unchanged; otherwise x is returned. The mask is
    drawn from minin's seeded generator.

    Args:
        x: the input tensor, any shape (the output has its shape).
        p: the probability of zeroing an element, in [0, 1] (default 0.5).
        training: whether to drop (default True); False returns x.

    Example::

        >>> y = F.dropout(mn.ones(1000), p=0.5)
        >>> sorted(set(y.tolist())), 400 < int((y > 0).sum()) < 600
        ([0.0, 2.0], True)
    """
    x = _tensor(x, "dropout", "input")
    if not isinstance(p, numbers.Real) or not 0 <= p <= 1:
        raise ValueError(f"dropout: p must be in [0, 1], got {p!r}")
    if not training or p == 0:
        return x
    if p == 1:  # every element dropped; x * 0, as PyTorch, so a NaN stays NaN
        return x * 0
    mask = dropout_kernels.dropout_mask(x.data, float(p), backend.generator(x.backend))
    return DropoutFunction.apply(x, mask)


# --------------------------------------------------------------------------- dense layers

class LinearFunction(Function):
    def forward(self, x, weight, bias):
        self.x, self.weight = x, weight
        y = x @ weight.T
        if bias is not None:
            y += bias
        return y

    def backward(self, grad):
        need_x, need_weight, need_bias = self.needs_input_grad
        features_out, features_in = self.weight.shape
        grad_x = grad @ self.weight if need_x else None
        grad_weight = (grad.reshape(-1, features_out).T @ self.x.reshape(-1, features_in)
                       if need_weight else None)
        grad_bias = grad.reshape(-1, features_out).sum(axis=0) if need_bias else None
        return grad_x, grad_weight, grad_bias


def linear(x, weight, bias=None):
    """x @ weight.T + bias, as ``torch.nn.functional.linear``.

    Args:
        x: the input, (*, in_features), floating point.
        weight: (out_features, in_features), of x's dtype.
        bias: (out_features,) or None (the default).

    Shape:
        (*, in_features) → (*, out_features).

    Example::

        >>> F.linear(mn.ones(2, 3), mn.ones(4, 3), mn.zeros(4)).tolist()
        [[3.0, 3.0, 3.0, 3.0], [3.0, 3.0, 3.0, 3.0]]
    """
    x, weight = _tensor(x, "linear", "input"), _tensor(weight, "linear", "weight")
    if weight.ndim != 2:
        raise ValueError(f"linear expects a 2-D weight (out, in), got shape {tuple(weight.shape)}")
    _check_float(x, "linear", "input")
    if x.dtype != weight.dtype:
        raise TypeError(f"linear: input is {x.dtype} but weight is {weight.dtype}")
    if x.ndim < 1 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input has {x.shape[-1] if x.ndim else 0} features but the "
                         f"weight expects {weight.shape[1]} (weight shape {tuple(weight.shape)})")
    bias = _checked_bias(bias, "linear", weight.shape[0])
    return LinearFunction.apply(x, weight, bias)


class PadFunction(Function):
    def forward(self, x, widths, value):
        shape = tuple(n + before + after for n, (before, after) in zip(x.shape, widths))
        out = backend.get_array_module(x).full(shape, value, dtype=x.dtype)
        self.x_shape, (self.kept, self.placed) = x.shape, _kept_and_placed(x.shape, widths)
        out[self.placed] = x[self.kept]
        return out

    def backward(self, grad):
        grad_x = backend.get_array_module(grad).zeros(self.x_shape, dtype=grad.dtype)
        grad_x[self.kept] = grad[self.placed]
        return grad_x


def _kept_and_placed(shape, widths):
    """The part of x a padding keeps (a negative width crops) and where it lands in the output."""
    kept = tuple(slice(max(0, -before), n - max(0, -after)) for n, (before, after) in zip(shape, widths))
    placed = tuple(slice(max(0, before), max(0, before) + k.stop - k.start)
                   for k, (before, _) in zip(kept, widths))
    return kept, placed


def pad(x, pad, mode="constant", value=None):
    """Pad x with ``value``, as ``torch.nn.functional.pad`` in its "constant" mode.

    Args:
        x: the input tensor.
        pad: (left, right) for the last axis, then (top, bottom) for the one before it, and
            so on: two ints per padded axis, read from the last axis backwards; a negative
            int crops instead.
        mode: "constant" (the only one here).
        value: the number to pad with (default None: 0).

    Shape:
        every padded axis grows by its two widths; the others stay.

    Example::

        >>> F.pad(mn.ones(1, 1, 2, 2), (1, 1, 0, 1)).tolist()
        [[[[0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]]
    """
    x = _tensor(x, "pad", "input")
    if mode != "constant":
        raise NotImplementedError(f"pad: only mode='constant' is supported, got mode={mode!r}")
    if (not isinstance(pad, (tuple, list)) or len(pad) % 2
            or not all(is_int(p) for p in pad)):
        raise TypeError(f"pad: pad must be a tuple of ints, two per padded axis, got {pad!r}")
    if len(pad) > 2 * x.ndim:
        raise ValueError(f"pad: {len(pad)} widths pad {len(pad) // 2} axes, but the input has "
                         f"{x.ndim} (shape {tuple(x.shape)})")
    widths = [(0, 0)] * (x.ndim - len(pad) // 2) + [(int(pad[i]), int(pad[i + 1]))
                                                    for i in range(len(pad) - 2, -1, -2)]
    for axis, (n, (before, after)) in enumerate(zip(x.shape, widths)):
        if n + min(before, 0) + min(after, 0) < 0:
            raise ValueError(f"pad: widths ({before}, {after}) crop more than the {n} elements of "
                             f"axis {axis} (input shape {tuple(x.shape)})")
    return PadFunction.apply(x, widths=widths, value=0 if value is None else value)


def flatten(x, start_dim=1, end_dim=-1):
    """``nn.Flatten``'s operation: merge the axes start_dim … end_dim into one.

    ``minin.flatten`` is ``torch.flatten``, the same with start_dim=0.

    Args:
        x: the input tensor.
        start_dim, end_dim: the first and last axis merged (default 1 and -1: all but the
            batch axis).

    Shape:
        (N, C, H, W) → (N, C·H·W) by default.

    Example::

        >>> F.flatten(mn.zeros(2, 3, 4, 5)).shape, F.flatten(mn.zeros(2, 3, 4), 0, 1).shape
        ((2, 60), (6, 4))
    """
    return operators.flatten(_tensor(x, "flatten", "input"), start_dim, end_dim)


# --------------------------------------------------------------------------- losses

class CrossEntropyFunction(Function):
    def forward(self, logits, target, reduction):
        out, self.log_probs = loss.cross_entropy(logits, target, reduction)
        self.target, self.reduction = target, reduction
        return out

    def backward(self, grad):
        return loss.cross_entropy_backward(grad, self.log_probs, self.target, self.reduction), None


def cross_entropy(logits, target, reduction="mean"):
    """Softmax cross-entropy of (N, K) logits against N integer class labels.

    As ``torch.nn.functional.cross_entropy`` without its weight, ignore_index and
    label_smoothing, which ``minin.nn.functional.cross_entropy`` adds. On NumPy every
    label is checked to lie in [0, K); on CuPy that check would cost a device sync per
    step, so an out-of-range label shows up as a NaN loss instead.

    Args:
        logits: (N, K) floats.
        target: (N,) integer labels in [0, K): a NumPy or CuPy integer array, or an
            integer tensor.
        reduction: "mean" (default), "sum" or "none".

    Shape:
        logits (N, K), target (N,) → 0-d, or (N,) with reduction="none".

    Example::

        >>> round(F.cross_entropy(mn.zeros(2, 10), np.array([3, 7])).item(), 4)   # ln 10
        2.3026
    """
    logits = _tensor(logits, "cross_entropy", "logits")
    _check_float(logits, "cross_entropy", "logits")
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy expects logits of shape (N, K), got {tuple(logits.shape)}")
    labels = target.data if isinstance(target, Tensor) else target
    if isinstance(labels, (list, tuple)):
        labels = np.asarray(labels)
    if not hasattr(labels, "dtype") or not np.issubdtype(labels.dtype, np.integer):
        kind = getattr(labels, "dtype", type(labels).__name__)
        raise TypeError(f"cross_entropy: target must hold integer class labels, got {kind}")
    n, k = logits.shape
    if k == 0:
        raise ValueError("cross_entropy needs at least one class: the logits have shape "
                         f"{tuple(logits.shape)}")
    if labels.shape != (n,):
        raise ValueError(f"cross_entropy: target must have shape ({n},) to match the logits, "
                         f"got {tuple(labels.shape)}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"cross_entropy: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    if backend.name_of(labels) == "numpy":
        if n and (labels.min() < 0 or labels.max() >= k):
            bad = labels[(labels < 0) | (labels >= k)][0]
            raise ValueError(f"cross_entropy: label {bad} is outside [0, {k}) for {k} classes")
        labels = backend.to_backend(labels, logits.backend)
    return CrossEntropyFunction.apply(logits, labels, reduction=reduction)
