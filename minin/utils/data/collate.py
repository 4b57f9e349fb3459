"""``default_collate``: a list of samples → one batch, by PyTorch's rules; ``default_convert``:
one sample's arrays → Tensors, for a DataLoader that does not batch."""

import collections.abc
import numbers

import numpy as np

from ... import backend
from ...tensor import Tensor


def _stack(arrays):
    xp = backend.xp()
    return Tensor(xp.stack([backend.to_backend(a, backend.current()) for a in arrays]))


def default_collate(batch):
    """Merge a list of samples into a batch, as ``torch.utils.data.default_collate``.

    Tensors and NumPy arrays are stacked along a new first axis into one Tensor (their
    shapes must agree); Python ints become an int64 Tensor, floats a float64 one and
    bools a bool one (PyTorch's dtypes, not minin's float32 default); NumPy scalars keep
    their dtype; strings stay a list. Dicts, named tuples, tuples and lists are collated
    field by field: ``[(x0, y0), (x1, y1)]`` → ``[stack(x), stack(y)]`` (a list, as PyTorch).
    The Tensors are on the current backend.

    Args:
        batch: a non-empty list of B samples of one structure.

    Shape:
        B arrays of shape S → (B, *S); B numbers → (B,).

    Returns:
        The batch: a Tensor, or the samples' container holding Tensors.

    Example::

        >>> from minin.utils.data import default_collate
        >>> samples = [(np.zeros((1, 2, 2), np.float32), 3), (np.ones((1, 2, 2), np.float32), 7)]
        >>> x, y = default_collate(samples)
        >>> x.shape, x.dtype, y.dtype, y.tolist()
        ((2, 1, 2, 2), dtype('float32'), dtype('int64'), [3, 7])
        >>> default_collate([{"label": 1, "name": "a"}, {"label": 2, "name": "b"}])
        {'label': tensor([1, 2], dtype=int64), 'name': ['a', 'b']}
    """
    if not isinstance(batch, collections.abc.Sequence) or isinstance(batch, (str, bytes)) \
            or len(batch) == 0:
        raise TypeError(f"default_collate expects a non-empty list of samples, got "
                        f"{batch!r:.80}")
    elem = batch[0]
    if isinstance(elem, Tensor) or backend.name_of(elem) == "cupy" or (
            isinstance(elem, np.ndarray) and elem.dtype.kind not in "OUS"):
        others = {type(x).__name__ for x in batch if not hasattr(x, "shape")}
        if others:   # an int among arrays: no shape to stack
            raise TypeError(f"default_collate: the samples must all be arrays or Tensors "
                            f"like the first, got {', '.join(sorted(others))} too")
        shapes = {tuple(x.shape) for x in batch}
        if len(shapes) > 1:
            raise ValueError(f"default_collate: the samples' arrays must all have one shape "
                             f"to be stacked, got shapes {sorted(shapes)}")
        return _stack([x.data if isinstance(x, Tensor) else x for x in batch])
    if isinstance(elem, np.generic) and elem.dtype.kind not in "OUS":
        return _stack([np.asarray(x) for x in batch])
    if isinstance(elem, numbers.Real):  # bool before int: a bool is an int in Python
        dtype = bool if isinstance(elem, bool) else \
            np.int64 if isinstance(elem, numbers.Integral) else np.float64
        return Tensor(backend.to_backend(np.asarray(batch, dtype=dtype), backend.current()))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        merged = {key: default_collate([sample[key] for sample in batch]) for key in elem}
        return merged if type(elem) is dict else type(elem)(merged)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a named tuple
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        lengths = {len(sample) for sample in batch}
        if len(lengths) > 1:
            raise ValueError(f"default_collate: each sample must have the same number of "
                             f"fields, got lengths {sorted(lengths)}")
        return [default_collate(list(field)) for field in zip(*batch)]
    raise TypeError(f"default_collate: a sample must hold Tensors, NumPy arrays, numbers, "
                    f"strings, dicts or lists, got {type(elem).__name__}")


def default_convert(data):
    """One sample with its NumPy arrays made Tensors, as ``torch.utils.data.default_convert``:
    what a ``DataLoader`` with ``batch_size=None`` gives for each sample (no batch axis is
    added). NumPy scalars become 0-d Tensors; Python numbers, strings and Tensors stay as
    they are; dicts and named tuples are converted field by field, tuples and lists into a
    list, as PyTorch does.

    Args:
        data: one sample, as the data set's ``__getitem__`` returns it.

    Returns:
        The sample, its arrays as Tensors on the current backend.

    Example::

        >>> from minin.utils.data import default_convert
        >>> default_convert((np.arange(3.0, dtype=np.float32), 7))
        [tensor([0., 1., 2.]), 7]
    """
    if isinstance(data, (np.ndarray, np.generic)) and data.dtype.kind not in "OUS":
        return Tensor(backend.to_backend(np.asarray(data), backend.current()))
    if isinstance(data, collections.abc.Mapping):
        return type(data)({key: default_convert(value) for key, value in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a named tuple
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, (tuple, list)):  # a list either way, as PyTorch gives it
        return [default_convert(d) for d in data]
    return data
