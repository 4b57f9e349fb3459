"""The layers NiN is built from, each a thin Module around minin.functional."""

import math
import numbers
from collections import OrderedDict

from .. import backend, functional as F, operators
from .._checks import is_int
from . import functional as nn_functional, init
from .module import Module, Parameter


def _new_weight(*shape):
    xp = backend.xp()
    return Parameter(xp.empty(shape, dtype=xp.float32))


def _check_sizes(layer, **sizes):
    """Positive ints (Python's or NumPy's, as PyTorch takes them), else a ValueError naming each."""
    for name, value in sizes.items():
        if not is_int(value) or value < 1:
            raise ValueError(f"{layer}: {name} must be a positive int, got {value!r}")


class Conv2d(Module):
    """2-D convolution (cross-correlation), as ``torch.nn.Conv2d``.

    Args:
        in_channels, out_channels: C and O.
        kernel_size, stride, padding, dilation: an int or a pair (for height and width);
            padding adds zeros on both sides. padding may also be "valid" (none) or
            "same" (stride 1 only: Ho = H and Wo = W), as in PyTorch.
        bias: whether to learn an (O,) bias.
        algorithm: "im2col", "winograd" (3×3, stride 1 only), "auto", or None for the
            global choice (``F.set_conv_algorithm``).

    Shape:
        (N, C, H, W) → (N, O, Ho, Wo), with
        Ho = floor((H + 2·padding - dilation·(kh - 1) - 1) / stride) + 1, and Wo likewise.

    Weight (O, C, kh, kw) and bias (O,) start as PyTorch's do (``reset_parameters``).

    Example::

        >>> Conv2d(1, 64, kernel_size=5, padding=2)(mn.zeros(8, 1, 28, 28)).shape
        (8, 64, 28, 28)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 bias=True, algorithm=None):
        super().__init__()
        _check_sizes("Conv2d", in_channels=in_channels, out_channels=out_channels)
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        # Checked here, so a bad argument is reported where the layer is built.
        self.kernel_size = F.pair(kernel_size, "Conv2d", "kernel_size", 1)
        self.stride = F.pair(stride, "Conv2d", "stride", 1)
        self.padding = F.named_padding(padding, self.stride, "Conv2d") if isinstance(padding, str) \
            else F.pair(padding, "Conv2d", "padding", 0)
        self.dilation = F.pair(dilation, "Conv2d", "dilation", 1)
        if algorithm is not None and algorithm not in F.CONV_ALGORITHMS:
            raise ValueError(f"Conv2d: algorithm must be one of {', '.join(F.CONV_ALGORITHMS)} or None, "
                             f"got {algorithm!r}")
        self.algorithm = algorithm  # None: F.set_conv_algorithm's global choice
        self.weight = _new_weight(out_channels, in_channels, *self.kernel_size)
        self.register_parameter("bias", _new_weight(out_channels) if bias else None)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: kaiming_uniform_(a=√5) for the weight, which is
        U(±1/√fan_in), and U(±1/√fan_in) for the bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(init.fan_in_and_fan_out(self.weight)[0])
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        algorithm=self.algorithm)

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.bias is None:
            text += ", bias=False"
        if self.algorithm is not None:
            text += f", algorithm={self.algorithm!r}"
        return text


class Linear(Module):
    """A fully connected layer, y = x @ weight.T + bias, as ``torch.nn.Linear``.

    Args:
        in_features, out_features: the sizes of each input and output vector.
        bias: whether to learn an (out_features,) bias.

    Shape:
        (*, in_features) → (*, out_features); weight is (out_features, in_features).

    Example::

        >>> Linear(20, 10)(mn.zeros(4, 20)).shape
        (4, 10)
    """

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        _check_sizes("Linear", in_features=in_features, out_features=out_features)
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.weight = _new_weight(out_features, in_features)
        self.register_parameter("bias", _new_weight(out_features) if bias else None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class ReLU(Module):
    """max(x, 0) elementwise, as ``torch.nn.ReLU``.

    Args:
        inplace: accepted for PyTorch programs; minin always writes a new array (the same
            values; autograd keeps the output, not the input, so nothing is saved by
            overwriting).

    Shape:
        any; the output's shape is the input's.

    Example::

        >>> ReLU()(mn.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = bool(inplace)

    def forward(self, x):
        return F.relu(x)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    """1 / (1 + e ** -x) elementwise, as ``torch.nn.Sigmoid`` (``minin.sigmoid``, which no
    large |x| overflows).

    Shape:
        any; the output's shape is the input's.

    Example::

        >>> Sigmoid()(mn.tensor([0.0, 1000.0]))
        tensor([0.5, 1. ])
    """

    def forward(self, x):
        return operators.sigmoid(x)


class Softplus(Module):
    """log(1 + e ** (beta·x)) / beta elementwise, a smooth ReLU, as ``torch.nn.Softplus``.

    Args:
        beta: the sharpness (default 1).
        threshold: where beta·x exceeds it, the output is x itself (default 20).

    Shape:
        any; the output's shape is the input's.

    Example::

        >>> Softplus()(mn.tensor([0.0, 100.0])).tolist()
        [0.6931471824645996, 100.0]
    """

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        nn_functional.check_softplus_arguments("Softplus", beta, threshold)
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return nn_functional.softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Tanh(Module):
    """The hyperbolic tangent elementwise, as ``torch.nn.Tanh``.

    Shape:
        any; the output's shape is the input's.

    Example::

        >>> Tanh()(mn.tensor([0.0, 1000.0]))
        tensor([0., 1.])
    """

    def forward(self, x):
        return operators.tanh(x)


def _softmax_dim(layer, dim):
    if not is_int(dim):
        raise TypeError(f"{layer}: dim must be an int, the axis the softmax runs along, got {dim!r} "
                        "(PyTorch's implicit choice of dim is deprecated)")
    return int(dim)


class Softmax(Module):
    """exp(x) / sum(exp(x)) along ``dim``, as ``torch.nn.Softmax`` (``minin.softmax``).

    Args:
        dim: the axis whose values sum to 1 (required: PyTorch's implicit choice is deprecated).

    Shape:
        any; the output's shape is the input's.

    Example::

        >>> Softmax(dim=1)(mn.tensor([[0.0, 0.0]]))
        tensor([[0.5, 0.5]])
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = _softmax_dim("Softmax", dim)

    def forward(self, x):
        return operators.softmax(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(x)) along ``dim``, as ``torch.nn.LogSoftmax`` (``minin.log_softmax``);
    with ``NLLLoss`` after it, the same as ``CrossEntropyLoss``.

    Args:
        dim: the axis the softmax runs along (required, as for ``Softmax``).

    Shape:
        any; the output's shape is the input's.

    Example::

        >>> LogSoftmax(dim=1)(mn.tensor([[0.0, 1000.0]]))
        tensor([[-1000., 0.]])
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = _softmax_dim("LogSoftmax", dim)

    def forward(self, x):
        return operators.log_softmax(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class MaxPool2d(Module):
    """The maximum over each kernel_size window of every feature map, as ``torch.nn.MaxPool2d``.

    Args:
        kernel_size: an int or a pair. stride: default kernel_size. padding: -inf on
            both sides, at most half the kernel. dilation and return_indices: PyTorch's,
            only 1 and False. ceil_mode: round the output size up (the last window must
            still start inside the input or the left padding).

    Shape:
        (N, C, H, W) → (N, C, Ho, Wo), with Ho = floor((H + 2·padding - kh) / stride) + 1
        (ceil instead of floor with ceil_mode), and Wo likewise.

    Example::

        >>> MaxPool2d(3, stride=2)(mn.zeros(1, 4, 13, 13)).shape
        (1, 4, 6, 6)
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        if dilation not in (1, (1, 1)) or return_indices:
            raise ValueError("MaxPool2d: only dilation=1 and return_indices=False are supported, got "
                             f"dilation={dilation!r}, return_indices={return_indices!r}")
        self.kernel_size, self.stride, self.padding, self.ceil_mode = kernel_size, stride, padding, ceil_mode
        F.pool_params("MaxPool2d", kernel_size, stride, padding)

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, ceil_mode=self.ceil_mode)

    def extra_repr(self):
        stride = self.kernel_size if self.stride is None else self.stride
        return (f"kernel_size={self.kernel_size}, stride={stride}, padding={self.padding}, "
                f"ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """The mean over each kernel_size window, as ``torch.nn.AvgPool2d``.

    Args:
        kernel_size, stride, padding, ceil_mode: as ``MaxPool2d`` (padding counts zeros).
        count_include_pad: divide by the whole window (True) or only by its part inside
            the input (False).
        divisor_override: a nonzero int to divide by instead (default None).

    Shape:
        (N, C, H, W) → (N, C, Ho, Wo), with Ho as for ``MaxPool2d``.

    Example::

        >>> AvgPool2d(3, stride=2, ceil_mode=True)(mn.zeros(1, 4, 16, 16)).shape
        (1, 4, 8, 8)
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
        F.pool_params("AvgPool2d", kernel_size, stride, padding)
        self.divisor_override = F.divisor_param("AvgPool2d", divisor_override)

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        stride = self.kernel_size if self.stride is None else self.stride
        return f"kernel_size={self.kernel_size}, stride={stride}, padding={self.padding}"


class GlobalAvgPool2d(Module):
    """The mean of each feature map: NiN's replacement for fully connected layers.
    (PyTorch writes it ``nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())``.)

    Shape:
        (N, C, H, W) → (N, C).

    Example::

        >>> GlobalAvgPool2d()(mn.ones(2, 10, 6, 6)).shape
        (2, 10)
    """

    def forward(self, x):
        return F.global_avg_pool2d(x)


class Dropout(Module):
    """Inverted dropout, as ``torch.nn.Dropout``: while training, each element is zeroed
    with probability p and the others are scaled by 1/(1 - p); in eval mode, nothing.

    Args:
        p: the probability of dropping an element, in [0, 1].
        inplace: accepted for PyTorch programs; minin writes a new array.

    Shape:
        any; the output's shape is the input's.

    Example::

        >>> Dropout(0.5).eval()(mn.ones(3))
        tensor([1., 1., 1.])
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        self.inplace = bool(inplace)
        if not isinstance(p, numbers.Real) or not 0 <= p <= 1:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p!r}")
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


class Flatten(Module):
    """Merge the axes start_dim … end_dim into one, as ``torch.nn.Flatten``.

    Args:
        start_dim, end_dim: the first and last axis merged (1 and -1: all but the batch).

    Shape:
        (N, C, H, W) → (N, C·H·W) by default.

    Example::

        >>> Flatten()(mn.zeros(2, 3, 4, 5)).shape, Flatten(0, 1)(mn.zeros(2, 3, 4)).shape
        ((2, 60), (6, 4))
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return F.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Identity(Module):
    """Returns its input unchanged (a placeholder where a layer is switched off).

    Example::

        >>> Identity()(mn.tensor([1.0]))
        tensor([1.])
    """

    def forward(self, x):
        return x


class Sequential(Module):
    """Modules applied one after another, in the order given.

    Children are named "0", "1", … as in PyTorch; ``Sequential(OrderedDict(name=module))``
    keeps the names given (``fuse_conv_relu`` uses that to keep state_dict keys).

    Example::

        >>> net = Sequential(Conv2d(1, 4, 3, padding=1), ReLU(), GlobalAvgPool2d())
        >>> net(mn.zeros(2, 1, 8, 8)).shape
        (2, 4)
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self._add(str(name), module)
            return
        for module in modules:
            self.append(module)

    def _add(self, name, module):
        if not isinstance(module, Module):
            raise TypeError(f"Sequential holds Modules, got {type(module).__name__}")
        setattr(self, name, module)

    def append(self, module):
        self._add(str(len(self._modules)), module)
        return self

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        return modules[index]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x


class ModuleList(Module):
    """A list of modules, registered as children, as ``torch.nn.ModuleList``: their parameters
    are the list's, named "0", "1", … by position in ``state_dict``. It has no ``forward``;
    the module that holds it decides how to call them.

    Args:
        modules: an iterable of modules to start with (default: none).

    Supports ``append``, ``extend``, ``insert``, indexing with an int or a slice (a slice is a
    new ModuleList), assignment and ``del`` at an index, ``len``, iteration and ``+=``.

    Example::

        >>> layers = ModuleList([Linear(4, 4) for _ in range(2)])
        >>> layers.append(ReLU())
        ModuleList(
          (0): Linear(in_features=4, out_features=4, bias=True)
          (1): Linear(in_features=4, out_features=4, bias=True)
          (2): ReLU()
        )
        >>> len(layers), list(layers.state_dict())[:3]
        (3, ['0.weight', '0.bias', '1.weight'])
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    @staticmethod
    def _checked(module):
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList holds Modules, got {type(module).__name__}")
        return module

    def _index(self, index):
        if not is_int(index):
            raise TypeError(f"ModuleList indices must be ints or slices, got {type(index).__name__}")
        if not -len(self) <= index < len(self):
            raise IndexError(f"ModuleList index {index} is out of range for {len(self)} modules")
        return str(int(index) % len(self))

    def _renumber(self, modules):
        for name in list(self._modules):
            delattr(self, name)
        for i, module in enumerate(modules):
            setattr(self, str(i), module)

    def append(self, module):
        setattr(self, str(len(self)), self._checked(module))
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        modules = list(self)
        modules.insert(index, self._checked(module))
        self._renumber(modules)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ModuleList(list(self)[index])
        return self._modules[self._index(index)]

    def __setitem__(self, index, module):
        setattr(self, self._index(index), self._checked(module))

    def __delitem__(self, index):
        modules = list(self)
        del modules[index if isinstance(index, slice) else int(self._index(index))]
        self._renumber(modules)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(list(self._modules.values()))

    def __iadd__(self, modules):
        return self.extend(modules)


__all__ = ["AvgPool2d", "Conv2d", "Dropout", "Flatten", "GlobalAvgPool2d", "Identity", "Linear", "Softplus",
           "LogSoftmax", "MaxPool2d", "ModuleList", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh"]
