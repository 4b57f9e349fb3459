"""Tensor's operators and methods, and the same operations as minin's top-level functions.

tensor.py defines what a Tensor holds. The Functions that compute on tensors
(function.py, ops.py) need the Tensor class to wrap their results, so Tensor cannot
import them back. Instead ``install()`` attaches the methods below to the class in one
place, once everything they call has loaded (DeZero's ``setup_variable`` does the same),
and the imports stay a one-way tree: tensor ← function ← ops ← operators.

Names and arguments follow PyTorch (``dim=``, ``keepdim=``, ``t.max(dim)`` giving values
*and* indices); NumPy's names (``axis=``, ``keepdims=``) are accepted as well and give
NumPy's results. Every function also takes a plain array, because PyTorch programs call
them on ``.data``, which in minin is the array.
"""

import builtins
import math
import numbers
import operator
import warnings
from collections import namedtuple

import numpy as np

from . import backend, ops
from ._checks import is_number
from .promotion import _category, promote_types, result_type
from .device import backend_of, device as _device
from .function import is_grad_enabled, run_backward
from .tensor import DEFAULT_DTYPE, Tensor, _checked_dim, _convert

_UNSET = object()  # an argument not given (where None is a value)

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])
ValuesIndices.__doc__ = """What ``max(dim)`` and ``min(dim)`` return, as ``torch.return_types.max``.

Args:
    values, indices: the maxima (or minima) and their int64 indices along ``dim``.

Example::

    >>> mn.tensor([[1.0, 5.0], [7.0, 2.0]]).max(dim=1)
    ValuesIndices(values=tensor([5., 7.]), indices=tensor([1, 0], dtype=int64))
"""


# --------------------------------------------------------------------------- arguments

def _as_tensor(x, op):
    if isinstance(x, Tensor):
        return x
    if backend.is_array(x) or isinstance(x, np.generic):
        return Tensor(x)
    raise TypeError(f"{op} takes a Tensor (or an array), got {type(x).__name__}")


def _operand(other):
    """The other operand of an arithmetic operator. A list becomes an array by the rules of
    ``mn.tensor`` (Python floats are float32), and a 0-d array a Python number, which, like
    a scalar in PyTorch, leaves a float32 tensor float32."""
    if isinstance(other, (list, tuple)):
        return _convert(other, None, False)
    if isinstance(other, np.ndarray) and other.ndim == 0:
        return other.item()
    return other


def _data(obj):
    return obj.data if isinstance(obj, Tensor) else obj


def _plain_index(index):
    """Replace Tensors inside an index by their arrays."""
    if isinstance(index, tuple):
        return tuple(_data(i) for i in index)
    return _data(index)


def _dims(op, dim, axis, keepdim, keepdims):
    """One axis argument from PyTorch's ``dim``/``keepdim`` or NumPy's ``axis``/``keepdims``."""
    if dim is not None and axis is not None:
        raise TypeError(f"{op}: give dim (PyTorch's name) or axis (NumPy's), not both")
    if isinstance(dim, (list, tuple)) and not dim:
        dim = None  # PyTorch reads dim=() as every axis (NumPy's axis=() as none)
    dim = axis if dim is None else dim
    return (tuple(dim) if isinstance(dim, list) else dim), bool(keepdim if keepdims is None else keepdims)


def _checked_dims(op, dim, ndim):
    """``dim`` (None, an int or several) checked against ``ndim`` as PyTorch checks it: an
    out-of-range or repeated dim is a clear error here, not NumPy's AxisError later."""
    if dim is None:
        return None
    if isinstance(dim, tuple):
        axes = tuple(_checked_dim(d, ndim, op) for d in dim)
        if len(set(axes)) != len(axes):
            raise ValueError(f"{op}: dim {dim} names an axis more than once")
    else:
        axes = _checked_dim(dim, ndim, op)
    return axes if ndim else None  # a 0-d tensor takes dim 0 or -1, as in PyTorch


def _check_not_empty(op, input, axis):
    """A maximum or minimum over no elements has no value (PyTorch: IndexError).
    ``axis`` is None or checked axes, as :func:`_checked_dims` gives them."""
    if input.data.size:
        return
    if axis is None:
        raise IndexError(f"{op}(): the tensor has no elements (shape {input.shape}); "
                         "give the dim to reduce over")
    for a in np.atleast_1d(axis):
        if input.shape[a] == 0:
            raise IndexError(f"{op}(): dim {a} to reduce over has size 0 (shape {input.shape})")


def _shape_args(shape, op):
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` all mean the shape (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not builtins.all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in shape):
        raise TypeError(f"{op}: sizes must be ints, got {shape!r}")
    return tuple(int(n) for n in shape)


# --------------------------------------------------------------------------- arithmetic

def _cast(x, dtype):
    if isinstance(x, Tensor):
        return x if x.dtype == dtype else _astype(x, dtype)  # the gradient flows back
    if backend.is_array(x):
        return x if x.dtype == dtype else x.astype(dtype)
    return x  # a Python number takes the array's dtype, in NumPy as in PyTorch


def _describe(x):
    return f"{type(x).__name__} of dtype {x.dtype}" if hasattr(x, "dtype") else type(x).__name__


def _arithmetic(function, a, b):
    """``function`` on a and b cast to PyTorch's ``result_type``: ints and 0-d tensors never
    widen a float tensor; true division of integers gives the default float."""
    op = function.__name__.lower()
    dtype = _arithmetic_dtype(function, op, a, b)
    try:
        return function.apply(_cast(a, dtype), _cast(b, dtype))
    except ValueError as exc:
        raise _broadcast_error(op, a, b, exc) from None


def _arithmetic_dtype(function, op, a, b):
    try:
        dtype = result_type(a, b)
    except TypeError:  # strings, None, complex numbers: nothing NumPy should try to add
        raise TypeError(f"{op}: unsupported operands {_describe(a)} and {_describe(b)}; "
                        "expected tensors, arrays or real numbers") from None
    return np.dtype(DEFAULT_DTYPE) if function is ops.Div and dtype.kind != "f" else dtype


def _broadcast_error(op, a, b, exc):
    """NumPy's "operands could not be broadcast" as the operation's own error (any other
    ValueError is returned as it was)."""
    if "broadcast" not in str(exc):
        return exc
    return ValueError(f"{op}: shapes {np.shape(_data(a))} and {np.shape(_data(b))} do not broadcast "
                      "(from the last axis back, each pair of sizes must be equal, or one of them 1)")


def add(input, other, *, alpha=1):
    """``input + alpha·other``, as ``torch.add``.

    Args:
        input, other: tensors, arrays or numbers, broadcast together.
        alpha: a number that multiplies ``other`` (default 1).

    Example::

        >>> mn.add(mn.tensor([1.0, 2.0]), 1)
        tensor([2., 3.])
    """
    return _arithmetic(ops.Add, input, _scaled(input, _operand(other), alpha, "add"))


def sub(input, other, *, alpha=1):
    """``input - alpha·other``, as ``torch.sub``.

    Args:
        input, other: tensors, arrays or numbers, broadcast together.
        alpha: a number that multiplies ``other`` (default 1).

    Example::

        >>> mn.sub(mn.tensor([1.0, 2.0]), 1)
        tensor([0., 1.])
    """
    return _arithmetic(ops.Sub, input, _scaled(input, _operand(other), alpha, "sub"))


def _scaled(input, other, alpha, op):
    if not isinstance(alpha, numbers.Real):
        raise TypeError(f"{op}: alpha must be a number, got {alpha!r}")
    if alpha == 1:
        return other
    if not isinstance(alpha, numbers.Integral) and _arithmetic_dtype(ops.Add, op, input, other).kind in "biu":
        raise TypeError(f"{op}: for integer tensors alpha must be an integer, got {alpha!r} (as in PyTorch)")
    return (Tensor(other) if backend.is_array(other) else other) * alpha  # PyTorch's promotion


def mul(input, other):
    """``input * other``, as ``torch.mul``.

    Args:
        input, other: tensors, arrays or numbers, broadcast together.

    Example::

        >>> mn.mul(mn.tensor([1.0, 2.0]), 2)
        tensor([2., 4.])
    """
    return _arithmetic(ops.Mul, input, _operand(other))


def div(input, other):
    """``input / other`` (true division: integers give float32), as ``torch.div``.

    Args:
        input, other: tensors, arrays or numbers, broadcast together.

    Example::

        >>> mn.div(mn.tensor([1, 2]), 2)
        tensor([0.5, 1. ])
    """
    return _arithmetic(ops.Div, input, _operand(other))


def matmul(input, other):
    """The matrix product ``input @ other``, as ``torch.matmul``, with NumPy's broadcasting.

    Args:
        input, other: tensors or arrays.

    Shape:
        (…, n, k) @ (…, k, m) → (…, n, m).

    Example::

        >>> mn.matmul(mn.ones(5, 2, 3), mn.ones(3, 4)).shape
        (5, 2, 4)
    """
    return ops.MatMul.apply(_as_tensor(input, "matmul"), _operand(other))


def mm(input, mat2):
    """The product of two matrices, as ``torch.mm``: :func:`matmul` without its broadcasting.

    Args:
        input, mat2: 2-D tensors, (n, k) and (k, m).

    Example::

        >>> mn.mm(mn.ones(2, 3), mn.ones(3, 4)).shape
        (2, 4)
    """
    return _checked_product("mm", input, mat2, 2, 2)


def mv(input, vec):
    """A matrix times a vector, as ``torch.mv``.

    Args:
        input: a 2-D tensor (n, k).
        vec: a 1-D tensor (k,).

    Example::

        >>> mn.mv(mn.tensor([[1.0, 2.0], [3.0, 4.0]]), mn.tensor([1.0, 1.0]))
        tensor([3., 7.])
    """
    return _checked_product("mv", input, vec, 2, 1)


def dot(input, other):
    """The dot product of two vectors, as ``torch.dot``.

    Args:
        input, other: 1-D tensors of one length and one dtype.

    Example::

        >>> mn.dot(mn.tensor([1.0, 2.0]), mn.tensor([3.0, 4.0]))
        tensor(11.)
    """
    return _checked_product("dot", input, other, 1, 1)


def _checked_product(op, a, b, a_ndim, b_ndim):
    """matmul, once the shapes are those ``op`` takes (PyTorch's checks, raised here)."""
    a, b = _as_tensor(a, op), _as_tensor(b, op)
    if (a.ndim, b.ndim) != (a_ndim, b_ndim):
        raise ValueError(f"{op} takes a {a_ndim}-D and a {b_ndim}-D tensor, got shapes "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    if a.shape[-1] != b.shape[0]:
        raise ValueError(f"{op}: shapes {tuple(a.shape)} and {tuple(b.shape)} don't multiply "
                         f"({a.shape[-1]} ≠ {b.shape[0]})")
    if a.dtype != b.dtype:
        raise TypeError(f"{op}: both must have one dtype, got {a.dtype} and {b.dtype}")
    return ops.MatMul.apply(a, b)


def pow(input, exponent):
    """``input ** exponent`` elementwise, as ``torch.pow``; integers raised to a float give float32.

    Args:
        input: a tensor or an array; or a number when the exponent is a tensor (``2 ** t``).
        exponent: a number, or a tensor or an array broadcast against the input.

    Example::

        >>> mn.pow(mn.tensor([1.0, 2.0, 3.0]), 2), mn.pow(2, mn.tensor([0.0, 1.0, 3.0]))
        (tensor([1., 4., 9.]), tensor([1., 2., 8.]))
    """
    exponent = _operand(exponent)
    if isinstance(input, numbers.Real) and not isinstance(exponent, numbers.Real):
        return _power(input, _as_tensor(exponent, "pow"))
    input = _as_tensor(input, "pow")
    if isinstance(exponent, Tensor) or backend.is_array(exponent):
        return _power(input, exponent)
    if not isinstance(exponent, numbers.Real):
        raise TypeError(f"pow: the exponent must be a number, a tensor or an array, got "
                        f"{type(exponent).__name__}")
    if isinstance(exponent, np.generic):
        exponent = exponent.item()  # a NumPy scalar would upcast float32 data
    if isinstance(exponent, float) and input.dtype.kind != "f":
        input = _astype(input, DEFAULT_DTYPE)  # int ** 0.5 is float32, as in PyTorch, not float64
    return ops.Pow.apply(input, exponent=exponent)


def _power(base, exponent):
    """``base ** exponent`` with a tensor exponent, in PyTorch's result dtype; a number base
    becomes a 0-d array of that dtype (a Python float would make NumPy's log float64)."""
    dtype = result_type(base, exponent)
    if isinstance(base, numbers.Real):
        base = backend.get_array_module(_data(exponent)).asarray(base, dtype=dtype)
    return ops.Power.apply(_cast(base, dtype), _cast(exponent, dtype))


def _floating(input, op):
    """``input`` as a Tensor, integers cast to float32: NumPy would make them float64."""
    input = _as_tensor(input, op)
    return input if input.dtype.kind == "f" else _astype(input, DEFAULT_DTYPE)


def exp(input):
    """e ** x elementwise, as ``torch.exp``.

    Args:
        input: a tensor or an array; integers give float32.

    Example::

        >>> mn.exp(mn.tensor([0.0]))
        tensor([1.])
    """
    return ops.Exp.apply(_floating(input, "exp"))


def log(input):
    """The natural logarithm elementwise, as ``torch.log``.

    Args:
        input: a tensor or an array; integers give float32.

    Example::

        >>> mn.log(mn.tensor([1.0]))
        tensor([0.])
    """
    return ops.Log.apply(_floating(input, "log"))


def relu(input):
    """max(x, 0) elementwise, as ``torch.relu``.

    Args:
        input: a tensor or an array.

    Example::

        >>> mn.relu(mn.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """
    return ops.ReLU.apply(_as_tensor(input, "relu"))


_LAST = object()


def log_softmax(input, dim=_LAST, *, axis=_LAST, dtype=None):
    """log(softmax(x)) along ``dim``, as ``torch.log_softmax``.

    Computed as (x - max) - log(sum(exp(x - max))), so that large |x| cannot overflow.

    Args:
        input: a floating-point tensor or array, any shape; the output has its shape.
        dim: the axis, the last by default; NumPy: ``axis=``.
        dtype: if given, the input is cast to it first.

    Example::

        >>> mn.log_softmax(mn.tensor([[0.0, 1000.0]])).tolist()
        [[-1000.0, 0.0]]
    """
    x = _in_dtype(_as_tensor(input, "log_softmax"), dtype)
    if x.dtype.kind != "f":
        raise TypeError(f"log_softmax: input must be floating point, got dtype {x.dtype}")
    if dim is not _LAST and axis is not _LAST:
        raise TypeError("log_softmax: give dim (PyTorch's name) or axis (NumPy's), not both")
    axis = -1 if dim is _LAST and axis is _LAST else (axis if dim is _LAST else dim)
    if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
        raise TypeError(f"log_softmax: axis must be an int, got {axis!r}")
    if x.ndim == 0 or not -x.ndim <= axis < x.ndim:
        raise ValueError(f"log_softmax: axis {axis} is out of range for shape {tuple(x.shape)}")
    return ops.LogSoftmax.apply(x, axis=axis)


def softmax(input, dim=None, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim``, as ``torch.softmax``, computed as
    exp(log_softmax(x)) (no overflow).

    Args:
        input: a floating-point tensor or array; the output has its shape.
        dim: the axis that sums to 1; required (PyTorch's implicit choice is deprecated).
        dtype: if given, the input is cast to it first.

    Example::

        >>> mn.softmax(mn.tensor([[0.0, 0.0]]), dim=1).tolist()
        [[0.5, 0.5]]
    """
    if dim is None:
        raise TypeError("softmax: give dim, the axis whose values sum to 1 "
                        "(PyTorch's implicit choice is deprecated)")
    return exp(log_softmax(input, dim, dtype=dtype))


def sigmoid(input):
    """1 / (1 + e ** -x) elementwise, as ``torch.sigmoid``; integers give float32. Computed
    from e ** -|x|, so no x, however large, overflows.

    Args:
        input: a tensor or an array.

    Example::

        >>> mn.sigmoid(mn.tensor([0.0, 1000.0, -1000.0]))
        tensor([0.5, 1. , 0. ])
    """
    return ops.Sigmoid.apply(_floating(input, "sigmoid"))


def tanh(input):
    """The hyperbolic tangent elementwise, as ``torch.tanh``; integers give float32.

    Args:
        input: a tensor or an array.

    Example::

        >>> mn.tanh(mn.tensor([0.0, 1000.0]))
        tensor([0., 1.])
    """
    return ops.Tanh.apply(_floating(input, "tanh"))


def abs(input):
    """|x| elementwise, as ``torch.abs`` (and Python's ``abs(t)``); the dtype stays, integers
    included. The gradient is sign(x), 0 at 0.

    Args:
        input: a tensor or an array.

    Example::

        >>> mn.abs(mn.tensor([-1.5, 2.0]))
        tensor([1.5, 2. ])
    """
    return ops.Abs.apply(_as_tensor(input, "abs"))


def sqrt(input):
    """The square root elementwise, as ``torch.sqrt``; integers give float32.

    Args:
        input: a tensor or an array.

    Example::

        >>> mn.sqrt(mn.tensor([4, 9]))
        tensor([2., 3.])
    """
    return ops.Sqrt.apply(_floating(input, "sqrt"))


def clamp(input, min=None, max=None):
    """Each element limited to [min, max], as ``torch.clamp`` (alias ``clip``).

    As in PyTorch, min > max gives max everywhere, and the dtype follows the operands (an int
    tensor clamped to 0.5 is float32).

    Args:
        input: a tensor or an array.
        min, max: numbers, tensors that broadcast against the input, or None (not both).

    Example::

        >>> mn.tensor([-2.0, 0.5, 3.0]).clamp(min=0, max=1)
        tensor([0. , 0.5, 1. ])
    """
    input = _as_tensor(input, "clamp")
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must not be None")
    bounds = []
    for name, bound in (("min", min), ("max", max)):
        bound = _operand(bound)
        if not (bound is None or isinstance(bound, (Tensor, numbers.Real)) or backend.is_array(bound)):
            raise TypeError(f"clamp: {name} must be a number, a tensor or None, got {type(bound).__name__}")
        bounds.append(bound)
    dtype, ndim = input.dtype, input.ndim
    for bound in bounds:
        if bound is not None:  # PyTorch's result_type of all three operands, two at a time
            dtype = result_type(backend.get_array_module(input.data).empty((0,) * ndim, dtype), bound)
            ndim = builtins.max(ndim, getattr(bound, "ndim", 0))
    return ops.Clamp.apply(_cast(input, dtype), *(_cast(b, dtype) for b in bounds))


clip = clamp


def maximum(input, other):
    """Elementwise maximum, as ``torch.maximum``; ties share the gradient.

    Args:
        input, other: tensors or arrays (other may be a number), broadcast together.

    Example::

        >>> mn.maximum(mn.tensor([1.0, 4.0]), mn.tensor([3.0, 2.0]))
        tensor([3., 4.])
    """
    return _arithmetic(ops.Maximum, _as_tensor(input, "maximum"), _operand(other))


def minimum(input, other):
    """Elementwise minimum, as ``torch.minimum``: min(a, b) = -max(-a, -b).

    Args:
        input, other: as :func:`maximum`.

    Example::

        >>> mn.minimum(mn.tensor([1.0, 4.0]), mn.tensor([3.0, 2.0]))
        tensor([1., 2.])
    """
    return -maximum(-_as_tensor(input, "minimum"), -_operand(other))


# --------------------------------------------------------------------------- reductions

def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """The sum over ``dim``, as ``torch.sum``.

    Args:
        input: a tensor or an array.
        dim: an int, several, or None (the default) for all; NumPy: ``axis=``.
        keepdim: keep the summed axes, with length 1 (default False: they go); NumPy: ``keepdims=``.
        dtype: if given, the input is cast to it first.

    Example::

        >>> mn.arange(6.0).reshape(2, 3).sum(dim=0)
        tensor([3., 5., 7.])
    """
    axis, keep = _dims("sum", dim, axis, keepdim, keepdims)
    input = _in_dtype(_as_tensor(input, "sum"), dtype)
    if axis is not None:
        axis = _checked_dims("sum", axis, input.ndim)
    return ops.Sum.apply(input, axis=axis, keepdims=keep)


def _in_dtype(input, dtype):
    return input if dtype is None else _cast(input, np.dtype(dtype))


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """The mean over ``dim``, as ``torch.mean``.

    Args:
        input: a tensor or an array, floating point (or cast so by ``dtype``), as in PyTorch:
            NumPy's mean of integers would be float64.
        dim, keepdim, dtype, axis, keepdims: as :func:`sum`.

    Example::

        >>> mn.arange(6.0).reshape(2, 3).mean(dim=1)
        tensor([1., 4.])
    """
    axis, keep = _dims("mean", dim, axis, keepdim, keepdims)
    input = _in_dtype(_as_tensor(input, "mean"), dtype)
    if input.dtype.kind != "f":
        raise TypeError(f"mean: needs a floating-point tensor, got dtype {input.dtype}; "
                        "convert first, e.g. t.float().mean(), or pass dtype=minin.float32")
    return ops.Mean.apply(input, axis=_checked_dims("mean", axis, input.ndim), keepdims=keep)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """The variance over ``dim``, as ``torch.var``: the mean squared distance from the mean,
    divided by ``n - correction`` instead of n.

    Args:
        input: a floating-point tensor or array.
        dim: an int, several, or None (the default) for all.
        correction: 1 by default (Bessel's correction, the sample variance); 0 divides by n.
        keepdim: as :func:`sum`.
        unbiased: PyTorch's older spelling, in place of ``correction``: True is correction 1,
            False correction 0; it may come second, ``x.var(False)``, or third, ``x.var(0, True)``.

    Example::

        >>> mn.tensor([[1.0, 3.0], [2.0, 6.0]]).var(dim=1)
        tensor([2., 8.])
    """
    centered, dim, freedom = _centered("var", input, dim, correction, unbiased)
    return sum(centered * centered, dim, keepdim) * (1 / freedom if freedom > 0 else float("nan"))


def _centered(op, input, dim, correction, unbiased):
    """x - mean(x) over ``dim`` (checked), and the degrees of freedom n - correction."""
    input = _as_tensor(input, op)
    if input.dtype.kind != "f":
        raise TypeError(f"{op} needs a floating-point tensor, got dtype {input.dtype}; "
                        f"convert first, e.g. t.float().{op}()")
    if isinstance(dim, bool):  # PyTorch's older form x.var(unbiased)
        dim, unbiased = None, dim if unbiased is None else unbiased
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op} takes correction or unbiased (its older spelling), not both")
    correction = (1 if unbiased is None or unbiased else 0) if correction is None else correction
    if not isinstance(correction, numbers.Real) or isinstance(correction, bool):
        raise TypeError(f"{op}: correction must be a number, got {correction!r}")
    dim = _checked_dims(op, _dims(op, dim, None, False, None)[0], input.ndim)
    count = input.numel() if dim is None else int(np.prod([input.shape[d] for d in np.atleast_1d(dim)]))
    if count - correction <= 0:
        warnings.warn(f"{op}: {count} values with correction {correction} leave no degree of "
                      "freedom; the result is nan", stacklevel=3)
    return input - mean(input, dim, keepdim=True), dim, count - correction


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """The standard deviation over ``dim``, the square root of :func:`var`, as ``torch.std``.

    Args:
        input, dim, correction, keepdim, unbiased: as :func:`var`.

    Example::

        >>> mn.tensor([1.0, 3.0]).std()
        tensor(1.4142)
    """
    centered, dim, freedom = _centered("std", input, dim, correction, unbiased)
    scale = 1 / math.sqrt(freedom) if freedom > 0 else float("nan")
    return ops.Norm.apply(centered, axis=dim, keepdims=bool(keepdim)) * scale  # 0 gradient at 0


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """The vector norm over ``dim`` (all elements by default), as ``torch.norm``.

    Args:
        input: a floating-point tensor or array.
        p: "fro" or 2 (the default: sqrt of the sum of squares), ``float("inf")`` (the
            largest |x|), ``-float("inf")`` (the smallest), 0 (how many are nonzero), or
            any other number: (Σ |x|^p)^(1/p).
        dim, keepdim: as :func:`sum`.
        dtype: if given, the input is cast to it first.

    Example::

        >>> mn.tensor([3.0, -4.0]).norm(), mn.norm(mn.tensor([3.0, -4.0]), p=1)
        (tensor(5.), tensor(7.))
    """
    input = _in_dtype(_as_tensor(input, "norm"), dtype)
    if input.dtype.kind != "f":
        raise TypeError(f"norm needs a floating-point tensor, got dtype {input.dtype}; "
                        "convert first, e.g. t.float().norm()")
    dim = _checked_dims("norm", _dims("norm", dim, None, keepdim, None)[0], input.ndim)
    p = 2 if p == "fro" else p
    if not isinstance(p, numbers.Real) or isinstance(p, bool) or p != p:
        raise ValueError(f"norm: p must be 'fro' or a number, got {p!r}")
    if builtins.abs(p) == float("inf"):
        return _all_extremes(ops.Max if p > 0 else ops.Min, "norm", abs(input), dim, keepdim)
    if p == 0:  # a count, which no small change of x moves: its gradient is 0 (also at inf)
        xp = backend.get_array_module(input.data)
        zero = where(Tensor(xp.isfinite(input.data)), input, 0.0) * 0
        return sum(zero + Tensor((input.data != 0).astype(input.dtype)), dim, keepdim)
    if p < 0:
        raise ValueError(f"norm: p must not be negative (other than -inf), got {p!r}")
    return ops.Norm.apply(input, p=float(p), axis=dim, keepdims=bool(keepdim))


def cumsum(input, dim=None, *, dtype=None, axis=None):
    """Running sums along ``dim``, as ``torch.cumsum``: element i is the sum of elements 0 … i.

    Args:
        input: a tensor or an array.
        dim: the axis (required); NumPy: ``axis=``.
        dtype: if given, the input is cast to it first; integers and bools sum as int64.

    Example::

        >>> mn.tensor([1.0, 2.0, 3.0]).cumsum(0)
        tensor([1., 3., 6.])
    """
    dim = _dims("cumsum", dim, axis, False, None)[0]
    if dim is None:
        raise TypeError("cumsum needs dim, the axis to sum along, e.g. t.cumsum(0)")
    input = _in_dtype(_as_tensor(input, "cumsum"), dtype)
    if dtype is None and input.dtype.kind in "biu":  # PyTorch sums integers in int64
        input = _cast(input, np.dtype(np.int64))
    axis = _checked_dim(dim, input.ndim, "cumsum")
    return ops.CumSum.apply(input, axis=axis) if input.ndim else clone(input)  # one number: itself


def where(condition, input=_UNSET, other=_UNSET):
    """``input`` where ``condition`` is True, else ``other``, as ``torch.where``; with the
    condition alone, the indices of its True elements (``torch.nonzero(as_tuple=True)``).

    Args:
        condition: a bool tensor or array.
        input, other: tensors, arrays or numbers, broadcast with the condition; the
            result has their promoted dtype.

    Example::

        >>> x = mn.tensor([-1.0, 2.0, -3.0])
        >>> mn.where(x > 0, x, 0.0), mn.where(x > 0)
        (tensor([0., 2., 0.]), (tensor([1], dtype=int64),))
    """
    condition = _as_tensor(condition, "where")
    if condition.dtype != np.bool_:
        raise TypeError(f"where: the condition must be a bool tensor (e.g. x > 0), got dtype "
                        f"{condition.dtype}")
    if input is _UNSET and other is _UNSET:
        xp = backend.get_array_module(condition.data)
        return tuple(Tensor(i.astype(np.int64)) for i in xp.atleast_1d(condition.data).nonzero())
    if input is _UNSET or other is _UNSET:
        raise TypeError("where takes the condition alone, or the condition, input and other")
    input, other = _operand(input), _operand(other)
    dtype = _arithmetic_dtype(ops.Add, "where", input, other)
    try:
        return ops.Where.apply(condition, input, other, dtype=dtype)
    except ValueError as exc:
        raise _broadcast_error("where", input, other, exc) from None


def all(input, dim=None, keepdim=False):
    """Whether every element (along ``dim``) is nonzero, as ``torch.all``: a bool tensor.

    Args:
        input: a tensor or an array.
        dim, keepdim: as :func:`sum`.

    Example::

        >>> (mn.tensor([1.0, 2.0]) > 0).all(), mn.tensor([[1, 0], [1, 1]]).all(dim=1)
        (tensor(True, dtype=bool), tensor([False,  True], dtype=bool))
    """
    return _logical("all", input, dim, keepdim)


def any(input, dim=None, keepdim=False):
    """Whether some element (along ``dim``) is nonzero, as ``torch.any``: a bool tensor.

    Args:
        input, dim, keepdim: as :func:`all`.

    Example::

        >>> mn.tensor([0.0, 2.0]).any()
        tensor(True, dtype=bool)
    """
    return _logical("any", input, dim, keepdim)


def _logical(op, input, dim, keepdim):
    input = _as_tensor(input, op)
    axis = _checked_dims(op, _dims(op, dim, None, keepdim, None)[0], input.ndim)
    return Tensor(getattr(input.data.astype(bool), op)(axis=axis, keepdims=bool(keepdim)))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether |input - other| <= atol + rtol·|other| everywhere, as ``torch.allclose``: a bool.

    Args:
        input, other: tensors or arrays of shapes that broadcast together.
        rtol, atol: the relative and absolute tolerance.
        equal_nan: whether two NaNs count as close (default False).

    Example::

        >>> mn.allclose(mn.tensor([1.0, 2.0]), mn.tensor([1.0, 2.0 + 1e-6]))
        True
    """
    a, b = _data(_as_tensor(input, "allclose")), _data(_as_tensor(other, "allclose"))
    for name, value in (("rtol", rtol), ("atol", atol)):
        if not (is_number(value) and value >= 0):
            raise ValueError(f"allclose: {name} must be a non-negative number, got {value!r}")
    xp = backend.get_array_module(a)
    try:
        return builtins.bool(xp.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))
    except ValueError as exc:
        raise _broadcast_error("allclose", input, other, exc) from None


def equal(input, other):
    """Whether the two have the same shape and the same values, as ``torch.equal``: a bool.

    Args:
        input, other: tensors.

    Example::

        >>> mn.equal(mn.tensor([1, 2]), mn.tensor([1.0, 2.0])), mn.equal(mn.ones(2), mn.ones(3))
        (True, False)
    """
    a, b = _data(_as_tensor(input, "equal")), _data(_as_tensor(other, "equal"))
    return a.shape == b.shape and builtins.bool((a == b).all())


def neg(input):
    """-x elementwise, as ``torch.neg``.

    Args:
        input: a tensor or an array.

    Example::

        >>> mn.neg(mn.tensor([1.0, -2.0]))
        tensor([-1.,  2.])
    """
    return ops.Neg.apply(_as_tensor(input, "neg"))


def gather(input, dim, index):
    """The elements of ``input`` that ``index`` picks along ``dim``, as ``torch.gather``:
    ``out[i][j] = input[i][index[i][j]]`` for dim 1 of a matrix. The gradient goes back to the
    picked elements (added up where one is picked twice).

    Args:
        input: a tensor.
        dim: the axis that ``index`` indexes.
        index: an integer tensor or array with input's number of dimensions and no larger
            than input along the other axes; the output has its shape.

    Example::

        >>> probs = mn.tensor([[0.1, 0.9], [0.7, 0.3]])
        >>> probs.gather(1, mn.tensor([[1], [0]]))     # each row's probability of its label
        tensor([[0.9],
                [0.7]])
    """
    input = _as_tensor(input, "gather")
    index = _data(_as_tensor(index, "gather"))
    dim = _checked_dim(dim, input.ndim, "gather")
    if index.dtype.kind not in "iu" or index.ndim != input.ndim or builtins.any(
            n > m for d, (n, m) in enumerate(zip(index.shape, input.shape)) if d != dim):
        raise ValueError(f"gather: index must be an integer tensor with the input's {input.ndim} "
                         f"dimensions, no larger than its shape {tuple(input.shape)} off dim {dim}; "
                         f"got {index.dtype} of shape {tuple(index.shape)}")
    size = input.shape[dim] if input.ndim else 1
    if index.size and (int(index.min()) < 0 or int(index.max()) >= size):
        raise IndexError(f"gather: index out of range for dim {dim} of size {size}")
    if input.ndim == 0:  # index is 0-d too, and 0: the value itself
        return clone(input)
    xp = backend.get_array_module(index)
    positions = [xp.arange(n).reshape([-1 if a == d else 1 for a in range(index.ndim)])
                 for d, n in enumerate(index.shape)]  # every position of index, broadcast
    positions[dim] = index
    return ops.GetItem.apply(input, index=tuple(positions))


def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort ``input`` along ``dim``, as ``torch.argsort``; equal elements keep
    their order, and NaN counts as the largest value, as in PyTorch.

    Args:
        input: a tensor.
        dim: the axis (default the last).
        descending: largest first (default False).
        stable: PyTorch's; the order is always stable here.

    Example::

        >>> mn.tensor([3.0, 1.0, 2.0]).argsort(descending=True)
        tensor([0, 2, 1], dtype=int64)
    """
    input = _as_tensor(input, "argsort")
    if input.ndim == 0:
        return Tensor(backend.get_array_module(input.data).zeros((), np.int64))
    dim = _checked_dim(dim, input.ndim, "argsort")
    xp = backend.get_array_module(input.data)
    if not descending:
        return Tensor(xp.argsort(input.data, axis=dim, kind="stable").astype(np.int64))
    # sort the reversed array ascending, then read that order backwards: equal elements
    # keep their order, and unsigned integers need no negation
    backwards = xp.argsort(xp.flip(input.data, dim), axis=dim, kind="stable")
    return Tensor((input.shape[dim] - 1 - xp.flip(backwards, dim)).astype(np.int64))


def sort(input, dim=-1, descending=False, stable=False):
    """``input`` sorted along ``dim``, and where each value came from, as ``torch.sort``.

    Args:
        input, dim, descending, stable: as :func:`argsort`.

    Returns:
        ``(values, indices)``; the gradient of ``values`` goes back to where each came from.

    Example::

        >>> mn.tensor([3.0, 1.0, 2.0]).sort()
        ValuesIndices(values=tensor([1., 2., 3.]), indices=tensor([1, 2, 0], dtype=int64))
    """
    indices = argsort(input, dim, descending)
    if indices.ndim == 0:
        return ValuesIndices(clone(input), indices)
    return ValuesIndices(gather(input, dim, indices), indices)


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices, as
    ``torch.topk``; e.g. for top-5 accuracy.

    Args:
        input: a tensor.
        k: how many, at most the length of ``dim``.
        dim: the axis (default the last).
        largest: the largest (default) or the smallest.
        sorted: PyTorch's; they always come in order here.

    Returns:
        ``(values, indices)``.

    Example::

        >>> scores = mn.tensor([[0.1, 0.5, 0.2, 0.9]])
        >>> scores.topk(2).indices
        tensor([[3, 1]], dtype=int64)
    """
    input = _as_tensor(input, "topk")
    axis = _checked_dim(dim, input.ndim, "topk")
    size = input.shape[axis] if input.ndim else 1
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or not 0 <= k <= size:
        raise ValueError(f"topk: k must be an int from 0 to {size} (the length of dim {dim}), got {k!r}")
    if input.ndim == 0:  # one value, itself, whether k is 0 or 1 (as PyTorch answers)
        return sort(input)
    first_k = (slice(None),) * axis + (slice(0, k),)
    indices = Tensor(argsort(input, axis, largest).data[first_k])
    return ValuesIndices(gather(input, axis, indices), indices)


def _extreme(function, arg, op, input, dim, keepdim, axis, keepdims):
    input = _as_tensor(input, op)
    if isinstance(dim, Tensor) or backend.is_array(dim):
        return (maximum if op == "max" else minimum)(input, dim)  # torch.max(a, b)
    if dim is None and axis is None:
        _check_not_empty(op, input, None)
        return function.apply(input, axis=None, keepdims=False, ties="share")
    if axis is not None:  # NumPy's name, NumPy's answer: the values only
        axis, keep = _dims(op, dim, axis, keepdim, keepdims)
        axis = _checked_dims(op, axis, input.ndim)
        _check_not_empty(op, input, axis)
        ties = "first" if isinstance(axis, numbers.Integral) else "share"
        return function.apply(input, axis=axis, keepdims=keep, ties=ties)
    dim = _checked_dim(dim, input.ndim, op)
    _check_not_empty(op, input, dim)
    if input.ndim == 0:  # dim 0 or -1 of a 0-d tensor: the value itself, at index 0
        values = function.apply(input, axis=None, keepdims=False, ties="share")
        return ValuesIndices(values, Tensor(backend.get_array_module(input.data).zeros((), np.int64)))
    values = function.apply(input, axis=dim, keepdims=bool(keepdim), ties="first")
    indices = getattr(input.data, arg)(axis=dim)
    if keepdim:
        indices = backend.get_array_module(indices).expand_dims(indices, dim)
    return ValuesIndices(values, Tensor(indices.astype(np.int64, copy=False)))


def max(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """The largest element, as ``torch.max``.

    Args:
        input: a tensor or an array.
        dim: an int (None, the default: all elements); or another tensor, for the elementwise
            maximum (``torch.max(a, b)``).
        keepdim: keep ``dim``, with length 1; False by default.
        axis, keepdims: NumPy's names, which give the values only, as NumPy does.

    Returns:
        With an int ``dim``, the named tuple ``(values, indices)`` along it (the gradient goes
        to the first maximum).

    Example::

        >>> scores = mn.tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]])
        >>> _, predicted = mn.max(scores, 1)
        >>> predicted
        tensor([1, 0], dtype=int64)
    """
    return _extreme(ops.Max, "argmax", "max", input, dim, keepdim, axis, keepdims)


def min(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """The smallest element, as ``torch.min``, with the same forms as :func:`max`.

    Args:
        input, dim, keepdim, axis, keepdims: as :func:`max`.

    Example::

        >>> mn.tensor([[1.0, 5.0], [7.0, 2.0]]).min(dim=1).values
        tensor([1., 2.])
    """
    return _extreme(ops.Min, "argmin", "min", input, dim, keepdim, axis, keepdims)


def amax(input, dim=None, keepdim=False):
    """The maxima over ``dim``, values only, as ``torch.amax``; ties share the gradient.

    Args:
        input: a tensor or an array.
        dim, keepdim: as :func:`sum`.

    Example::

        >>> mn.tensor([[1.0, 5.0], [7.0, 2.0]]).amax(dim=0)
        tensor([7., 5.])
    """
    return _all_extremes(ops.Max, "amax", input, dim, keepdim)


def amin(input, dim=None, keepdim=False):
    """The minima over ``dim``, as ``torch.amin``.

    Args:
        input, dim, keepdim: as :func:`amax`.

    Example::

        >>> mn.tensor([[1.0, 5.0], [7.0, 2.0]]).amin(dim=0)
        tensor([1., 2.])
    """
    return _all_extremes(ops.Min, "amin", input, dim, keepdim)


def _all_extremes(function, op, input, dim, keepdim):
    input = _as_tensor(input, op)
    axis, keep = _dims(op, dim, None, keepdim, None)
    axis = _checked_dims(op, axis, input.ndim)
    _check_not_empty(op, input, axis)
    return function.apply(input, axis=axis, keepdims=keep, ties="share")


def _arg_extreme(arg, input, dim, keepdim, axis):
    input = _as_tensor(input, arg)
    dim, keep = _dims(arg, dim, axis, keepdim, None)
    if dim is not None:
        dim = _checked_dim(dim, input.ndim, arg)
    _check_not_empty(arg, input, dim)
    index = getattr(input.data, arg)(axis=dim, keepdims=keep)
    return Tensor(backend.get_array_module(index).asarray(index, dtype=np.int64))


def argmax(input, dim=None, keepdim=False, *, axis=None):
    """Indices of the maxima along ``dim`` (int64, no gradient), as ``torch.argmax``.

    Args:
        input: a tensor or an array.
        dim: an int, or None (the default) for the flattened tensor; NumPy: ``axis=``.
        keepdim: keep ``dim``, with length 1; False by default.

    Example::

        >>> mn.tensor([[1.0, 5.0], [7.0, 2.0]]).argmax(dim=1)
        tensor([1, 0], dtype=int64)
    """
    return _arg_extreme("argmax", input, dim, keepdim, axis)


def argmin(input, dim=None, keepdim=False, *, axis=None):
    """Indices of the minima, as ``torch.argmin``.

    Args:
        input, dim, keepdim, axis: as :func:`argmax`.

    Example::

        >>> mn.tensor([[1.0, 5.0], [7.0, 2.0]]).argmin(dim=1)
        tensor([0, 1], dtype=int64)
    """
    return _arg_extreme("argmin", input, dim, keepdim, axis)


# --------------------------------------------------------------------------- shapes

def reshape(input, *shape):
    """The same elements in a new shape, as ``Tensor.reshape`` (and ``view``).

    Args:
        input: a tensor or an array.
        shape: ``t.reshape(3, 2)`` or ``t.reshape((3, 2))``; one size may be -1, for what remains.

    Example::

        >>> mn.arange(6).reshape(-1, 2).shape
        (3, 2)
    """
    return ops.Reshape.apply(_as_tensor(input, "reshape"), shape=_shape_args(shape, "reshape"))


def permute(input, *dims):
    """The axes in the order ``dims``, as ``Tensor.permute`` (NumPy's ``transpose(axes)``).

    Args:
        input: a tensor or an array.
        dims: every axis once, as ints or one tuple; none reverses the axes.

    Shape:
        axis i of the result is axis ``dims[i]`` of ``input``.

    Example::

        >>> mn.zeros(2, 3, 4).permute(2, 0, 1).shape
        (4, 2, 3)
    """
    input = _as_tensor(input, "permute")
    if not dims:
        return ops.Transpose.apply(input, axes=None)
    dims = _shape_args(dims, "permute")
    axes = [_checked_dim(d, input.ndim, "permute") for d in dims]
    if sorted(axes) != list(range(input.ndim)):  # NumPy would say only "axes don't match array"
        raise ValueError(f"permute: dims {dims} are not an order of the {input.ndim} dims of a "
                         f"tensor of shape {input.shape}")
    return ops.Transpose.apply(input, axes=dims)


def transpose(input, *dims):
    """Swap axes ``dim0`` and ``dim1``, as ``torch.transpose``.

    Args:
        input: a tensor or an array.
        dims: ``dim0, dim1``; with none, or a full permutation of three or more axes, it is
            NumPy's ``transpose``, as minin had it.

    Example::

        >>> mn.zeros(2, 3, 4).transpose(0, 2).shape
        (4, 3, 2)
    """
    input = _as_tensor(input, "transpose")
    if len(dims) == 2 and builtins.all(isinstance(d, numbers.Integral) for d in dims):
        order = list(range(input.ndim))
        a, b = (_checked_dim(d, input.ndim, "transpose") for d in dims)
        order[a], order[b] = order[b], order[a]
        return ops.Transpose.apply(input, axes=tuple(order))
    return permute(input, *dims)


def t(input):
    """The transpose of a matrix, as ``torch.t``; a 0-D or 1-D tensor is returned as it is.

    Args:
        input: a tensor of at most 2 dimensions.

    Example::

        >>> mn.zeros(2, 3).t().shape
        (3, 2)
    """
    input = _as_tensor(input, "t")
    if input.ndim > 2:
        raise ValueError(f"t() takes a tensor of at most 2 dimensions, got shape {tuple(input.shape)}; "
                         "use transpose(dim0, dim1) or permute")
    return transpose(input, 0, 1) if input.ndim == 2 else input


def flatten(input, start_dim=0, end_dim=-1):
    """Merge the axes ``start_dim`` … ``end_dim`` into one, as ``torch.flatten``.

    Args:
        input: a tensor or an array.
        start_dim, end_dim: 0 and -1 (all axes) by default.

    Shape:
        (N, C, H, W) with start_dim=1 → (N, C·H·W); a 0-d tensor becomes (1,).

    Example::

        >>> mn.zeros(2, 3, 4, 5).flatten(1).shape
        (2, 60)
    """
    input = _as_tensor(input, "flatten")
    ndim = builtins.max(input.ndim, 1)
    start = _checked_dim(start_dim, input.ndim, "flatten", "start_dim")
    end = _checked_dim(end_dim, input.ndim, "flatten", "end_dim")
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    shape = input.shape if input.ndim else (1,)
    merged = int(np.prod(shape[start:end + 1], dtype=np.int64))
    return reshape(input, shape[:start] + (merged,) + shape[end + 1:ndim])


def unsqueeze(input, dim):
    """A new axis of length 1 at ``dim``, as ``torch.unsqueeze``.

    Args:
        input: a tensor or an array.
        dim: the new axis's index; it may be ``ndim``.

    Example::

        >>> mn.zeros(3).unsqueeze(0).shape
        (1, 3)
    """
    input = _as_tensor(input, "unsqueeze")
    dim = _checked_dim(dim, input.ndim + 1, "unsqueeze")
    return reshape(input, input.shape[:dim] + (1,) + input.shape[dim:])


def squeeze(input, dim=None):
    """Drop the axes of length 1, as ``torch.squeeze``.

    Args:
        input: a tensor or an array.
        dim: an int or several, to drop only those of them that have length 1; None (the
            default): all.

    Example::

        >>> mn.zeros(1, 3, 1).squeeze().shape, mn.zeros(1, 3, 1).squeeze((0, 1)).shape
        ((3,), (3, 1))
    """
    input = _as_tensor(input, "squeeze")
    if dim is None:
        return reshape(input, tuple(n for n in input.shape if n != 1))
    dims = _checked_dims("squeeze", tuple(dim) if isinstance(dim, list) else dim, input.ndim)
    dropped = {d for d in np.atleast_1d(dims) if input.shape[d] == 1} if input.ndim else set()
    if not dropped:
        return input
    return reshape(input, tuple(n for i, n in enumerate(input.shape) if i not in dropped))


def cat(tensors, dim=0, *, axis=_UNSET):
    """Join tensors along an existing axis, as ``torch.cat``.

    Args:
        tensors: a list or tuple of tensors.
        dim: the axis, 0 by default; NumPy: ``axis=``.

    Shape:
        the sizes along ``dim`` add up; all other sizes must match.

    Example::

        >>> mn.cat([mn.zeros(2, 3), mn.ones(4, 3)]).shape
        (6, 3)
    """
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"cat takes a list or tuple of tensors, got {type(tensors).__name__}")
    if not tensors:
        raise ValueError("cat needs at least one tensor")
    if not builtins.all(isinstance(t, Tensor) for t in tensors):
        kinds = sorted({type(t).__name__ for t in tensors if not isinstance(t, Tensor)})
        raise TypeError(f"cat takes tensors, got {', '.join(kinds)} among them")
    name = "dim" if axis is _UNSET else "axis"
    dim = dim if axis is _UNSET else axis
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise TypeError(f"cat: {name} must be an int, got {dim!r}")
    shapes = [t.shape for t in tensors]
    ndim = len(shapes[0])
    if ndim == 0:
        raise ValueError("cat: 0-d tensors have no axis to join along")
    if not -ndim <= dim < ndim:
        raise ValueError(f"cat: axis {dim} is out of range for {ndim} dimensions")
    d = dim % ndim
    if builtins.any(len(s) != ndim or s[:d] + s[d + 1:] != shapes[0][:d] + shapes[0][d + 1:] for s in shapes):
        raise ValueError(f"cat: shapes {shapes} do not match outside axis {dim}")
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = promote_types(dtype, t.dtype)  # PyTorch's table: float32 with int64 stays float32
    return ops.Concatenate.apply(*(_cast(t, dtype) for t in tensors), axis=d)


def stack(tensors, dim=0):
    """Join tensors of one shape along a new axis, as ``torch.stack``.

    Args:
        tensors: a list or tuple of tensors.
        dim: the new axis's index, 0 by default.

    Shape:
        n tensors of shape S give S with an axis of length n inserted at ``dim``.

    Example::

        >>> mn.stack([mn.zeros(2, 3), mn.ones(2, 3)], dim=1).shape
        (2, 2, 3)
    """
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)) or not tensors:
        raise TypeError("stack takes a non-empty list or tuple of tensors")
    return cat([unsqueeze(_as_tensor(t, "stack"), dim) for t in tensors], dim)


def expand(input, *sizes):
    """``input`` broadcast to ``sizes`` without a copy, as ``Tensor.expand``; -1 keeps an axis's
    length. The result is a view to read, not to write into.

    Args:
        input: a tensor.
        sizes: the new shape, as ints or one tuple; new axes may come first.

    Example::

        >>> mn.tensor([[1.0], [2.0]]).expand(2, 3)
        tensor([[1., 1., 1.],
                [2., 2., 2.]])
    """
    input = _as_tensor(input, "expand")
    sizes = _shape_args(sizes, "expand")
    lead = len(sizes) - input.ndim
    if lead < 0:
        raise ValueError(f"expand: {len(sizes)} sizes for a tensor of {input.ndim} dimensions")
    shape = tuple(n if n != -1 or i < lead else input.shape[i - lead] for i, n in enumerate(sizes))
    try:
        return ops.Expand.apply(input, shape=shape)
    except ValueError:
        raise ValueError(f"expand: shape {tuple(input.shape)} can't be expanded to {tuple(sizes)}; "
                         "only axes of length 1 stretch") from None


def repeat(input, *repeats):
    """``input`` repeated along each axis, as ``Tensor.repeat`` (NumPy's ``tile``).

    Args:
        input: a tensor.
        repeats: how many times along each axis, as ints or one tuple; at least one per axis
            (extra ones add leading axes).

    Example::

        >>> mn.tensor([1.0, 2.0]).repeat(2, 2)
        tensor([[1., 2., 1., 2.],
                [1., 2., 1., 2.]])
    """
    input = _as_tensor(input, "repeat")
    repeats = _shape_args(repeats, "repeat")
    if len(repeats) < input.ndim:
        raise ValueError(f"repeat: give at least one count per dimension ({input.ndim}), got {tuple(repeats)}")
    return ops.Tile.apply(input, reps=tuple(repeats))


def masked_fill(input, mask, value):
    """``input`` with ``value`` wherever ``mask`` is True, as ``Tensor.masked_fill``.

    Args:
        input: a tensor.
        mask: a bool tensor that broadcasts to input's shape.
        value: a number (or a 0-d tensor).

    Example::

        >>> x = mn.tensor([1.0, -2.0, 3.0])
        >>> x.masked_fill(x < 0, 0.0)
        tensor([1., 0., 3.])
    """
    input = _as_tensor(input, "masked_fill")
    value = value.item() if isinstance(value, Tensor) else value
    if not isinstance(value, numbers.Number):
        raise TypeError(f"masked_fill: value must be a number, got {type(value).__name__}")
    result = where(mask, _cast(Tensor(backend.get_array_module(input.data).asarray(value)), input.dtype), input)
    if result.shape != input.shape:
        raise ValueError(f"masked_fill: a mask of shape {tuple(_as_tensor(mask, 'masked_fill').shape)} "
                         f"doesn't broadcast to the input's shape {tuple(input.shape)}")
    return result


def split(tensor, split_size_or_sections, dim=0):
    """Cut ``tensor`` into pieces along ``dim``, as ``torch.split``: views, each with its share
    of the gradient.

    Args:
        tensor: a tensor.
        split_size_or_sections: an int, the length of each piece (the last may be shorter),
            or a list of lengths that add up to the axis's.
        dim: the axis (default 0).

    Example::

        >>> [t.tolist() for t in mn.arange(5).split(2)]
        [[0, 1], [2, 3], [4]]
    """
    tensor = _as_tensor(tensor, "split")
    dim = _checked_dim(dim, tensor.ndim, "split")
    length = tensor.shape[dim]
    if isinstance(split_size_or_sections, numbers.Integral) and not isinstance(split_size_or_sections, bool):
        if split_size_or_sections < 1:
            raise ValueError(f"split: the piece length must be positive, got {split_size_or_sections}")
        sizes = [builtins.min(split_size_or_sections, length - start)
                 for start in range(0, length, split_size_or_sections)] or [0]
    else:
        sizes = list(split_size_or_sections)
        if builtins.sum(sizes) != length or builtins.any(not isinstance(n, numbers.Integral) or n < 0 for n in sizes):
            raise ValueError(f"split: lengths {sizes} must be non-negative ints that add up to {length}, "
                             f"the length of dim {dim}")
    starts = np.cumsum([0] + sizes[:-1]).tolist()
    before = (slice(None),) * dim
    return tuple(tensor[before + (slice(s, s + n),)] for s, n in zip(starts, sizes))


def chunk(input, chunks, dim=0):
    """Cut ``input`` into ``chunks`` pieces of equal length along ``dim`` (the last shorter, and
    fewer pieces if the length runs out), as ``torch.chunk``.

    Args:
        input: a tensor.
        chunks: how many pieces, a positive int.
        dim: the axis (default 0).

    Example::

        >>> [t.shape for t in mn.zeros(5, 2).chunk(2)]
        [(3, 2), (2, 2)]
    """
    input = _as_tensor(input, "chunk")
    if not isinstance(chunks, numbers.Integral) or isinstance(chunks, bool) or chunks < 1:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    length = input.shape[_checked_dim(dim, input.ndim, "chunk")]
    return split(input, builtins.max(1, -(-length // chunks)), dim)


def _getitem(self, index):
    return ops.GetItem.apply(self, index=_plain_index(index))


# --------------------------------------------------------------------------- conversions

def _is_dtype(value):
    if isinstance(value, (str, _device)):
        return False
    try:
        np.dtype(value)
    except TypeError:
        return False
    return True


def to(self, *args, **kwargs):
    """This tensor on another device or backend, in another dtype, or both (PyTorch's
    ``to``): ``t.to("cuda")``, ``t.to(device)``, ``t.to(minin.float64)``, ``t.to(other)``,
    ``t.to("cupy")``. ``self`` if nothing changes. Differentiable, as in PyTorch.

    Example::

        >>> mn.ones(2).to(mn.float64)
        tensor([1., 1.], dtype=float64)
    """
    where = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to() got unexpected arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            where, dtype = arg.device, arg.dtype
        elif _is_dtype(arg):
            dtype = arg
        elif isinstance(arg, (str, _device)):
            where = arg
        else:
            raise TypeError(f"to() takes a device, a backend name or a dtype, got {arg!r}")
    result = self
    if where is not None:
        name = backend_of(where)  # a clear error if the device is unavailable
        if name != result.backend:
            result = ops.ToBackend.apply(result, name=name)
    if dtype is not None and np.dtype(dtype) != result.dtype:
        result = ops.Cast.apply(result, dtype=np.dtype(dtype))
    return result


def _astype(self, dtype):
    """A copy in ``dtype``; differentiable, like PyTorch's ``.to(dtype)``."""
    return ops.Cast.apply(self, dtype=dtype)


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor",
               "uint8": "ByteTensor", "bool": "BoolTensor"}


def _type(self, dtype=None):
    """Without an argument, the type's name as PyTorch spells it ('minin.FloatTensor');
    with a dtype, a copy in that dtype."""
    if dtype is None:
        return "minin." + _TYPE_NAMES.get(self.dtype.name, self.dtype.name)
    if isinstance(dtype, str):  # t.type('torch.FloatTensor'): the import rule leaves strings as they are
        return self.to(*_named_type(dtype))
    return self.to(dtype)


def _named_type(name):
    """The dtype (and device, for 'torch.cuda.FloatTensor') a type's name stands for."""
    prefix, _, short = name.rpartition(".")
    dtypes = {type_name: np.dtype(dtype) for dtype, type_name in _TYPE_NAMES.items()}
    if short not in dtypes or prefix not in ("torch", "minin", "torch.cuda", "minin.cuda"):
        raise ValueError(f"type(): unknown type name {name!r}; expected a name such as "
                         "'torch.FloatTensor' or 'torch.LongTensor', or a dtype such as minin.float32")
    return (dtypes[short], "cuda") if prefix.endswith("cuda") else (dtypes[short],)


def clone(input):
    """A copy that stays in the graph (the gradient flows back to ``input``), as ``torch.clone``.

    Args:
        input: a tensor or an array.

    Example::

        >>> mn.tensor([1.0, 2.0]).clone()
        tensor([1., 2.])
    """
    return ops.Copy.apply(_as_tensor(input, "clone"))


def numel(input):
    """The number of elements, as ``torch.numel``.

    Args:
        input: a tensor or an array.

    Example::

        >>> mn.numel(mn.zeros(2, 3))
        6
    """
    return _as_tensor(input, "numel").numel()


def _comparison(name):
    compare = getattr(operator, name.strip("_"))

    def method(self, other):
        if other is None:  # `t == None` is a question about t, as in PyTorch
            return name == "__ne__"
        if not isinstance(other, (Tensor, numbers.Real, list, tuple)) and not backend.is_array(other):
            return NotImplemented  # Python's answer, as PyTorch's: == is False, < a TypeError
        try:
            return Tensor(compare(self.data, _data(_operand(other))))
        except ValueError as exc:
            raise _broadcast_error(name.strip("_"), self, other, exc) from None
    return method


def _comparison_method(name):
    """``t.eq(other)`` and the like: the operator, but a TypeError for what isn't a number."""
    compare = _comparison(f"__{name}__")

    def method(self, other):
        result = compare(self, other)
        if not isinstance(result, Tensor):
            raise TypeError(f"{name}: expected a tensor, an array or a number, got {type(other).__name__}")
        return result
    method.__name__ = name
    return method


# --------------------------------------------------------------------------- in place

def _needs_graph(self, other, op):
    """Whether changing ``self`` by ``other`` must be recorded for autograd. A leaf that
    requires grad can't change in place while it is (PyTorch's rule): its gradient would
    be for values it no longer holds."""
    if not is_grad_enabled():
        return False
    if self._requires_grad and self._ctx is None:
        raise RuntimeError(f"{op}: a leaf tensor that requires grad can't be changed in place while "
                           "gradients are recorded; do it inside `with minin.no_grad():` (as an "
                           "optimizer step does), or on t.detach()")
    return self._requires_grad or (isinstance(other, Tensor) and other._requires_grad)


def _not_in_graph(op):
    return RuntimeError(f"{op}: minin does not record in-place changes for autograd, and this one "
                        "would need it (the tensor or the value requires grad); compute a new "
                        "tensor instead, e.g. x = x + y or x = x * mask")


_IN_PLACE = {ops.Add: ("add", "add_", "+="), ops.Sub: ("subtract", "sub_", "-="),
             ops.Mul: ("multiply", "mul_", "*="), ops.Div: ("true_divide", "div_", "/=")}


def _in_place(function, rebinds):
    """``t += other`` (``rebinds``: Python assigns the result back to the name) or
    ``t.add_(other)``: written into t's array, which views and ``from_numpy`` arrays share,
    as in PyTorch. Where autograd needs a record, ``+=`` computes a new tensor instead."""
    ufunc, method_name, symbol = _IN_PLACE[function]
    op = symbol if rebinds else method_name

    def method(self, other):
        other = _operand(other)
        if _needs_graph(self, other, op):
            if rebinds:
                return _arithmetic(function, self, other)
            raise _not_in_graph(op)
        dtype = _arithmetic_dtype(function, op, self, other)
        if _category(dtype) > _category(self.dtype):  # PyTorch's can_cast: no float into ints
            raise TypeError(f"{op}: the result has dtype {dtype}, which can't be stored in place in "
                            f"a tensor of dtype {self.dtype}")
        shape = np.shape(_data(other))
        if np.broadcast_shapes(self.shape, shape) != self.shape:
            raise ValueError(f"{op}: an operand of shape {shape} doesn't broadcast to the "
                             f"tensor's shape {self.shape}")
        xp = backend.get_array_module(self.data)
        getattr(xp, ufunc)(self.data, _data(other), out=self.data, casting="unsafe")
        self._version[0] += 1
        return self
    return method


def _setitem(self, index, value, op="index assignment"):
    """``t[index] = value``, as in PyTorch: written into t's array, the value cast to t's dtype."""
    value = _operand(value)
    if _needs_graph(self, value, op):
        raise _not_in_graph(op)
    _arithmetic_dtype(ops.Add, op, self, value)  # a TypeError for what isn't a number
    try:
        self.data[_plain_index(index)] = _data(value)
    except ValueError as exc:  # NumPy's "could not broadcast input array from shape ..."
        raise ValueError(f"{op}: {exc}") from None
    self._version[0] += 1


def fill_(self, value):
    """Fill with ``value`` in place, as ``Tensor.fill_``; returns the tensor.

    Args:
        value: a number, cast to the tensor's dtype.

    Example::

        >>> mn.zeros(2).fill_(7)
        tensor([7., 7.])
    """
    _setitem(self, Ellipsis, value, "fill_")
    return self


def copy_(self, src):
    """Copy ``src``'s values into this tensor in place, as ``Tensor.copy_``; returns the tensor.

    Args:
        src: a tensor, an array or a number that broadcasts to this tensor's shape; its
            values are cast to this tensor's dtype and moved to its device.

    Example::

        >>> mn.zeros(2).copy_(mn.tensor([1.0, 2.0]))
        tensor([1., 2.])
    """
    src = src.data if isinstance(src, Tensor) else src
    if backend.is_array(src):
        src = backend.to_backend(src, self.backend)
    _setitem(self, Ellipsis, src, "copy_")
    return self


def uniform_(self, a=0.0, b=1.0):
    """Fill in place with uniform random numbers in [a, b), as ``Tensor.uniform_``, drawn from
    minin's generator; returns the tensor.

    Args:
        a, b: the interval (default [0, 1)).

    Example::

        >>> t = mn.empty(1000).uniform_(-1, 1)
        >>> bool((t >= -1).all() and (t < 1).all())
        True
    """
    draw = backend.generator(self.backend).random(self.shape)
    _setitem(self, Ellipsis, draw * (b - a) + a, "uniform_")
    return self


def normal_(self, mean=0.0, std=1.0):
    """Fill in place with normal random numbers N(mean, std²), as ``Tensor.normal_``, drawn
    from minin's generator; returns the tensor.

    Args:
        mean, std: the distribution's (default 0 and 1).

    Example::

        >>> mn.empty(3, 4).normal_(0, 0.01).shape
        (3, 4)
    """
    draw = backend.generator(self.backend).standard_normal(self.shape)
    _setitem(self, Ellipsis, draw * std + mean, "normal_")
    return self


def zero_(self):
    """Fill with zeros in place, as ``Tensor.zero_``; returns the tensor.

    Example::

        >>> mn.ones(2).zero_()
        tensor([0., 0.])
    """
    return fill_(self, 0)


# --------------------------------------------------------------------------- binding

def install():
    """Attach the operators and methods to Tensor (run once, by ``minin/__init__.py``).

    Example::

        >>> mn.Tensor.sum is mn.operators.sum, mn.Tensor.view is mn.operators.reshape
        (True, True)
    """
    def reflected(function):  # other + self, other - self, ...: other comes first
        return lambda self, other: _arithmetic(function, _operand(other), self)

    methods = {
        "__add__": add, "__radd__": reflected(ops.Add), "__sub__": sub, "__rsub__": reflected(ops.Sub),
        "__mul__": mul, "__rmul__": reflected(ops.Mul), "__truediv__": div,
        "__rtruediv__": reflected(ops.Div), "__neg__": neg,
        "__pow__": pow, "__rpow__": lambda self, other: pow(_operand(other), self),
        "__abs__": abs, "__matmul__": matmul, "__rmatmul__": lambda self, other: ops.MatMul.apply(_operand(other), self),
        "__getitem__": _getitem, "__setitem__": _setitem, "fill_": fill_, "zero_": zero_,
        "copy_": copy_, "uniform_": uniform_, "normal_": normal_,
        **{f"__i{name}__": _in_place(function, True) for name, function in
           (("add", ops.Add), ("sub", ops.Sub), ("mul", ops.Mul), ("truediv", ops.Div))},
        **{_IN_PLACE[function][1]: _in_place(function, False) for function in _IN_PLACE},
        **{name: _comparison(name) for name in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__")},
        **{name: _comparison_method(name) for name in ("eq", "ne", "lt", "le", "gt", "ge")},
        "view_as": lambda self, other: reshape(self, other.shape),
        "reshape_as": lambda self, other: reshape(self, other.shape),
        "add": add, "sub": sub, "mul": mul, "div": div, "matmul": matmul, "neg": neg,
        "mm": mm, "mv": mv, "dot": dot, "t": t, "norm": norm, "cumsum": cumsum,
        "gather": gather, "sort": sort, "argsort": argsort, "topk": topk, "expand": expand,
        "repeat": repeat, "masked_fill": masked_fill, "split": split, "chunk": chunk,
        "sum": sum, "mean": mean, "var": var, "std": std, "all": all, "any": any,
        "allclose": allclose, "equal": equal, "max": max, "min": min, "amax": amax, "amin": amin,
        "argmax": argmax, "argmin": argmin, "exp": exp, "log": log, "relu": relu,
        "softmax": softmax, "log_softmax": log_softmax, "sigmoid": sigmoid, "tanh": tanh, "abs": abs, "sqrt": sqrt, "pow": pow, "clamp": clamp,
        "clip": clip,
        "reshape": reshape, "view": reshape, "permute": permute, "transpose": transpose,
        "flatten": flatten, "unsqueeze": unsqueeze, "squeeze": squeeze,
        "T": property(lambda self: permute(self)),
        "contiguous": lambda self: self,  # every operation takes any memory order
        "to": to, "astype": _astype, "type": _type, "clone": clone,
        "float": lambda self: _astype(self, np.float32), "double": lambda self: _astype(self, np.float64),
        "long": lambda self: _astype(self, np.int64), "int": lambda self: _astype(self, np.int32),
        "cpu": lambda self: self.to("numpy"), "cuda": lambda self: self.to("cupy"),
        "backward": run_backward,
    }
    for name, method in methods.items():
        setattr(Tensor, name, method)
    Tensor.__hash__ = object.__hash__  # defining __eq__ does not take hashing away from tensors
