"""The GPU's cross-entropy: CUDA kernels for the per-row losses and the gradient that
``loss.py`` computes with NumPy; the reduction over rows is ``loss.py``'s, shared."""

import numpy as np

from ..backend import get_array_module
from . import cuda_runtime as rt

SOURCE = r"""
// cross-entropy, forward: one thread per row of (rows, K) logits. It writes the softmax
// probabilities (what the backward needs) and the row's loss, log-sum-exp minus the
// label's logit; NaN for a label outside [0, K), which the GPU cannot report otherwise.
extern "C" __global__ void cross_entropy_forward(
    const T* logits, const long long* target, T* probs, T* loss, int K, I total)
{
    FOR_EACH(row, total) {
        const T* z = logits + (long long)row * K;
        T top = z[0];
        for (int k = 1; k < K; ++k) top = z[k] > top ? z[k] : top;
        T sum = 0;
        for (int k = 0; k < K; ++k) sum += exp(z[k] - top);
        T lse = top + log(sum);
        for (int k = 0; k < K; ++k) probs[(long long)row * K + k] = exp(z[k] - lse);
        long long label = target[row];
        loss[row] = (label >= 0 && label < K) ? lse - z[label] : sqrt((T)-1);
    }
}

// cross-entropy, backward: one thread per logit, (softmax - one_hot(label)) * the row's
// scale (the incoming gradient, divided by the batch size for a mean).
extern "C" __global__ void cross_entropy_backward(
    const T* probs, const long long* target, const T* scale, long long scale_stride,
    T* grad, int K, I total)
{
    FOR_EACH(idx, total) {
        I row = idx / K;
        int k = idx % K;
        grad[idx] = (probs[idx] - (target[row] == k ? (T)1 : (T)0)) * scale[row * scale_stride];
    }
}
"""

KERNELS = ("cross_entropy_forward", "cross_entropy_backward")


def cross_entropy_rows(logits, target):
    """(loss of each row, softmax probabilities): one thread per row."""
    xp = get_array_module(logits)
    logits = xp.ascontiguousarray(logits)
    target = xp.ascontiguousarray(target, dtype=np.int64)
    n, k = logits.shape
    probs = xp.empty_like(logits)
    loss = xp.empty(n, dtype=logits.dtype)
    rt.launch(SOURCE, "cross_entropy_forward", n, [logits, target, probs, loss, *rt.ints(k)], logits.dtype)
    return loss, probs


def cross_entropy_backward(scale, probs, target):
    """(probs - one_hot(target)) · scale, where ``scale`` is one number or one per row."""
    xp = get_array_module(probs)
    scale = xp.ascontiguousarray(scale, dtype=probs.dtype)
    out = xp.empty_like(probs)
    target = xp.ascontiguousarray(target, dtype=np.int64)
    rt.launch(SOURCE, "cross_entropy_backward", probs.size,
              [probs, target, scale, np.int64(scale.size > 1), out, *rt.ints(probs.shape[1])], probs.dtype)
    return out
