"""The basic differentiable operations behind Tensor's operators and methods.

Each class computes its output in ``forward`` and the gradient of every input in
``backward``. Gradients of broadcast inputs are summed back to the input's
shape by ``unbroadcast``.
"""

import numpy as np

from . import backend
from .backend import get_array_module
from .function import Function
from .kernels import activation, loss


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that NumPy broadcasting added or stretched, down to ``shape``."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    stretched = tuple(extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1)
    return grad.sum(axis=tuple(range(extra)) + stretched, keepdims=True).reshape(shape)


def _shape(x):
    return np.shape(x) if not hasattr(x, "shape") else x.shape


class Add(Function):
    def forward(self, a, b):
        self.shapes = _shape(a), _shape(b)
        return a + b

    def backward(self, grad):
        need_a, need_b = self.needs_input_grad
        return (unbroadcast(grad, self.shapes[0]) if need_a else None,
                unbroadcast(grad, self.shapes[1]) if need_b else None)


class Sub(Function):
    def forward(self, a, b):
        self.shapes = _shape(a), _shape(b)
        return a - b

    def backward(self, grad):
        need_a, need_b = self.needs_input_grad
        return (unbroadcast(grad, self.shapes[0]) if need_a else None,
                unbroadcast(-grad, self.shapes[1]) if need_b else None)


class Mul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        need_a, need_b = self.needs_input_grad
        return (unbroadcast(grad * self.b, _shape(self.a)) if need_a else None,
                unbroadcast(grad * self.a, _shape(self.b)) if need_b else None)


class Div(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, grad):
        need_a, need_b = self.needs_input_grad
        grad_over_b = grad / self.b
        return (unbroadcast(grad_over_b, _shape(self.a)) if need_a else None,
                unbroadcast(-grad_over_b * self.a / self.b, _shape(self.b)) if need_b else None)


class Neg(Function):
    def forward(self, a):
        return -a

    def backward(self, grad):
        return -grad


class Pow(Function):
    """``a ** exponent`` for a constant exponent."""

    def forward(self, a, exponent):
        self.a, self.exponent = a, exponent
        return a ** exponent

    def backward(self, grad):
        p = self.exponent
        if p == 0:  # a ** 0 is constant; p · a ** (p - 1) would be 0 · inf = nan at a = 0
            return get_array_module(grad).zeros_like(self.a)
        return grad * (p * self.a ** (p - 1))


class Power(Function):
    """``a ** b`` where the exponent is a tensor too (or the base a number, as a 0-d array).
    As in PyTorch, a gets no gradient where b == 0, and b none where a == 0 and b ≥ 0."""

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = a ** b
        return self.out

    def backward(self, grad):
        xp = get_array_module(grad)
        a, b = self.a, self.b
        need_a, need_b = self.needs_input_grad
        with np.errstate(divide="ignore", invalid="ignore"):  # the masked values may be inf or nan
            return (unbroadcast(xp.where(b == 0, 0, grad * b * a ** (b - 1)), _shape(a)) if need_a else None,
                    unbroadcast(xp.where((a == 0) & (b >= 0), 0, grad * self.out * xp.log(a)), _shape(b))
                    if need_b else None)


class MatMul(Function):
    """``a @ b`` with NumPy's rules: 1-D operands, 2-D matrices, broadcast batches."""

    def forward(self, a, b):
        if np.ndim(a) == 0 or np.ndim(b) == 0:
            raise ValueError(f"matmul needs operands of at least one dimension, got shapes "
                             f"{np.shape(a)} and {np.shape(b)} (multiply by a number with *)")
        if a.dtype != b.dtype:  # NumPy would silently compute in the wider dtype
            raise TypeError(f"matmul: both operands must have one dtype, got {a.dtype} and "
                            f"{b.dtype}; convert one first, e.g. with .float()")
        self.a, self.b = a, b
        try:
            return a @ b
        except ValueError:  # NumPy's message speaks of gufunc signatures
            inner = "size" if b.ndim == 1 else "second-to-last size"
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} cannot be multiplied: the first's "
                             f"last size must equal the second's {inner}, and the batch sizes must "
                             "broadcast") from None

    def backward(self, grad):
        a, b = self.a, self.b
        xp = get_array_module(grad)
        # View 1-D operands as a row (a) or a column (b), as matmul itself does.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g = grad[..., None] if b.ndim == 1 else grad
        g = xp.expand_dims(g, -2) if a.ndim == 1 else g
        need_a, need_b = self.needs_input_grad
        grad_a = grad_b = None
        if need_a:
            grad_a = unbroadcast(g @ xp.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if need_b:
            grad_b = unbroadcast(xp.swapaxes(a2, -1, -2) @ g, b2.shape).reshape(b.shape)
        return grad_a, grad_b


def _keepdims_shape(shape, axis):
    axes = set(_reduced_axes(shape, axis))
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    def forward(self, a, axis=None, keepdims=False):
        self.shape, self.axis = a.shape, axis
        return a.sum(axis=axis, keepdims=keepdims)

    def backward(self, grad):
        if self.axis is not None:  # give back the summed axes, as length 1, so that grad broadcasts
            grad = grad.reshape(_keepdims_shape(self.shape, self.axis))
        return get_array_module(grad).broadcast_to(grad, self.shape)


class Mean(Function):
    def forward(self, a, axis=None, keepdims=False):
        self.shape, self.axis = a.shape, axis
        out = a.mean(axis=axis, keepdims=keepdims)
        self.count = a.size // max(out.size, 1)
        return out

    def backward(self, grad):
        xp = get_array_module(grad)
        g = grad.reshape(_keepdims_shape(self.shape, self.axis)) / self.count
        return xp.broadcast_to(g, self.shape)


class Max(Function):
    """Maximum over some axes (or all). ``ties="first"`` (one axis) sends the gradient to
    the first maximum, the element ``torch.max(dim)`` returns; ``ties="share"`` shares it
    equally between equal maxima, as ``torch.max()`` and ``torch.amax`` do."""

    reduce, arg = "max", "argmax"

    def forward(self, a, axis=None, keepdims=False, ties="share"):
        xp = get_array_module(a)
        self.shape, self.axis = a.shape, axis
        out = getattr(a, self.reduce)(axis=axis, keepdims=True)
        self.share = ties == "share"
        if self.share:
            self.mask = a == out
        else:
            first = xp.expand_dims(getattr(a, self.arg)(axis=axis), axis)
            along = [1] * a.ndim
            along[axis] = a.shape[axis]
            self.mask = xp.arange(a.shape[axis]).reshape(along) == first
        return out if keepdims else out.reshape(_reduced_shape(a.shape, axis))

    def backward(self, grad):
        g = grad.reshape(_keepdims_shape(self.shape, self.axis))
        if self.share:  # each of k equal maxima gets 1/k (counted on the device: no read)
            g = g / self.mask.sum(axis=self.axis, keepdims=True, dtype=g.dtype)
        return self.mask * g


class Min(Max):
    """Minimum, with the same rules for ties as :class:`Max`."""

    reduce, arg = "min", "argmin"


class Maximum(Function):
    """Elementwise maximum of two tensors; where they are equal each gets half the
    gradient, as in PyTorch."""

    def forward(self, a, b):
        xp = get_array_module(a if backend.is_array(a) else b)
        self.a, self.b = a, b
        return xp.maximum(a, b)

    def backward(self, grad):
        need_a, need_b = self.needs_input_grad
        share_a = (self.a > self.b) + 0.5 * (self.a == self.b)
        return (unbroadcast(grad * share_a, _shape(self.a)) if need_a else None,
                unbroadcast(grad * (1 - share_a), _shape(self.b)) if need_b else None)


def _reduced_shape(shape, axis):
    axes = set(_reduced_axes(shape, axis))
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def _reduced_axes(shape, axis):
    if axis is None:
        return range(len(shape))
    return [int(a) % len(shape) for a in np.atleast_1d(axis)] if len(shape) else []


class Exp(Function):
    def forward(self, a):
        self.out = get_array_module(a).exp(a)
        return self.out

    def backward(self, grad):
        return grad * self.out


class Log(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).log(a)

    def backward(self, grad):
        return grad / self.a


class Sigmoid(Function):
    """1 / (1 + exp(-a)), computed from exp(-|a|) ≤ 1 so that no exp overflows."""

    def forward(self, a):
        xp = get_array_module(a)
        e = xp.exp(-xp.abs(a))
        self.out = xp.where(a >= 0, 1, e) / (1 + e)
        return self.out

    def backward(self, grad):
        return grad * self.out * (1 - self.out)


class Tanh(Function):
    def forward(self, a):
        self.out = get_array_module(a).tanh(a)
        return self.out

    def backward(self, grad):
        return grad * (1 - self.out * self.out)


class Abs(Function):
    """|a|; the gradient is sign(a), 0 at 0, as in PyTorch."""

    def forward(self, a):
        self.a = a
        return get_array_module(a).abs(a)

    def backward(self, grad):
        return grad * get_array_module(grad).sign(self.a)


class Sqrt(Function):
    def forward(self, a):
        self.out = get_array_module(a).sqrt(a)
        return self.out

    def backward(self, grad):
        return grad / (2 * self.out)


class Softplus(Function):
    """log(1 + e ** z) / beta with z = beta·a, as (max(z, 0) + log1p(e ** -|z|)) / beta so
    that no exp overflows; where z is above ``threshold`` it is a itself, as in PyTorch. Its
    gradient, sigmoid(z), is exact at 0, where a composition of max and abs has a kink."""

    def forward(self, a, beta=1.0, threshold=20.0):
        xp = get_array_module(a)
        self.z = a * beta
        self.linear = self.z > threshold
        smooth = (xp.maximum(self.z, 0) + xp.log1p(xp.exp(-xp.abs(self.z)))) / beta
        return xp.where(self.linear, a, smooth)

    def backward(self, grad):
        xp = get_array_module(grad)
        e = xp.exp(-xp.abs(self.z))
        return grad * xp.where(self.linear, 1, xp.where(self.z >= 0, 1, e) / (1 + e))


class Norm(Function):
    """The p-norm (Σ |a|^p)^(1/p) over ``axis`` (p > 0; 2 is the Euclidean norm). Its gradient,
    sign(a)·(|a| / norm)^(p-1), is taken as 0 where a is 0, and so wherever the norm is 0,
    as PyTorch does, rather than 0 / 0."""

    def forward(self, a, p=2.0, axis=None, keepdims=False):
        xp = get_array_module(a)
        self.a, self.p, self.axis = a, p, axis
        wide = a.astype(np.float32) if a.dtype.itemsize < 4 else a  # float16's squares overflow
        if p == 2:
            self.out = xp.sqrt((wide * wide).sum(axis=axis, keepdims=True))
        else:
            self.out = (xp.abs(wide) ** p).sum(axis=axis, keepdims=True) ** (1 / p)
        out = self.out.astype(a.dtype, copy=False)
        return out if keepdims else out.reshape(_reduced_shape(a.shape, axis))

    def backward(self, grad):
        xp = get_array_module(grad)
        g = grad.reshape(_keepdims_shape(self.a.shape, self.axis))
        norm = xp.where(self.out == 0, 1, self.out)
        if self.p == 2:
            return (g * self.a / norm).astype(self.a.dtype, copy=False)  # a is 0 wherever the norm is
        zero = self.a == 0
        ratio = xp.where(zero, 1, xp.abs(self.a)) / norm  # at most 1: no overflow
        return xp.where(zero, 0, g * xp.sign(self.a) * ratio ** (self.p - 1)).astype(self.a.dtype, copy=False)


class CumSum(Function):
    """Running sums along ``axis``; each input adds to every later output, so its gradient is
    the running sum of the gradient taken from the far end."""

    def forward(self, a, axis):
        self.axis = axis
        return get_array_module(a).cumsum(a, axis=axis, dtype=a.dtype)  # NumPy would widen int32

    def backward(self, grad):
        xp = get_array_module(grad)
        return xp.flip(xp.cumsum(xp.flip(grad, self.axis), axis=self.axis), self.axis)


class Where(Function):
    """``a`` where ``condition`` holds, else ``b`` (broadcast together); each gets the gradient
    where it was chosen."""

    def forward(self, condition, a, b, dtype):
        self.condition, self.shapes = condition, (_shape(a), _shape(b))
        return get_array_module(condition).where(condition, a, b).astype(dtype, copy=False)

    def backward(self, grad):
        _, need_a, need_b = self.needs_input_grad
        zero = grad.dtype.type(0)
        return (None, unbroadcast(get_array_module(grad).where(self.condition, grad, zero), self.shapes[0])
                if need_a else None,
                unbroadcast(get_array_module(grad).where(self.condition, zero, grad), self.shapes[1])
                if need_b else None)


class Clamp(Function):
    """``a`` limited to [low, high]; either bound may be None, a number or an array. As in
    PyTorch, a gets the gradient where low ≤ a ≤ high, and a bound where the output is that
    bound (when low > high, every output is high)."""

    def forward(self, a, low, high):
        xp = get_array_module(a)
        self.a, self.low, self.high = a, low, high
        out = a if low is None else xp.maximum(a, low)
        return out if high is None else xp.minimum(out, high)

    def backward(self, grad):
        a, low, high = self.a, self.low, self.high
        need_a, need_low, need_high = self.needs_input_grad
        inside = (True if low is None else a >= low) & (True if high is None else a <= high)
        to_low = need_low and (a < low) & (True if high is None else low < high)
        to_high = need_high and (a > high) | (False if low is None else high < low)
        return (unbroadcast(grad * inside, _shape(a)) if need_a else None,
                unbroadcast(grad * to_low, _shape(low)) if need_low else None,
                unbroadcast(grad * to_high, _shape(high)) if need_high else None)


class LogSoftmax(Function):
    def forward(self, a, axis):
        self.axis = axis
        self.out = loss.log_softmax(a, axis)
        return self.out

    def backward(self, grad):
        return loss.log_softmax_backward(grad, self.out, self.axis)


class ReLU(Function):
    def forward(self, a):
        self.out = activation.relu(a)
        return self.out

    def backward(self, grad):
        return activation.relu_backward(grad, self.out)


class Reshape(Function):
    def forward(self, a, shape):
        self.shape = a.shape
        return a.reshape(shape)

    def backward(self, grad):
        return grad.reshape(self.shape)


class Transpose(Function):
    def forward(self, a, axes=None):
        out = a.transpose(axes)  # NumPy checks the axes
        self.axes = tuple(range(a.ndim))[::-1] if axes is None else tuple(int(x) % a.ndim for x in axes)
        return out

    def backward(self, grad):
        return grad.transpose(tuple(np.argsort(self.axes)))


class ToBackend(Function):
    """A copy on another backend; the gradient goes back to the source's backend."""

    def forward(self, a, name):
        self.source = backend.name_of(a)
        return backend.to_backend(a, name)

    def backward(self, grad):
        return backend.to_backend(grad, self.source)


class Copy(Function):
    """A copy of the data (``clone``); the gradient passes unchanged."""

    def forward(self, a):
        return a.copy()

    def backward(self, grad):
        return grad


class Cast(Function):
    """``a.astype(dtype)``; the gradient goes back in a's dtype."""

    def forward(self, a, dtype):
        self.dtype = a.dtype
        return a.astype(dtype)

    def backward(self, grad):
        return grad.astype(self.dtype, copy=False)


class GetItem(Function):
    """Indexing with ints, slices, None, Ellipsis and integer or boolean arrays."""

    def forward(self, a, index):
        self.shape, self.dtype, self.index = a.shape, a.dtype, index
        return a[index]

    def backward(self, grad):
        xp = get_array_module(grad)
        out = xp.zeros(self.shape, dtype=self.dtype)
        parts = self.index if isinstance(self.index, tuple) else (self.index,)
        if any(hasattr(p, "shape") or isinstance(p, list) for p in parts):
            backend.scatter_add(out, self.index, grad)  # an index may repeat: add, don't overwrite
        else:
            out[self.index] = grad
        return out


class Expand(Function):
    """``a`` broadcast to ``shape`` (a read-only view, no copy); the gradient sums back over
    the axes the broadcast added or stretched."""

    def forward(self, a, shape):
        self.shape = a.shape
        return get_array_module(a).broadcast_to(a, shape)

    def backward(self, grad):
        return unbroadcast(grad, self.shape)


class Tile(Function):
    """``a`` repeated ``reps`` times along each axis, as ``numpy.tile``; each copy's gradient
    adds back into the one original."""

    def forward(self, a, reps):
        self.shape, self.reps = a.shape, reps
        return get_array_module(a).tile(a, reps)

    def backward(self, grad):
        n = grad.ndim  # both padded with leading 1s to it, as tile pads them
        reps = (1,) * (n - len(self.reps)) + tuple(self.reps)
        shape = (1,) * (n - len(self.shape)) + tuple(self.shape)
        copies = grad.reshape([k for pair in zip(reps, shape) for k in pair])  # (r0, s0, r1, s1, ...)
        return copies.sum(axis=tuple(range(0, 2 * n, 2))).reshape(self.shape)


class Concatenate(Function):
    """Join arrays along an existing axis; the gradient is cut back into the pieces."""

    def forward(self, *arrays, axis=0):
        xp = get_array_module(arrays[0])
        self.axis = axis
        self.bounds = np.cumsum([a.shape[axis] for a in arrays])[:-1].tolist()
        return xp.concatenate(arrays, axis=axis)

    def backward(self, grad):
        xp = get_array_module(grad)
        pieces = xp.split(grad, self.bounds, axis=self.axis)
        return tuple(p if need else None for p, need in zip(pieces, self.needs_input_grad))
