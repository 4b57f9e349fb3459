"""New tensors, made as PyTorch makes them: ``zeros``, ``ones``, ``full``, ``rand``,
``randn``, ``normal``, ``randint``, ``randperm``, ``arange``, ``linspace``, ``eye``,
``from_numpy`` and the ``*_like`` forms.

Each takes ``dtype=``, ``device=`` ("cpu", "cuda", a ``minin.device``, or minin's backend
names) and ``requires_grad=``; random ones draw from minin's seeded generator, so
``minin.manual_seed`` fixes them.

Example::

    >>> mn.zeros(2, 3).shape, mn.arange(4), mn.full((2,), 7)
    ((2, 3), tensor([0, 1, 2, 3], dtype=int64), tensor([7, 7], dtype=int64))
    >>> mn.rand(2, 2, dtype=mn.float64).dtype
    dtype('float64')
"""

import numbers

import numpy as np

from . import backend
from ._checks import is_int
from .device import backend_of
from .operators import _shape_args
from .promotion import result_type
from .tensor import DEFAULT_DTYPE, Tensor


def _size(shape, size, op):
    """The shape from ``f(2, 3)``, ``f((2, 3))`` or ``f(size=(2, 3))``."""
    if size is not None:
        if shape:
            raise TypeError(f"{op}: give the sizes or size=, not both")
        shape = (size,)
    return _shape_args(shape, op)


def _new(array, requires_grad):
    return Tensor(array, requires_grad=requires_grad)


def _xp(device):
    return backend.module(backend.current() if device is None else backend_of(device))


def zeros(*shape, size=None, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros, as ``torch.zeros``.

    Args:
        shape, size: ``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros(size=(2, 3))``.
        dtype, device, requires_grad: float32, the current backend and False by default.

    Example::

        >>> mn.zeros(2, 3).shape
        (2, 3)
    """
    return _new(_xp(device).zeros(_size(shape, size, "zeros"), dtype=dtype or DEFAULT_DTYPE), requires_grad)


def ones(*shape, size=None, dtype=None, device=None, requires_grad=False):
    """A tensor of ones, as ``torch.ones``.

    Args:
        shape, size, dtype, device, requires_grad: as :func:`zeros`.

    Example::

        >>> mn.ones(2, dtype=mn.int64)
        tensor([1, 1], dtype=int64)
    """
    return _new(_xp(device).ones(_size(shape, size, "ones"), dtype=dtype or DEFAULT_DTYPE), requires_grad)


def empty(*shape, size=None, dtype=None, device=None, requires_grad=False):
    """A tensor whose values are whatever the memory held, as ``torch.empty``.

    Args:
        shape, size, dtype, device, requires_grad: as :func:`zeros`.

    Example::

        >>> mn.empty(2, 3).dtype
        dtype('float32')
    """
    return _new(_xp(device).empty(_size(shape, size, "empty"), dtype=dtype or DEFAULT_DTYPE), requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor of shape ``size`` filled with ``fill_value``, as ``torch.full``.

    Args:
        size, fill_value: e.g. ``(2, 3)`` and ``7``.
        dtype: by default the value's: int64 for an int, bool for a bool, float32 for a float.
        device, requires_grad: as :func:`zeros`.

    Example::

        >>> mn.full((2,), 7), mn.full((2,), 0.5)
        (tensor([7, 7], dtype=int64), tensor([0.5, 0.5]))
    """
    if dtype is None:
        dtype = (np.bool_ if isinstance(fill_value, (np.bool_, type(True)))
                 else np.int64 if isinstance(fill_value, numbers.Integral) else DEFAULT_DTYPE)
    return _new(_xp(device).full(_shape_args((size,), "full"), fill_value, dtype=dtype), requires_grad)


def _like(make, input, dtype, device, requires_grad, *values):
    """``make`` a tensor in ``input``'s shape, with its dtype and device unless others are given."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{make.__name__}_like takes a Tensor, got {type(input).__name__}")
    return make(input.shape, *values, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def zeros_like(input, dtype=None, device=None, requires_grad=False):
    """Zeros in ``input``'s shape, dtype and device, as ``torch.zeros_like``.

    Args:
        input: a tensor.
        dtype, device: if given, instead of ``input``'s.
        requires_grad: False by default.

    Example::

        >>> mn.zeros_like(mn.arange(3))
        tensor([0, 0, 0], dtype=int64)
    """
    return _like(zeros, input, dtype, device, requires_grad)


def ones_like(input, dtype=None, device=None, requires_grad=False):
    """Ones in ``input``'s shape, dtype and device, as ``torch.ones_like``.

    Args:
        input, dtype, device, requires_grad: as :func:`zeros_like`.

    Example::

        >>> mn.ones_like(mn.zeros(2, 3)).shape
        (2, 3)
    """
    return _like(ones, input, dtype, device, requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False):
    """``fill_value`` in ``input``'s shape, dtype and device, as ``torch.full_like``.

    Args:
        input, dtype, device, requires_grad: as :func:`zeros_like`.
        fill_value: a number, cast to the dtype.

    Example::

        >>> mn.full_like(mn.zeros(2), 7)
        tensor([7., 7.])
    """
    return _like(full, input, dtype, device, requires_grad, fill_value)


def _random(draw, size, dtype, device, requires_grad, op):
    dtype = np.dtype(dtype or DEFAULT_DTYPE)
    if dtype.kind != "f":
        raise TypeError(f"{op} makes floating-point tensors, got dtype {dtype}")
    name = backend.current() if device is None else backend_of(device)
    array = draw(backend.generator(name), size, dtype)
    return _new(array, requires_grad)


def _floats(generator, method, shape, dtype):
    """Draw in float32 or float64 (what NumPy's and CuPy's generators make), then cast."""
    drawn = np.float64 if dtype == np.float64 else np.float32
    return getattr(generator, method)(shape, dtype=drawn).astype(dtype, copy=False)


def rand(*shape, size=None, dtype=None, device=None, requires_grad=False):
    """Uniform random numbers in [0, 1), as ``torch.rand``.

    Args:
        shape, size, dtype, device, requires_grad: as :func:`zeros`; dtype must be floating point.

    Example::

        >>> mn.rand(2, 3).shape
        (2, 3)
    """
    return _random(lambda g, shape, dtype: _floats(g, "random", shape, dtype),
                   _size(shape, size, "rand"), dtype, device, requires_grad, "rand")


def randn(*shape, size=None, dtype=None, device=None, requires_grad=False):
    """Standard normal random numbers, as ``torch.randn``.

    Args:
        shape, size, dtype, device, requires_grad: as :func:`rand`.

    Example::

        >>> mn.randn(size=(2, 3), dtype=mn.float64).dtype
        dtype('float64')
    """
    return _random(lambda g, shape, dtype: _floats(g, "standard_normal", shape, dtype),
                   _size(shape, size, "randn"), dtype, device, requires_grad, "randn")


def rand_like(input, dtype=None, device=None, requires_grad=False):
    """:func:`rand` in ``input``'s shape, dtype and device, as ``torch.rand_like``.

    Args:
        input, dtype, device, requires_grad: as :func:`zeros_like`; the dtype floating point.

    Example::

        >>> mn.rand_like(mn.zeros(2, 3, dtype=mn.float64)).dtype
        dtype('float64')
    """
    return _like(rand, input, dtype, device, requires_grad)


def randn_like(input, dtype=None, device=None, requires_grad=False):
    """:func:`randn` in ``input``'s shape, dtype and device, as ``torch.randn_like``.

    Args:
        input, dtype, device, requires_grad: as :func:`rand_like`.

    Example::

        >>> mn.randn_like(mn.zeros(2, 3)).shape
        (2, 3)
    """
    return _like(randn, input, dtype, device, requires_grad)


def normal(mean, std=1.0, size=None, *, dtype=None, device=None, requires_grad=False):
    """Normal random numbers N(mean, std²), as ``torch.normal``, drawn as :func:`randn` is.

    Args:
        mean, std: numbers, or floating-point tensors: then one draw per element of their
            broadcast shape, in their dtype and on their device (no gradient flows back to
            them). std ≥ 0, 1.0 by default.
        size: the shape, with numbers for mean and std (and only then).
        dtype, device, requires_grad: as :func:`zeros`; dtype and device only with numbers.

    Example::

        >>> w = mn.normal(0, 0.01, size=(784, 10), requires_grad=True)
        >>> w.shape, w.dtype, w.requires_grad
        ((784, 10), dtype('float32'), True)
        >>> mn.normal(mn.tensor([0.0, 100.0]), 0.0)
        tensor([  0., 100.])
    """
    tensors = [x for x in (mean, std) if isinstance(x, Tensor) or backend.is_array(x)]
    for name, value in (("mean", mean), ("std", std)):
        if not (isinstance(value, numbers.Real) or isinstance(value, Tensor) or backend.is_array(value)):
            raise TypeError(f"normal: {name} must be a number or a tensor, got {type(value).__name__}")
    if not tensors:
        if size is None:
            raise TypeError("normal: with numbers for mean and std, give the size, e.g. "
                            "minin.normal(0, 0.01, size=(784, 10))")
        if std < 0:
            raise ValueError(f"normal: std must be >= 0, got {std}")
        mean, std = float(mean), float(std)
        return _random(lambda g, shape, dtype: _floats(g, "standard_normal", shape, dtype) * std + mean,
                       _size((), size, "normal"), dtype, device, requires_grad, "normal")
    if size is not None or dtype is not None or device is not None:
        raise TypeError("normal: size=, dtype= and device= go only with numbers for mean and std; "
                        "with a tensor, the result takes its shape, dtype and device")
    mean, std = (x.data if isinstance(x, Tensor) else x for x in (mean, std))
    for x in tensors:
        if x.dtype.kind != "f":
            raise TypeError(f"normal: a tensor mean or std must be floating point, got dtype {x.dtype}")
    dtype = result_type(mean, std)
    if (std < 0).any() if backend.is_array(std) else std < 0:
        raise ValueError("normal: std must be >= 0 everywhere")
    name = backend.name_of(tensors[0].data if isinstance(tensors[0], Tensor) else tensors[0])
    shape = np.broadcast_shapes(np.shape(mean), np.shape(std))
    z = _floats(backend.generator(name), "standard_normal", shape, dtype)
    return _new((z * std + mean).astype(dtype, copy=False), requires_grad)


def randint(low, high=None, size=None, dtype=None, device=None):
    """Random integers in [low, high), as ``torch.randint``.

    Args:
        low, high, size: ``randint(low, high, size)``, or ``randint(high, size)`` from 0.
        dtype, device: int64 and the current backend by default.

    Example::

        >>> t = mn.randint(0, 10, (2, 3))
        >>> t.shape, t.dtype
        ((2, 3), dtype('int64'))
    """
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint needs a size, e.g. minin.randint(0, 10, (3,))")
    name = backend.current() if device is None else backend_of(device)
    array = backend.generator(name).integers(low, high, _shape_args((size,), "randint"))
    return Tensor(array.astype(dtype or np.int64, copy=False))


def randperm(n, *, dtype=None, device=None, requires_grad=False):
    """A random order of 0 … n-1, as ``torch.randperm``.

    Args:
        n: a non-negative int.
        dtype, device: int64 and the current backend by default.
        requires_grad: only for a floating-point dtype, as in PyTorch.

    Example::

        >>> p = mn.randperm(5)
        >>> sorted(p.tolist()), p.dtype
        ([0, 1, 2, 3, 4], dtype('int64'))
    """
    _check_count(n, "randperm", "n")
    dtype = np.dtype(dtype or np.int64)
    if dtype.kind in "iu" and n - 1 > np.iinfo(dtype).max:
        raise ValueError(f"randperm: {n} values don't fit in {dtype} (at most {np.iinfo(dtype).max} + 1)")
    name = backend.current() if device is None else backend_of(device)
    keys = backend.generator(name).random(n)  # the order that sorts n random keys (CuPy's
    return _new(keys.argsort().astype(dtype), requires_grad)  # Generator can't permute)


def _check_count(value, op, name):
    if not is_int(value) or value < 0:
        raise ValueError(f"{op}: {name} must be a non-negative int, got {value!r}")


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """``start, start + step, …`` below ``end``, as ``torch.arange``.

    Args:
        start, end, step: numbers; step 1 by default; ``arange(n)`` is 0 … n-1.
        dtype: by default int64 when every argument is an int, float32 otherwise.
        device, requires_grad: as :func:`zeros`.

    Example::

        >>> mn.arange(3), mn.arange(0, 1, 0.25)
        (tensor([0, 1, 2], dtype=int64), tensor([0.  , 0.25, 0.5 , 0.75]))
    """
    if end is None:
        start, end = 0, start
    if step == 0:  # NumPy would divide by it
        raise ValueError("arange: step must be nonzero")
    if (end - start) * step < 0:  # NumPy would give an empty tensor
        raise ValueError(f"arange: end {end} lies on the wrong side of start {start} for step {step}")
    if dtype is None:
        integral = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = np.int64 if integral else DEFAULT_DTYPE
    return _new(_xp(device).arange(start, end, step, dtype=dtype), requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced numbers from ``start`` to ``end``, both included, as ``torch.linspace``.

    Args:
        start, end: numbers.
        steps: how many, a non-negative int (PyTorch requires it too).
        dtype, device, requires_grad: as :func:`zeros`.

    Example::

        >>> mn.linspace(0, 1, 5)
        tensor([0.  , 0.25, 0.5 , 0.75, 1.  ])
    """
    _check_count(steps, "linspace", "steps")
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, numbers.Real):
            raise TypeError(f"linspace: {name} must be a number, got {type(value).__name__}")
    values = np.linspace(start, end, steps, dtype=np.float64)  # as PyTorch: exact ends
    return _new(_xp(device).asarray(values.astype(dtype or DEFAULT_DTYPE)), requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """The n×m identity matrix (ones on the diagonal), as ``torch.eye``.

    Args:
        n: the rows, a non-negative int.
        m: the columns, n by default.
        dtype, device, requires_grad: as :func:`zeros`.

    Example::

        >>> mn.eye(2, 3)
        tensor([[1., 0., 0.],
                [0., 1., 0.]])
    """
    _check_count(n, "eye", "n")
    m = n if m is None else m
    _check_count(m, "eye", "m")
    return _new(_xp(device).eye(n, m, dtype=dtype or DEFAULT_DTYPE), requires_grad)


def from_numpy(array):
    """A CPU tensor that shares ``array``'s memory and dtype (no copy), as ``torch.from_numpy``.

    Args:
        array: a NumPy array.

    Example::

        >>> a = np.zeros(2, dtype=np.float32)
        >>> t = mn.from_numpy(a); a[0] = 5; t
        tensor([5., 0.])
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy takes a NumPy array, got {type(array).__name__}")
    return Tensor(array)
