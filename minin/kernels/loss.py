"""log-softmax and cross-entropy, stable for any logits (log-sum-exp trick)."""

import numpy as np

from ..backend import get_array_module


def log_softmax(x, axis=-1):
    """x - log(sum(exp(x))), computed as (x - max) - log(sum(exp(x - max)))."""
    xp = get_array_module(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


def log_softmax_backward(grad, out, axis=-1):
    """d/dx of log_softmax: grad - softmax · sum(grad)."""
    xp = get_array_module(grad)
    return grad - xp.exp(out) * grad.sum(axis=axis, keepdims=True)


def cross_entropy(logits, target, reduction="mean"):
    """Negative log-likelihood of integer labels under softmax(logits).

    Returns (loss, saved): ``saved`` is what ``cross_entropy_backward`` needs (the
    log-probabilities here; the probabilities from the GPU's fused kernel).
    """
    xp = get_array_module(logits)
    if xp is not np:
        from . import cuda
        return cuda.cross_entropy(logits, target, reduction)
    log_probs = log_softmax(logits, axis=1)
    picked = -xp.take_along_axis(log_probs, target[:, None], axis=1)[:, 0]
    if reduction == "mean":
        return picked.mean(), log_probs
    if reduction == "sum":
        return picked.sum(), log_probs
    return picked, log_probs


def cross_entropy_backward(grad, log_probs, target, reduction="mean"):
    """The fused gradient (softmax - one_hot(target)) · grad, divided by N for a mean."""
    xp = get_array_module(log_probs)
    if xp is not np:
        from . import cuda
        return cuda.cross_entropy_backward(grad, log_probs, target, reduction)
    n = log_probs.shape[0]
    result = xp.exp(log_probs)
    result[xp.arange(n), target] -= 1
    if reduction == "mean":
        result *= grad / n
    elif reduction == "sum":
        result *= grad
    else:
        result *= grad[:, None]
    return result
