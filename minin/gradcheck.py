"""Numerical gradient checking: the proof that a backward matches its forward.

For an output ``y = fn(*inputs)`` we fix a random array ``r`` shaped like ``y``
and compare two ways of computing the gradient of the scalar ``L = sum(y * r)``:
autograd's (one backward pass with ``grad=r``), and central differences
``(L(x + eps) - L(x - eps)) / (2 eps)``, one element at a time, in float64.
A random ``r`` makes every entry of the Jacobian count, at the cost of one
backward pass instead of one per output element.
"""

import numpy as np

from . import backend
from .function import no_grad
from .tensor import Tensor


def _as_float64_leaf(x):
    """Float Tensors as float64 copies; integer ones (labels, indices) as they are."""
    if not isinstance(x, Tensor) or not np.issubdtype(x.dtype, np.floating):
        return x
    return Tensor(x.data.astype(np.float64, copy=True), requires_grad=x.requires_grad)


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-4, directional=False, seed=0):
    """Check autograd's gradients of ``fn(*inputs)`` against central differences, as
    ``torch.autograd.gradcheck``.

    Every float Tensor input is copied to float64 (integer ones, labels say, are
    passed as they are); those with ``requires_grad=True`` are checked.

    Args:
        fn: a function of the inputs that returns one Tensor.
        inputs: a Tensor, or a list or tuple of Tensors and other arguments; at least one
            Tensor must have ``requires_grad=True``.
        eps: the central differences' step (default 1e-6).
        atol, rtol: an element (or the directional derivative) passes if
            |analytic − numerical| ≤ atol + rtol·|numerical| (defaults 1e-5 and 1e-4);
            a NaN fails.
        directional: check one random direction through all inputs at once (two
            evaluations of ``fn``), for inputs too large to check element by element
            (default False).
        seed: seed of the random output weights ``r`` and direction (default 0).

    Returns:
        True, or raises AssertionError naming the input, the worst element and both values.

    Example::

        >>> a, b = mn.randn(2, 3, requires_grad=True), mn.randn(3, 4, requires_grad=True)
        >>> mn.gradcheck(lambda a, b: a @ b, (a, b))
        True
        >>> mn.gradcheck(lambda t: F.log_softmax(t, 1), mn.randn(20, 30, requires_grad=True),
        ...              directional=True)
        True
    """
    if isinstance(inputs, Tensor) or not isinstance(inputs, (list, tuple)):
        inputs = (inputs,)
    inputs = [_as_float64_leaf(x) for x in inputs]
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck needs at least one input Tensor with requires_grad=True")

    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return one Tensor, got {type(out).__name__}")
    xp = backend.get_array_module(out.data)
    rng = np.random.default_rng(seed)
    weights = xp.asarray(rng.standard_normal(out.shape))
    out.backward(weights)
    analytic = {i: (inputs[i].grad if inputs[i].grad is not None else xp.zeros_like(inputs[i].data))
                for i in checked}

    def loss():
        with no_grad():
            return float((fn(*inputs).data * weights).sum())

    if directional:
        directions = {i: xp.asarray(rng.standard_normal(inputs[i].shape)) for i in checked}
        for i in checked:
            inputs[i].data += eps * directions[i]
        plus = loss()
        for i in checked:
            inputs[i].data -= 2 * eps * directions[i]
        minus = loss()
        for i in checked:
            inputs[i].data += eps * directions[i]
        numeric = (plus - minus) / (2 * eps)
        expected = float(sum((analytic[i] * directions[i]).sum() for i in checked))
        if not abs(expected - numeric) <= atol + rtol * abs(numeric):
            raise AssertionError(f"directional derivative mismatch: analytic {expected!r}, "
                                 f"numerical {numeric!r} (inputs {checked})")
        return True

    for i in checked:
        data = inputs[i].data
        numeric = np.zeros(data.shape)
        for index in np.ndindex(*data.shape):
            original = float(data[index])
            data[index] = original + eps
            plus = loss()
            data[index] = original - eps
            minus = loss()
            data[index] = original
            numeric[index] = (plus - minus) / (2 * eps)
        got = backend.asnumpy(analytic[i])
        excess = np.abs(got - numeric) - (atol + rtol * np.abs(numeric))
        excess = np.where(np.isnan(excess), np.inf, excess)  # a NaN on either side fails
        if excess.size and excess.max() > 0:
            worst = np.unravel_index(int(excess.argmax()), data.shape)
            raise AssertionError(f"gradient of input {i} (shape {tuple(data.shape)}) is wrong at "
                                 f"index {tuple(int(k) for k in worst)}: analytic {float(got[worst])!r}, "
                                 f"numerical {float(numeric[worst])!r}")
    return True
