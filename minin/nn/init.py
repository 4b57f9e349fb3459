"""Weight initialisation, as ``torch.nn.init``: each function fills a tensor in place.

Random values come from minin's seeded generator on the tensor's own backend.
"""

import math
import numbers

import numpy as np

from .. import backend
from ..function import no_grad


_LINEAR = ("linear", "identity", "sigmoid", "conv1d", "conv2d", "conv3d",
           "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def calculate_gain(nonlinearity, param=None):
    """The factor that keeps activations' variance steady through a nonlinearity (PyTorch's)."""
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4
    if nonlinearity == "leaky_relu":
        if param is not None and (not isinstance(param, numbers.Real) or isinstance(param, bool)):
            raise ValueError(f"leaky_relu's negative slope must be a number, got {param!r}")
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(f"unknown nonlinearity {nonlinearity!r}")


def fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight: in·k·k and out·k·k for a conv, in and out for a linear."""
    if tensor.ndim < 2:
        raise ValueError(f"fan in and fan out need a tensor with at least 2 dimensions, "
                         f"got shape {tuple(tensor.shape)}")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fill(tensor, values):
    with no_grad():
        tensor.data[...] = values  # in place: every view of the tensor sees the new values
    return tensor


def _random_fill(tensor, name):
    if not np.issubdtype(tensor.dtype, np.floating):
        raise TypeError(f"{name} fills floating-point tensors, got dtype {tensor.dtype}")
    return backend.generator(tensor.backend), backend.get_array_module(tensor.data)


def uniform_(tensor, a=0.0, b=1.0):
    if not a <= b:
        raise ValueError(f"uniform_ expects a <= b, got a={a!r}, b={b!r}")
    gen, xp = _random_fill(tensor, "uniform_")
    return _fill(tensor, a + (b - a) * gen.random(tensor.shape, dtype=xp.float32))


def normal_(tensor, mean=0.0, std=1.0):
    if not std >= 0:
        raise ValueError(f"normal_ expects std >= 0, got {std!r}")
    gen, xp = _random_fill(tensor, "normal_")
    return _fill(tensor, mean + std * gen.standard_normal(tensor.shape, dtype=xp.float32))


def constant_(tensor, value):
    xp = backend.get_array_module(tensor.data)
    return _fill(tensor, xp.full(tensor.shape, value, dtype=tensor.dtype))


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def _fan(tensor, mode):
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    return fan_in if mode == "fan_in" else fan_out


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """He et al. (2015), uniform: U(-b, b) with b = gain·sqrt(3 / fan)."""
    if tensor.numel() == 0:
        return tensor  # nothing to fill (and a fan of 0), as in PyTorch
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(tensor, mode))
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """He et al. (2015), normal: N(0, std²) with std = gain / sqrt(fan)."""
    if tensor.numel() == 0:
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std)


def xavier_uniform_(tensor, gain=1.0):
    """Glorot & Bengio (2010): U(-b, b) with b = gain·sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))
