"""The Tensor: an array on one backend, plus what autograd needs to know about it.

This file holds what a Tensor *is* (its data, gradient, shape, dtype, device) and how
it turns into Python and NumPy values. What a Tensor *does* (arithmetic, reductions,
reshaping, ``backward``) is attached to the class in :mod:`minin.operators`, once the
Functions those methods call are defined, so that no file here imports another in a
circle.
"""

import numbers

import numpy as np

from . import backend
from .device import device as _device

DEFAULT_DTYPE = np.float32


def _convert(data, dtype, copy):
    """Turn ``data`` into an array on the current backend, with PyTorch's dtype rules:
    Python floats become float32, Python ints int64 and bools bool, and arrays keep
    their dtype; anything that is not real numbers (strings, complex numbers, dates,
    objects) is refused, whether it comes as a list or as an array."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.generic):  # a NumPy scalar, e.g. from a full reduction: keep its dtype
        data = np.asarray(data)
    what = "an array" if backend.is_array(data) else f"data of type {type(data).__name__}"
    if not backend.is_array(data):
        try:
            data = np.asarray(data)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"cannot make a tensor from {type(data).__name__}: {exc}") from None
        _check_real(data.dtype, what)
        if dtype is None and data.dtype == np.float64:
            data = data.astype(DEFAULT_DTYPE)  # Python floats are float32 in minin
        copy = False
    _check_real(data.dtype, what)
    array = backend.to_backend(data, backend.current())
    if dtype is not None:
        array = array.astype(dtype, copy=copy)
    elif copy:
        array = array.copy()
    return array


def _check_real(dtype, what):
    if dtype.kind not in "biuf":  # bool, signed and unsigned integers, floats
        raise TypeError(f"cannot make a tensor from {what} (NumPy sees dtype {dtype}); expected numbers")


class Tensor:
    """An n-dimensional array with an optional gradient, as ``torch.Tensor``.

    A tensor made by an operation on tensors that require gradients remembers that
    operation in ``_ctx`` (a :class:`minin.Function`); ``backward()`` follows these links.
    ``mn.tensor(data)`` is the usual way to make one (it copies ``data``).

    Args:
        data: a backend array, kept as it is (not copied); anything else is converted as
            ``tensor`` converts it.
        requires_grad: whether ``backward()`` computes a gradient for it (default False;
            floating-point tensors only, TypeError otherwise).

    Attributes:
        data: the backend array (numpy.ndarray or cupy.ndarray).
        grad: an array of the same shape once ``backward()`` has reached it, else None.

    Example::

        >>> t = mn.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        >>> t.size(), t.numel(), t.dtype, t.device
        ((2, 2), 4, dtype('float32'), device(type='cpu'))
    """

    __slots__ = ("data", "grad", "_requires_grad", "_ctx", "_version", "__weakref__")
    __array_priority__ = 1000  # make ndarray + Tensor call Tensor.__radd__

    def __init__(self, data, requires_grad=False):
        if not backend.is_array(data):  # a NumPy scalar keeps its dtype, as in _convert
            data = np.asarray(data) if isinstance(data, np.generic) else _convert(data, None, copy=False)
        _check_real(data.dtype, "an array")
        # _version counts in-place changes to the memory, shared with views of it (function.py)
        self.data, self.grad, self._ctx, self._version = data, None, None, [0]
        self.requires_grad = requires_grad

    # ----------------------------------------------------------------- info
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    backend = property(lambda self: backend.name_of(self.data), doc="'numpy' or 'cupy'")

    @property
    def device(self):
        """Where the data lives, as PyTorch names it: device('cpu') or device('cuda', k)."""
        return _device.of(self.data)

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        # an integer tensor's gradient would be computed in integers, silently rounded to 0
        if flag and not np.issubdtype(self.data.dtype, np.floating):
            raise TypeError(f"only floating-point tensors can require gradients, got dtype "
                            f"{self.data.dtype}; convert first, e.g. t.float()")
        self._requires_grad = bool(flag)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place and return the tensor (as in PyTorch)."""
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        return self._ctx is None

    @property
    def grad_fn(self):
        """The operation that made this tensor (the :class:`minin.Function` that backward runs
        through), or None for a leaf, as PyTorch's ``grad_fn``."""
        return self._ctx

    is_cuda = property(lambda self: self.backend == "cupy", doc="Whether the data is on the GPU.")

    def size(self, dim=None):
        """The shape as a tuple, or its length along ``dim`` (PyTorch's ``size``)."""
        if dim is None:
            return self.data.shape
        return self.data.shape[_checked_dim(dim, self.ndim, "size")]

    def numel(self):
        """The number of elements (NumPy's ``a.size``)."""
        return int(self.data.size)

    def dim(self):
        """The number of dimensions (``ndim``)."""
        return self.data.ndim

    def __array__(self, dtype=None, copy=None):
        """NumPy's view of a CPU tensor (np.asarray(t)); a GPU tensor needs .numpy()."""
        if self.backend != "numpy":
            raise TypeError("a tensor on the GPU does not turn into a NumPy array implicitly; "
                            "call .numpy() to copy it to the host")
        if copy:
            return self.data.astype(dtype or self.dtype, copy=True)
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self)))

    # ----------------------------------------------------- to Python values
    def _one_value(self, what):
        if self.data.size != 1:
            raise ValueError(f"{what} needs a tensor with one element, this one has shape {self.shape}")
        return self.data.item()

    def item(self):
        """The value of a one-element tensor as a Python number."""
        return self._one_value("item()")

    def __bool__(self):
        return bool(self._one_value("the truth value of a tensor"))

    def __float__(self):
        return float(self._one_value("float()"))

    def __int__(self):
        return int(self._one_value("int()"))

    def __index__(self):
        """Lets a one-element integer tensor index a list or tuple, as in PyTorch."""
        if not (np.issubdtype(self.dtype, np.integer) or self.dtype == bool):
            raise TypeError(f"only integer tensors can be used as an index, got dtype {self.dtype}")
        return int(self._one_value("an index"))

    def tolist(self):
        return backend.asnumpy(self.data).tolist()

    def numpy(self):
        """A C-contiguous NumPy copy of the data (from either backend)."""
        return np.array(backend.asnumpy(self.data), copy=True, order="C")

    def __repr__(self):
        body = np.array2string(backend.asnumpy(self.data), separator=", ", precision=4,
                               prefix="tensor(")
        extra = ""
        if self.dtype != DEFAULT_DTYPE:
            extra += f", dtype={self.dtype}"
        if self.backend != "numpy":
            extra += f", backend='{self.backend}'"
        if self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    # ------------------------------------------------------------ graph
    def detach(self):
        """The same data, cut off from the graph."""
        result = Tensor(self.data)
        result._version = self._version  # the same memory: a change to one is a change to both
        return result

    def zero_grad(self):
        self.grad = None

    __hash__ = object.__hash__


class DimensionError(IndexError, ValueError):
    """A dim outside the tensor's dimensions (PyTorch raises IndexError, NumPy ValueError)."""


def _checked_dim(dim, ndim, op, name="dim"):
    """``dim`` as a non-negative axis of an ``ndim``-dimensional tensor, or a clear error."""
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(f"{op}: {name} must be an int, got {dim!r}")
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise DimensionError(f"{op}: {name} {dim} is out of range for {ndim} dimensions")
    return int(dim) % max(ndim, 1)


def tensor(data, requires_grad=False, dtype=None, device=None):
    """A new leaf tensor holding a copy of ``data``, as ``torch.tensor``.

    Python floats become float32, Python ints int64 and bools bool, unless ``dtype`` says
    otherwise; arrays keep their dtype (gradient checks use float64). Data that is not
    real numbers (strings, complex numbers, objects) raises TypeError.

    Args:
        data: a number, a (nested) list, a NumPy or CuPy array, or a Tensor.
        requires_grad: whether ``backward()`` computes a gradient for it (default False;
            floating point only).
        dtype: the NumPy dtype to convert to (default None: as above).
        device: a ``device`` or a string such as "cpu" or "cuda" (default None: the
            current backend).

    Example::

        >>> mn.tensor([1.5, 2]).dtype, mn.tensor([0, 2]).dtype, mn.tensor(np.arange(3, dtype=np.uint8)).dtype
        (dtype('float32'), dtype('int64'), dtype('uint8'))
    """
    result = Tensor(_convert(data, dtype, copy=True), requires_grad=requires_grad)
    if device is not None:
        result.data = backend.to_backend(result.data, _device(device).backend)
    return result


def zero_grads(tensors, set_to_none=True):
    """What ``zero_grad`` does, for a module's or an optimizer's parameters.

    Args:
        tensors: an iterable of tensors.
        set_to_none: set each gradient to None (True, the default), or fill the existing
            ones with zeros in place (False).

    Example::

        >>> from minin.tensor import zero_grads
        >>> w = mn.ones(2, requires_grad=True)
        >>> w.sum().backward()
        >>> zero_grads([w], set_to_none=False)
        >>> w.grad
        array([0., 0.], dtype=float32)
        >>> zero_grads([w])
        >>> w.grad is None
        True
    """
    for t in tensors:
        if set_to_none or t.grad is None:
            t.grad = None
        else:
            t.grad[...] = 0
