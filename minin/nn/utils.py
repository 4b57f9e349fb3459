"""Gradient clipping, as ``torch.nn.utils``: called between ``backward()`` and
``optimizer.step()``, it changes the parameters' ``.grad`` arrays in place.

    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    optimizer.step()
"""

import math

import numpy as np

from .._checks import is_number
from ..backend import get_array_module
from ..tensor import Tensor


def _gradients(parameters, op):
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for p in parameters:
        if not isinstance(p, Tensor):
            raise TypeError(f"{op} takes tensors (e.g. model.parameters()), got {type(p).__name__}")
    return [p.grad for p in parameters if p.grad is not None]


def _number(value, op, name):
    if not is_number(value) or math.isnan(value):
        raise TypeError(f"{op}: {name} must be a number, got {value!r}")
    return float(value)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale the gradients down, all by one factor, so that their norm (that of all of them
    together, as if they were one vector) is at most ``max_norm``, as
    ``torch.nn.utils.clip_grad_norm_``. The factor is max_norm / (norm + 1e-6), capped at 1.

    Args:
        parameters: a tensor or an iterable of tensors; those without a gradient are skipped.
        max_norm: the largest norm allowed.
        norm_type: p of the p-norm, 2.0 by default; ``float("inf")`` for the largest |g|.
        error_if_nonfinite: raise a RuntimeError if the norm is nan or inf (default False:
            the gradients then become nan, as in PyTorch).
        foreach: PyTorch's choice of implementation; accepted and ignored.

    Returns:
        The norm of the gradients before clipping, a 0-d tensor.

    Example::

        >>> w = nn.Parameter(mn.zeros(2))
        >>> w.grad = np.array([3.0, 4.0], dtype=np.float32)
        >>> nn.utils.clip_grad_norm_([w], max_norm=1.0), w.grad.round(4)
        (tensor(5.), array([0.6, 0.8], dtype=float32))
    """
    grads = _gradients(parameters, "clip_grad_norm_")
    max_norm = _number(max_norm, "clip_grad_norm_", "max_norm")
    p = _number(norm_type, "clip_grad_norm_", "norm_type")
    if p <= 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be positive, got {norm_type!r}")
    if not grads:
        return Tensor(np.zeros((), np.float32))
    xp = get_array_module(grads[0])
    wide = [g.astype(np.float32) if g.dtype.itemsize < 4 else g for g in grads]  # float16 overflows
    total = xp.linalg.norm(xp.stack([xp.linalg.norm(g.ravel(), p) for g in wide]), p)
    if error_if_nonfinite and not math.isfinite(float(total)):
        raise RuntimeError(f"clip_grad_norm_: the gradients' {norm_type}-norm is {float(total)}; "
                           "pass error_if_nonfinite=False to clip anyway")
    factor = xp.minimum(max_norm / (total + 1e-6), 1.0)  # on the device: no wait for the norm
    for g in grads:
        g *= factor.astype(g.dtype)
    return Tensor(total.astype(grads[0].dtype))


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element into [-clip_value, clip_value], as
    ``torch.nn.utils.clip_grad_value_``.

    Args:
        parameters: a tensor or an iterable of tensors; those without a gradient are skipped.
        clip_value: the largest |g| allowed.
        foreach: PyTorch's choice of implementation; accepted and ignored.

    Example::

        >>> w = nn.Parameter(mn.zeros(2))
        >>> w.grad = np.array([3.0, -0.5], dtype=np.float32)
        >>> nn.utils.clip_grad_value_([w], 1.0); w.grad
        array([ 1. , -0.5], dtype=float32)
    """
    clip_value = _number(clip_value, "clip_grad_value_", "clip_value")
    for g in _gradients(parameters, "clip_grad_value_"):
        xp = get_array_module(g)
        xp.clip(g, -clip_value, clip_value, out=g)
