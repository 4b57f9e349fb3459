"""The Tensor: an array on one backend, plus what autograd needs to know about it."""

import numbers

import numpy as np

from . import backend

DEFAULT_DTYPE = np.float32


def _is_array(obj):
    return isinstance(obj, np.ndarray) or backend.name_of(obj) == "cupy"


def _convert(data, dtype, copy):
    """Turn ``data`` into an array on the current backend, with minin's dtype rules:
    integers, booleans and Python floats become float32; float arrays keep their dtype."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.generic):  # a NumPy scalar, e.g. from a full reduction: keep its dtype
        data = np.asarray(data)
    if _is_array(data):
        array = backend.to_backend(data, backend.current())
    else:
        try:
            array = np.asarray(data)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"cannot make a tensor from {type(data).__name__}: {exc}") from None
        if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
            raise TypeError(f"cannot make a tensor from data of type {type(data).__name__} "
                            f"(NumPy sees dtype {array.dtype}); expected numbers")
        if dtype is None and array.dtype == np.float64:
            array = array.astype(DEFAULT_DTYPE)  # Python floats are float32 in minin
        array = backend.to_backend(array, backend.current())
        copy = False
    if dtype is None and not np.issubdtype(array.dtype, np.floating):
        dtype = DEFAULT_DTYPE
    if dtype is not None:
        array = array.astype(dtype, copy=copy)
    elif copy:
        array = array.copy()
    return array


class Tensor:
    """An n-dimensional array with an optional gradient.

    ``data`` is the backend array (numpy.ndarray or cupy.ndarray). A tensor made by
    an operation on tensors that require gradients remembers that operation in
    ``_ctx`` (a :class:`minin.Function`); ``backward()`` follows these links.
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "__weakref__")
    __array_priority__ = 1000  # make ndarray + Tensor call Tensor.__radd__

    def __init__(self, data, requires_grad=False):
        if isinstance(data, np.generic):
            data = np.asarray(data)
        elif not _is_array(data):
            data = _convert(data, None, copy=False)
        if requires_grad and not np.issubdtype(data.dtype, np.floating):
            raise TypeError(f"only floating-point tensors can require gradients, got dtype {data.dtype}")
        self.data = data
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._ctx = None

    # ----------------------------------------------------------------- info
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size)
    backend = property(lambda self: backend.name_of(self.data), doc="'numpy' or 'cupy'")

    @property
    def is_leaf(self):
        return self._ctx is None

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

    def __bool__(self):
        return bool(self.data)

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

    # ---------------------------------------------------------- conversion
    def numpy(self):
        """A C-contiguous NumPy copy of the data (from either backend)."""
        return np.array(backend.asnumpy(self.data), copy=True, order="C")

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        return self.data.item()

    def tolist(self):
        return backend.asnumpy(self.data).tolist()

    def detach(self):
        """The same data, cut off from the graph."""
        return Tensor(self.data)

    def to(self, name):
        """This tensor on backend ``name`` ("numpy" or "cupy"), ``self`` if already there.
        Differentiable, as in PyTorch: a gradient of the copy flows back to ``self``."""
        if not isinstance(name, str):
            raise TypeError(f"to() takes a backend name, 'numpy' or 'cupy', got {name!r} "
                            "(for a dtype use astype)")
        if name == self.backend:
            return self
        backend.module(name)  # fails clearly if the backend is unavailable
        return _ops.ToBackend.apply(self, name=name)

    def astype(self, dtype):
        """A copy in ``dtype``; differentiable, like PyTorch's ``.to(dtype)``."""
        return _ops.Cast.apply(self, dtype=dtype)

    def float(self):
        return self.astype(np.float32)

    def double(self):
        return self.astype(np.float64)

    def zero_grad(self):
        self.grad = None

    # ------------------------------------------------------------ autograd
    def backward(self, grad=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) into the ``.grad`` of every leaf that requires it.

        ``grad`` is the gradient flowing into ``self``; it may be left out for a scalar.
        """
        from .function import run_backward
        run_backward(self, grad, retain_graph)

    # ------------------------------------------------------------ arithmetic
    def __add__(self, other):
        return _ops.Add.apply(self, _operand(other))

    def __radd__(self, other):
        return _ops.Add.apply(_operand(other), self)

    def __sub__(self, other):
        return _ops.Sub.apply(self, _operand(other))

    def __rsub__(self, other):
        return _ops.Sub.apply(_operand(other), self)

    def __mul__(self, other):
        return _ops.Mul.apply(self, _operand(other))

    def __rmul__(self, other):
        return _ops.Mul.apply(_operand(other), self)

    def __truediv__(self, other):
        return _ops.Div.apply(self, _operand(other))

    def __rtruediv__(self, other):
        return _ops.Div.apply(_operand(other), self)

    def __neg__(self):
        return _ops.Neg.apply(self)

    def __pow__(self, exponent):
        if not isinstance(exponent, numbers.Real):
            raise TypeError(f"a tensor can only be raised to a constant number, got {type(exponent).__name__}")
        if isinstance(exponent, np.generic):
            exponent = exponent.item()  # a NumPy scalar would upcast float32 data
        return _ops.Pow.apply(self, exponent=exponent)

    def __matmul__(self, other):
        return _ops.MatMul.apply(self, _operand(other))

    def __rmatmul__(self, other):
        return _ops.MatMul.apply(_operand(other), self)

    def __getitem__(self, index):
        return _ops.GetItem.apply(self, index=_plain_index(index))

    # comparisons give plain boolean tensors (no gradient flows through them)
    def __eq__(self, other):
        if other is None:  # `t == None` is a question about t, as in PyTorch
            return False
        return Tensor(self.data == _data(other))

    def __ne__(self, other):
        if other is None:
            return True
        return Tensor(self.data != _data(other))

    def __lt__(self, other):
        return Tensor(self.data < _data(other))

    def __le__(self, other):
        return Tensor(self.data <= _data(other))

    def __gt__(self, other):
        return Tensor(self.data > _data(other))

    def __ge__(self, other):
        return Tensor(self.data >= _data(other))

    __hash__ = object.__hash__

    # ------------------------------------------------------------ reductions
    def sum(self, axis=None, keepdims=False):
        return _ops.Sum.apply(self, axis=_axes(axis), keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return _ops.Mean.apply(self, axis=_axes(axis), keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return _ops.Max.apply(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis=None):
        """Indices of the maxima (int64, no gradient)."""
        return Tensor(self.data.argmax(axis=axis).astype(np.int64))

    # ------------------------------------------------------------ elementwise
    def exp(self):
        return _ops.Exp.apply(self)

    def log(self):
        return _ops.Log.apply(self)

    def relu(self):
        return _ops.ReLU.apply(self)

    # ------------------------------------------------------------ shape
    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _ops.Reshape.apply(self, shape=shape)

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _ops.Transpose.apply(self, axes=axes or None)

    @property
    def T(self):
        return self.transpose()

    def flatten(self, start_dim=0):
        from .functional import flatten
        return flatten(self, start_dim)


def _axes(axis):
    """An axis argument as NumPy takes it: a list of axes (PyTorch takes those) as a tuple."""
    return tuple(axis) if isinstance(axis, list) else axis


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


def tensor(data, requires_grad=False, dtype=None):
    """A new leaf tensor on the current backend, holding a copy of ``data``.

    Python numbers, lists, integer and boolean arrays become float32 unless ``dtype``
    says otherwise; float arrays keep their dtype (gradient checks use float64).
    """
    return Tensor(_convert(data, dtype, copy=True), requires_grad=requires_grad)


def cat(tensors, axis=0):
    """Concatenate tensors along ``axis`` (differentiable)."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"cat takes a list or tuple of tensors, got {type(tensors).__name__}")
    if not tensors:
        raise ValueError("cat needs at least one tensor")
    if not all(isinstance(t, Tensor) for t in tensors):
        kinds = sorted({type(t).__name__ for t in tensors if not isinstance(t, Tensor)})
        raise TypeError(f"cat takes tensors, got {', '.join(kinds)} among them")
    if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
        raise TypeError(f"cat: axis must be an int, got {axis!r}")
    shapes = [t.shape for t in tensors]
    ndim = len(shapes[0])
    if ndim == 0:
        raise ValueError("cat: 0-d tensors have no axis to join along")
    if not -ndim <= axis < ndim:
        raise ValueError(f"cat: axis {axis} is out of range for {ndim} dimensions")
    if any(len(s) != ndim for s in shapes) or any(
            s[:axis % ndim] + s[axis % ndim + 1:] != shapes[0][:axis % ndim] + shapes[0][axis % ndim + 1:]
            for s in shapes):
        raise ValueError(f"cat: shapes {shapes} do not match outside axis {axis}")
    return _ops.Concatenate.apply(*tensors, axis=axis)


from . import ops as _ops  # noqa: E402  (ops need Tensor, defined above)
