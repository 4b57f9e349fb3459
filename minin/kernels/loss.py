"""log-softmax and cross-entropy, stable for any logits (log-sum-exp trick)."""

from ..backend import get_array_module, on_gpu
from . import loss_cuda


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
    rows, saved = (loss_cuda.cross_entropy_rows if on_gpu(logits) else _cross_entropy_rows_cpu)(logits, target)
    if reduction == "mean":
        return rows.mean(), saved
    if reduction == "sum":
        return rows.sum(), saved
    return rows, saved


def _cross_entropy_rows_cpu(logits, target):
    log_probs = log_softmax(logits, axis=1)
    return -get_array_module(logits).take_along_axis(log_probs, target[:, None], axis=1)[:, 0], log_probs


def cross_entropy_backward(grad, saved, target, reduction="mean"):
    """The fused gradient (softmax - one_hot(target)) · grad, divided by N for a mean."""
    scale = grad / saved.shape[0] if reduction == "mean" else grad  # one number, or one per row
    if on_gpu(saved):
        return loss_cuda.cross_entropy_backward(scale, saved, target)
    xp = get_array_module(saved)
    result = xp.exp(saved)
    result[xp.arange(saved.shape[0]), target] -= 1
    result *= scale[:, None] if reduction == "none" else scale
    return result
