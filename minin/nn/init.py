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
    """The gain that keeps activations' variance steady through a nonlinearity, as
    ``torch.nn.init.calculate_gain``.

    ======================================  ======================
    nonlinearity                            gain
    ======================================  ======================
    linear, identity, sigmoid               1
    conv{1,2,3}d, conv_transpose{1,2,3}d    1
    tanh                                    5/3
    relu                                    sqrt(2)
    leaky_relu                              sqrt(2 / (1 + slope²))
    selu                                    3/4
    ======================================  ======================

    Args:
        nonlinearity: the name of the function, as in the table; another name raises
            ValueError.
        param: leaky_relu's negative slope (default None, meaning 0.01); ignored otherwise.

    Returns:
        the gain, a float.

    Example::

        >>> nn.init.calculate_gain('relu')
        1.4142135623730951
        >>> round(nn.init.calculate_gain('leaky_relu', 0.2), 4)
        1.3868
    """
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
    """The fan in and fan out of a weight, as PyTorch's ``_calculate_fan_in_and_fan_out``.

    For a weight of shape (out, in, *kernel), fan_in = in·prod(kernel) and
    fan_out = out·prod(kernel); a linear (out, in) weight gives (in, out).

    Args:
        tensor: a weight with at least 2 dimensions (ValueError otherwise).

    Returns:
        the pair (fan_in, fan_out) of ints.

    Example::

        >>> nn.init.fan_in_and_fan_out(mn.empty(64, 3, 5, 5))
        (75, 1600)
        >>> nn.init.fan_in_and_fan_out(mn.empty(10, 784))
        (784, 10)
    """
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
    """Fill ``tensor`` in place from the uniform distribution U(a, b), as
    ``torch.nn.init.uniform_``.

    Args:
        tensor: a floating-point tensor (TypeError otherwise).
        a: the lower bound (default 0).
        b: the upper bound (default 1); ``a <= b`` is required.

    Returns:
        ``tensor``, filled in place.

    Example::

        >>> mn.manual_seed(0)
        >>> w = nn.init.uniform_(mn.empty(3, 4), -0.1, 0.1)
        >>> bool(np.abs(w.numpy()).max() <= 0.1), w.shape
        (True, (3, 4))
    """
    if not a <= b:
        raise ValueError(f"uniform_ expects a <= b, got a={a!r}, b={b!r}")
    gen, xp = _random_fill(tensor, "uniform_")
    return _fill(tensor, a + (b - a) * gen.random(tensor.shape, dtype=xp.float32))


def normal_(tensor, mean=0.0, std=1.0):
    """Fill ``tensor`` in place from the normal distribution N(mean, std²), as
    ``torch.nn.init.normal_``.

    Args:
        tensor: a floating-point tensor (TypeError otherwise).
        mean: the mean (default 0).
        std: the standard deviation (default 1), at least 0.

    Returns:
        ``tensor``, filled in place.

    Example::

        >>> mn.manual_seed(0)
        >>> w = nn.init.normal_(mn.empty(100, 100), mean=3.0, std=0.01)
        >>> round(float(w.numpy().mean()), 2)
        3.0
    """
    if not std >= 0:
        raise ValueError(f"normal_ expects std >= 0, got {std!r}")
    gen, xp = _random_fill(tensor, "normal_")
    return _fill(tensor, mean + std * gen.standard_normal(tensor.shape, dtype=xp.float32))


def constant_(tensor, value):
    """Fill ``tensor`` in place with ``value``, as ``torch.nn.init.constant_``.

    Args:
        tensor: the tensor to fill.
        value: the number written to every element (cast to the tensor's dtype).

    Returns:
        ``tensor``, filled in place.

    Example::

        >>> nn.init.constant_(mn.empty(2, 3), 0.5)
        tensor([[0.5, 0.5, 0.5],
                [0.5, 0.5, 0.5]])
    """
    xp = backend.get_array_module(tensor.data)
    return _fill(tensor, xp.full(tensor.shape, value, dtype=tensor.dtype))


def zeros_(tensor):
    """Fill ``tensor`` with zeros in place and return it, as ``torch.nn.init.zeros_``.

    Args:
        tensor: the tensor to fill.

    Example::

        >>> nn.init.zeros_(mn.ones(3))
        tensor([0., 0., 0.])
    """
    return constant_(tensor, 0.0)


def ones_(tensor):
    """Fill ``tensor`` with ones in place and return it, as ``torch.nn.init.ones_``.

    Args:
        tensor: the tensor to fill.

    Example::

        >>> nn.init.ones_(mn.zeros(3))
        tensor([1., 1., 1.])
    """
    return constant_(tensor, 1.0)


def _fan(tensor, mode):
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    return fan_in if mode == "fan_in" else fan_out


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """He (Kaiming) initialisation, uniform, as ``torch.nn.init.kaiming_uniform_``.

    Fills ``tensor`` from U(-bound, bound) with bound = gain·sqrt(3 / fan), where
    gain = ``calculate_gain(nonlinearity, a)``; an empty tensor is left as it is.

    Args:
        tensor: a floating-point weight with at least 2 dimensions.
        a: the negative slope of a following leaky_relu (default 0, so gain = sqrt(2)).
        mode: "fan_in" (default; keeps the forward variance) or "fan_out" (the backward one).
        nonlinearity: the name given to ``calculate_gain`` (default "leaky_relu").

    Returns:
        ``tensor``, filled in place.

    Example::

        >>> mn.manual_seed(0)
        >>> w = nn.init.kaiming_uniform_(mn.empty(64, 3, 3, 3), nonlinearity='relu')
        >>> bound = np.sqrt(2) * np.sqrt(3 / 27)  # fan_in = 3·3·3
        >>> bool(np.abs(w.numpy()).max() <= bound)
        True
    """
    if tensor.numel() == 0:
        return tensor  # nothing to fill (and a fan of 0), as in PyTorch
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(tensor, mode))
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """He (Kaiming) initialisation, normal, as ``torch.nn.init.kaiming_normal_``.

    Fills ``tensor`` from N(0, std²) with std = gain / sqrt(fan), where
    gain = ``calculate_gain(nonlinearity, a)``; an empty tensor is left as it is.

    Args:
        tensor: a floating-point weight with at least 2 dimensions.
        a: the negative slope of a following leaky_relu (default 0, so gain = sqrt(2)).
        mode: "fan_in" (default) or "fan_out".
        nonlinearity: the name given to ``calculate_gain`` (default "leaky_relu").

    Returns:
        ``tensor``, filled in place.

    Example::

        >>> mn.manual_seed(0)
        >>> w = nn.init.kaiming_normal_(mn.empty(500, 200), mode='fan_out')
        >>> round(float(w.numpy().std() / (np.sqrt(2) / np.sqrt(500))), 1)  # std / expected
        1.0
    """
    if tensor.numel() == 0:
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std)


def xavier_uniform_(tensor, gain=1.0):
    """Glorot (Xavier) initialisation, uniform, as ``torch.nn.init.xavier_uniform_``.

    Fills ``tensor`` from U(-bound, bound) with bound = gain·sqrt(6 / (fan_in + fan_out)),
    which gives std = gain·sqrt(2 / (fan_in + fan_out)).

    Args:
        tensor: a floating-point weight with at least 2 dimensions.
        gain: a scale factor (default 1), e.g. ``calculate_gain('tanh')``.

    Returns:
        ``tensor``, filled in place.

    Example::

        >>> mn.manual_seed(0)
        >>> w = nn.init.xavier_uniform_(mn.empty(20, 30))
        >>> bool(np.abs(w.numpy()).max() <= np.sqrt(6 / (30 + 20)))
        True
    """
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """Glorot (Xavier) initialisation, normal, as ``torch.nn.init.xavier_normal_``.

    Fills ``tensor`` from N(0, std²) with std = gain·sqrt(2 / (fan_in + fan_out)).

    Args:
        tensor: a floating-point weight with at least 2 dimensions.
        gain: a scale factor (default 1).

    Returns:
        ``tensor``, filled in place.

    Example::

        >>> mn.manual_seed(0)
        >>> w = nn.init.xavier_normal_(mn.empty(1000, 500))
        >>> round(float(w.numpy().std() / np.sqrt(2 / 1500)), 1)  # std / expected
        1.0
    """
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))
