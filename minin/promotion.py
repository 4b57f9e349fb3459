"""PyTorch's type promotion for the two operands of an arithmetic operator.

NumPy 2 lets every array take part in promotion alike, so float32 data times a 0-d int64
array is float64. PyTorch ranks the operands first: a tensor with dimensions decides the
result's dtype before a 0-d tensor does, and a 0-d tensor before a Python number, unless
the lower-ranked operand is of a higher category (bool < integer < floating). So a float32
tensor stays float32 whatever integer or 0-d operand it meets, and an integer tensor times
2.5 is float32 (the default float), not float64. minin's operators cast their operands to
``result_type`` first and then let NumPy compute.
"""

import numbers

import numpy as np

from .tensor import DEFAULT_DTYPE

_DIMENSIONED, _ZERO_DIM, _NUMBER = 0, 1, 2   # the ranks, highest first


def _dtype_and_rank(x):
    if isinstance(x, np.generic):   # minin passes NumPy scalars on as Python numbers
        x = x.item()
    if hasattr(x, "dtype"):         # a Tensor or an array
        if np.dtype(x.dtype).kind not in "biuf":
            raise TypeError(f"expected real numbers, got an array of dtype {x.dtype}")
        return np.dtype(x.dtype), (_DIMENSIONED if x.ndim else _ZERO_DIM)
    if isinstance(x, bool):
        return np.dtype(bool), _NUMBER
    if isinstance(x, numbers.Integral):
        return np.dtype(np.int64), _NUMBER
    if isinstance(x, numbers.Real):
        return np.dtype(DEFAULT_DTYPE), _NUMBER
    raise TypeError(f"expected a Tensor, an array or a real number, got {type(x).__name__}")


def _category(dtype):
    return 2 if dtype.kind == "f" else 0 if dtype.kind == "b" else 1


def promote_types(a, b):
    """The smallest dtype that holds both, by PyTorch's table, as ``torch.promote_types``:
    unlike NumPy's, a float joined with an integer stays that float (int64 with float32 is
    float32), and bool joined with another dtype is that dtype.

    Args:
        a, b: dtypes, or anything ``np.dtype`` takes (``mn.float32``, ``np.int64``, "int32").

    Returns:
        a NumPy dtype.

    Example::

        >>> mn.promote_types(mn.int64, mn.float32), mn.promote_types(mn.int32, mn.int64)
        (dtype('float32'), dtype('int64'))
        >>> mn.promote_types(mn.bool, mn.uint8)
        dtype('uint8')
    """
    a, b = np.dtype(a), np.dtype(b)
    if _category(a) != _category(b):
        return a if _category(a) > _category(b) else b
    return np.promote_types(a, b)


def _combine(higher, lower):
    """The dtype of a higher-ranked group met by a lower-ranked one (None: no operand)."""
    if higher is None or lower is None:
        return lower if higher is None else higher
    return promote_types(higher, lower) if _category(lower) > _category(higher) else higher


def result_type(a, b):
    """The dtype PyTorch gives ``a + b`` (``torch.result_type``): Tensors, arrays or numbers.

    Args:
        a, b: the operands: Tensors, arrays, or Python or NumPy numbers (a NumPy scalar
            counts as a Python number); anything else raises TypeError.

    Returns:
        a NumPy dtype, by the ranks and categories in the module's docstring.

    Example::

        >>> import minin as mn
        >>> mn.result_type(mn.ones(3), mn.tensor(2, dtype=mn.int64)), mn.result_type(mn.arange(3), 2.5)
        (dtype('float32'), dtype('float32'))
        >>> mn.result_type(mn.ones(3), mn.ones(3, dtype=mn.float64))
        dtype('float64')
    """
    groups = [None, None, None]
    for x in (a, b):
        dtype, rank = _dtype_and_rank(x)
        groups[rank] = dtype if groups[rank] is None else promote_types(groups[rank], dtype)
    return _combine(groups[_DIMENSIONED], _combine(groups[_ZERO_DIM], groups[_NUMBER]))
