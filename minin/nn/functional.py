"""``import minin.nn.functional as F``: every operation of ``minin.functional``, plus the
ones PyTorch programs call under ``torch.nn.functional``'s names: ``cross_entropy`` and
``nll_loss`` with all of PyTorch's options, ``mse_loss``, ``softmax``, ``sigmoid``, ``tanh``,
``one_hot``, ``adaptive_avg_pool2d`` and ``adaptive_max_pool2d``; ``relu``, ``dropout`` and ``max_pool2d`` take PyTorch's arguments
(``inplace=``, ``return_indices=``) in PyTorch's order.

Each is built from minin's differentiable operations, so its gradient comes from
autograd; the common cases go to minin's own kernels (``cross_entropy`` with default
options is minin's fused kernel, an adaptive pool to (1, 1) is a global pool).
"""

import numbers

import numpy as np

from .. import backend, functional as _F, ops
from ..function import Function
from ..kernels import batchnorm
from .._checks import is_int, is_number
from ..functional import *  # noqa: F401,F403  (re-exported: everything minin.functional has)
from ..functional import __all__ as _functional_all
from ..operators import sigmoid, softmax, tanh  # noqa: F401  (torch.nn.functional has them too)
from ..tensor import Tensor

__all__ = sorted(set(_functional_all) | {"adaptive_avg_pool2d", "adaptive_max_pool2d",
                                         "batch_norm", "binary_cross_entropy_with_logits", "cross_entropy",
                                         "mse_loss", "nll_loss", "one_hot", "sigmoid", "softmax",
                                         "softplus", "tanh"})

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(op, reduction, size_average, reduce):
    if size_average is not None or reduce is not None:
        raise TypeError(f"{op}: size_average and reduce are deprecated in PyTorch and not "
                        f"supported here; use reduction='mean', 'sum' or 'none'")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _labels(target, op):
    labels = target.data if isinstance(target, Tensor) else target
    if isinstance(labels, (list, tuple)):
        labels = np.asarray(labels)
    if not hasattr(labels, "dtype") or not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"{op}: target must hold integer class labels, got "
                        f"{getattr(labels, 'dtype', type(labels).__name__)}")
    return labels


# --------------------------------------------------------------------------- PyTorch's signatures

def relu(input, inplace=False):
    """max(x, 0) elementwise, as ``torch.nn.functional.relu`` (with its signature).

    Args:
        input: the input tensor, any shape (the output has its shape).
        inplace: accepted so that ``x = F.relu(x, inplace=True)`` runs; the result is a new
            Tensor either way (autograd keeps the input's graph intact).

    Example::

        >>> nn.functional.relu(mn.tensor([-1.0, 2.0]), inplace=True).tolist()
        [0.0, 2.0]
    """
    return _F.relu(input)


def dropout(input, p=0.5, training=True, inplace=False):
    """Inverted dropout, as ``torch.nn.functional.dropout`` (with its signature).

    Args:
        input, p, training: as ``minin.functional.dropout`` (p in [0, 1], default 0.5;
            training default True; with training=False, input is returned).
        inplace: accepted, as in ``relu``; the result is a new Tensor.

    Example::

        >>> nn.functional.dropout(mn.ones(3), 0.5, training=False).tolist()
        [1.0, 1.0, 1.0]
    """
    return _F.dropout(input, p, training)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """``minin.functional.max_pool2d`` with the signature of ``torch.nn.functional.max_pool2d``.

    Args:
        input, kernel_size, stride, padding, dilation, ceil_mode: as
            ``minin.functional.max_pool2d`` (dilation must be 1).
        return_indices: PyTorch's; only False here (the window offsets stay inside the
            backward's saved state), True raises NotImplementedError.

    Shape:
        (N, C, H, W) → (N, C, Ho, Wo), with Ho = floor((H + 2·padding - kernel) / stride) + 1
        (ceil with ceil_mode), and Wo likewise.

    Example::

        >>> nn.functional.max_pool2d(mn.tensor(np.arange(16.0).reshape(1, 1, 4, 4)), 2).shape
        (1, 1, 2, 2)
    """
    if return_indices:
        raise NotImplementedError("max_pool2d: return_indices=True is not supported")
    return _F.max_pool2d(input, kernel_size, stride, padding, dilation=dilation,
                         ceil_mode=ceil_mode)


# --------------------------------------------------------------------------- losses

def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy of (N, C) logits against N class labels, as PyTorch's.

    With the options at their defaults this is ``minin.functional.cross_entropy`` (one
    fused kernel). Otherwise, with p = log_softmax(input) and w = weight (ones if None):

    * loss_i = -w[y_i] · p[i, y_i], and 0 where y_i == ignore_index;
    * with label_smoothing ε: (1 - ε) · loss_i + ε / C · (-Σ_c w[c] · p[i, c]);
    * reduction "mean" divides the sums by Σ w[y_i] over the samples not ignored
      (a weighted mean, as PyTorch), "sum" adds, "none" keeps (N,).

    Args:
        input: (N, C) float logits. target: (N,) integer labels in [0, C) or ignore_index.
        weight: (C,) class weights or None. ignore_index: a label that contributes nothing.
        reduction: "mean", "sum" or "none". label_smoothing: ε in [0, 1].
        size_average, reduce: PyTorch's deprecated spellings of ``reduction``; refused.

    Returns:
        A 0-d Tensor, or (N,) with reduction="none".

    Example::

        >>> nn.functional.cross_entropy(mn.tensor([[0.0, 0.0]]), np.array([1])).item()  # log 2
        0.6931...
    """
    _check_reduction("cross_entropy", reduction, size_average, reduce)
    if not isinstance(label_smoothing, numbers.Real) or not 0 <= label_smoothing <= 1:
        raise ValueError(f"cross_entropy: label_smoothing must lie in [0, 1], "
                         f"got {label_smoothing!r}")
    _check_ignore_index("cross_entropy", ignore_index)
    logits = input if isinstance(input, Tensor) else _F._tensor(input, "cross_entropy", "input")
    labels = _labels(target, "cross_entropy")
    on_cpu = backend.name_of(labels) == "numpy"
    if weight is None and label_smoothing == 0 and not (on_cpu and (labels == ignore_index).any()):
        return _F.cross_entropy(logits, labels, reduction)   # the fused kernel
    return _negative_log_likelihood("cross_entropy", logits, labels, weight, int(ignore_index),
                                    reduction, float(label_smoothing), from_logits=True)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """The negative log likelihood of (N, C) log-probabilities against N class labels, as
    PyTorch's: loss_i = -w[y_i] · input[i, y_i], and 0 where y_i == ignore_index, reduced as in
    :func:`cross_entropy` (which is ``nll_loss(log_softmax(x, 1), y)``).

    Args:
        input: (N, C) float log-probabilities, e.g. from ``F.log_softmax(x, 1)``.
        target: (N,) integer labels in [0, C) or ignore_index.
        weight: (C,) class weights or None. ignore_index: a label that contributes nothing.
        reduction: "mean" (divided by Σ w[y_i] over the samples not ignored), "sum" or "none".
        size_average, reduce: PyTorch's deprecated spellings of ``reduction``; refused.

    Returns:
        A 0-d Tensor, or (N,) with reduction="none".

    Example::

        >>> log_p = mn.tensor([[-1.0, -2.0], [-3.0, -4.0]])
        >>> nn.functional.nll_loss(log_p, np.array([0, 1])).item()
        2.5
    """
    _check_reduction("nll_loss", reduction, size_average, reduce)
    _check_ignore_index("nll_loss", ignore_index)
    x = input if isinstance(input, Tensor) else _F._tensor(input, "nll_loss", "input")
    _F._check_float(x, "nll_loss", "input")
    return _negative_log_likelihood("nll_loss", x, _labels(target, "nll_loss"), weight,
                                    int(ignore_index), reduction, 0.0, from_logits=False)


def _check_ignore_index(op, ignore_index):
    if not is_int(ignore_index):
        raise TypeError(f"{op}: ignore_index must be an int, got {ignore_index!r}")


def _negative_log_likelihood(op, input, labels, weight, ignore_index, reduction, smoothing,
                             from_logits):
    """What cross_entropy (``from_logits``: input holds logits) and nll_loss (input holds
    log-probabilities) compute with class weights, ignored labels and label smoothing."""
    what = "logits" if from_logits else "log-probabilities"
    if input.ndim != 2:
        raise ValueError(f"{op} expects {what} of shape (N, C), got {tuple(input.shape)}")
    n, c = input.shape
    if c == 0:
        raise ValueError(f"{op} needs at least one class: the {what} have shape {(n, c)}")
    if labels.shape != (n,):
        raise ValueError(f"{op}: target must have shape ({n},) to match the {what}, "
                         f"got {tuple(labels.shape)}")
    xp = backend.get_array_module(input.data)
    labels = backend.to_backend(labels, input.backend)
    kept = labels != ignore_index
    if backend.name_of(labels) == "numpy":
        bad = kept & ((labels < 0) | (labels >= c))
        if bad.any():
            raise ValueError(f"{op}: label {labels[bad][0]} is outside [0, {c}) for {c} classes "
                             f"(and is not ignore_index={ignore_index})")
    if weight is not None:
        w = weight.data if isinstance(weight, Tensor) else xp.asarray(weight)
        w = backend.to_backend(w, input.backend)
        if w.shape != (c,):
            raise ValueError(f"{op}: weight must have shape ({c},), one per class, "
                             f"got {tuple(w.shape)}")
        w = w.astype(input.dtype, copy=False)
    else:
        w = xp.ones(c, dtype=input.dtype)
    safe = xp.where(kept, labels, 0)                        # any class for an ignored row
    sample_w = xp.where(kept, w[safe], 0).astype(input.dtype)   # (N,) weight of each label
    log_p = _F.log_softmax(input, 1) if from_logits else input
    loss = -(log_p[xp.arange(n), safe] * sample_w)          # (N,)
    if smoothing:
        smooth = -(log_p * w).sum(axis=1) * kept.astype(input.dtype)
        loss = loss * (1 - smoothing) + smooth * (smoothing / c)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / sample_w.sum()


class BatchNormFunction(Function):
    """Batch normalization by kernels/batchnorm.py. In training it normalizes with the batch's
    statistics and moves the running ones toward them in place (as PyTorch's kernel does),
    the variance unbiased there; in evaluation it uses the running ones."""

    def forward(self, x, weight, bias, running_mean, running_var, training, momentum, eps):
        self.batch_stats, self.weight = training, weight
        if training:
            y, self.x_hat, self.inv_std, mean, var = batchnorm.batch_norm_forward(x, weight, bias, eps)
            if running_mean is not None:
                count = x.size // x.shape[1]
                running_mean *= 1 - momentum
                running_mean += momentum * mean
                running_var *= 1 - momentum
                running_var += (momentum * count / (count - 1)) * var
        else:
            y, self.x_hat, self.inv_std, _, _ = batchnorm.batch_norm_forward(
                x, weight, bias, eps, running_mean, running_var)
        return y

    def backward(self, grad):
        grad_x, grad_weight, grad_bias = batchnorm.batch_norm_backward(
            grad, self.x_hat, self.inv_std, self.weight, self.batch_stats, *self.needs_input_grad[1:3])
        return grad_x, grad_weight, grad_bias, None, None


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalization, as ``torch.nn.functional.batch_norm``: each channel (axis 1)
    normalized to mean 0 and variance 1, then scaled by ``weight`` and shifted by ``bias``.

    Args:
        input: a floating-point tensor (N, C, ...).
        running_mean, running_var: (C,) tensors of the running statistics, or None. Training
            moves them toward the batch's, in place: r ← (1 − momentum)·r + momentum·batch
            (the variance unbiased); evaluation normalizes with them.
        weight, bias: (C,) tensors, or None for 1 and 0.
        training: use the batch's statistics (True) or the running ones (False, the default).
        momentum: the running statistics' update factor (default 0.1).
        eps: added to the variance (default 1e-5).

    Shape:
        (N, C, ...) → the same shape.

    Example::

        >>> x = mn.tensor([[1.0], [3.0]])
        >>> mean, var = mn.zeros(1), mn.ones(1)
        >>> nn.functional.batch_norm(x, mean, var, training=True), mean, var
        (tensor([[-1.],
                [ 1.]]), tensor([0.2]), tensor([1.1]))
    """
    op = "batch_norm"
    x = input if isinstance(input, Tensor) else _F._tensor(input, op, "input")
    _F._check_float(x, op, "input")
    if x.ndim < 2:
        raise ValueError(f"{op} expects an input (N, C, ...) of at least 2 dimensions, got shape {tuple(x.shape)}")
    channels = x.shape[1]
    arrays = {}
    for name, value in (("running_mean", running_mean), ("running_var", running_var),
                        ("weight", weight), ("bias", bias)):
        if value is not None:
            value = _F._tensor(value, op, name)
            if value.shape != (channels,) or value.dtype != x.dtype:
                raise ValueError(f"{op}: {name} must have shape ({channels},) and dtype {x.dtype}, as "
                                 f"the input has {channels} channels; got {tuple(value.shape)} {value.dtype}")
        arrays[name] = value
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{op}: give both running_mean and running_var, or neither")
    if not training and running_mean is None:
        raise ValueError(f"{op}: evaluation (training=False) needs running_mean and running_var")
    if training and x.data.size // max(channels, 1) <= 1:
        raise ValueError(f"{op}: training needs more than one value per channel, got input shape "
                         f"{tuple(x.shape)}")
    for name, value in (("momentum", momentum), ("eps", eps)):
        if not (is_number(value) and value >= 0):
            raise ValueError(f"{op}: {name} must be a non-negative number, got {value!r}")
    running = [None if arrays[n] is None else arrays[n].data for n in ("running_mean", "running_var")]
    return BatchNormFunction.apply(x, arrays["weight"], arrays["bias"], *running, training=bool(training),
                                   momentum=float(momentum), eps=float(eps))


def one_hot(tensor, num_classes=-1):
    """Class labels as one-hot vectors, as ``torch.nn.functional.one_hot``: an int64 tensor of
    shape (*, num_classes) with a 1 at each label's place; num_classes=-1 means the largest
    label + 1.

    Args:
        tensor: an int64 tensor (or array) of labels in [0, num_classes), any shape.
        num_classes: the length of each vector, or -1.

    Returns:
        int64, the input's shape with num_classes appended; no gradient.

    Example::

        >>> nn.functional.one_hot(mn.tensor(np.array([0, 2])), 3)
        tensor([[1, 0, 0],
                [0, 0, 1]], dtype=int64)
    """
    labels = tensor.data if isinstance(tensor, Tensor) else tensor
    if not backend.is_array(labels):
        raise TypeError(f"one_hot takes an int64 tensor of class labels, got {type(tensor).__name__}")
    if labels.dtype != np.int64:
        raise TypeError(f"one_hot takes an int64 (long) tensor of class labels, got dtype "
                        f"{labels.dtype}; convert it first with .long()")
    if not is_int(num_classes) or num_classes < -1:
        raise ValueError(f"one_hot: num_classes must be a non-negative int or -1, got {num_classes!r}")
    if labels.size:
        if labels.min() < 0:
            raise ValueError(f"one_hot: class values must be non-negative, got {labels.min()}")
        if num_classes != -1 and labels.max() >= num_classes:
            raise ValueError(f"one_hot: class values must be smaller than num_classes={num_classes}, "
                             f"got {labels.max()}")
    elif num_classes == -1:
        raise ValueError("one_hot: can't infer the number of classes from an empty tensor; "
                         "give num_classes")
    classes = int(labels.max()) + 1 if num_classes == -1 else int(num_classes)
    xp = backend.get_array_module(labels)
    return Tensor((labels[..., None] == xp.arange(classes)).astype(np.int64))


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Squared error (input - target)², as ``torch.nn.functional.mse_loss``.

    Args:
        input, target: float Tensors of one shape (both may require gradients).
        reduction: "mean" (the average, default), "sum" or "none" (each error).
        size_average, reduce: PyTorch's deprecated spellings of ``reduction``; refused.

    Returns:
        A 0-d Tensor, or the elementwise errors with reduction="none".

    Example::

        >>> nn.functional.mse_loss(mn.tensor([1.0, 3.0]), mn.tensor([0.0, 0.0])).item()
        5.0
    """
    _check_reduction("mse_loss", reduction, size_average, reduce)
    x = input if isinstance(input, Tensor) else _F._tensor(input, "mse_loss", "input")
    y = target if isinstance(target, Tensor) else _F._tensor(target, "mse_loss", "target")
    if x.shape != y.shape:
        raise ValueError(f"mse_loss: input and target must have the same shape, got "
                         f"{tuple(x.shape)} and {tuple(y.shape)}")
    _F._check_float(x, "mse_loss", "input")
    diff = x - y
    errors = diff * diff
    if reduction == "none":
        return errors
    return errors.sum() if reduction == "sum" else errors.mean()


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + e ** (beta·x)) / beta elementwise, a smooth ReLU, as
    ``torch.nn.functional.softplus``; computed so that no large |x| overflows.

    Args:
        input: a floating-point tensor.
        beta: the sharpness, a nonzero number (default 1).
        threshold: where beta·x exceeds it, the output is x itself (default 20).

    Example::

        >>> nn.functional.softplus(mn.tensor([-1000.0, 0.0, 1000.0])).tolist()
        [0.0, 0.6931471824645996, 1000.0]
    """
    x = input if isinstance(input, Tensor) else _F._tensor(input, "softplus", "input")
    _F._check_float(x, "softplus", "input")
    check_softplus_arguments("softplus", beta, threshold)
    return ops.Softplus.apply(x, beta=float(beta), threshold=float(threshold))


def check_softplus_arguments(op, beta, threshold):
    for name, value in (("beta", beta), ("threshold", threshold)):
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            raise TypeError(f"{op}: {name} must be a number, got {value!r}")
    if beta == 0 or beta != beta:
        raise ValueError(f"{op}: beta must be a nonzero number, got {beta!r}")


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Binary cross-entropy of logits x against targets t in [0, 1], as
    ``torch.nn.functional.binary_cross_entropy_with_logits``:
    ``-[pos_weight·t·log σ(x) + (1 - t)·log(1 - σ(x))]``, times ``weight``, computed as
    ``pos_weight·t·softplus(-x) + (1 - t)·softplus(x)`` so that no large |x| overflows.

    Args:
        input: logits, a floating-point tensor.
        target: a tensor of input's shape, each value in [0, 1] (may require gradients).
        weight: a tensor that broadcasts to input's shape, multiplying each loss (default None).
        reduction: "mean" (default), "sum" or "none".
        pos_weight: a tensor that broadcasts to input's shape (one weight per class along the
            last axis), multiplying the positive term (default None).
        size_average, reduce: PyTorch's deprecated spellings of ``reduction``; refused.

    Returns:
        A 0-d tensor, or the elementwise losses with reduction="none".

    Example::

        >>> loss = nn.functional.binary_cross_entropy_with_logits
        >>> round(loss(mn.tensor([0.0, 0.0]), mn.tensor([1.0, 0.0])).item(), 4)   # ln 2
        0.6931
    """
    op = "binary_cross_entropy_with_logits"
    _check_reduction(op, reduction, size_average, reduce)
    x = input if isinstance(input, Tensor) else _F._tensor(input, op, "input")
    t = target if isinstance(target, Tensor) else _F._tensor(target, op, "target")
    _F._check_float(x, op, "input")
    _F._check_float(t, op, "target")
    if x.shape != t.shape:
        raise ValueError(f"{op}: target must have the input's shape {tuple(x.shape)}, got {tuple(t.shape)}")
    positive = softplus(-x)
    if pos_weight is not None:  # the weights in the input's dtype, as PyTorch: no float64 loss
        positive = positive * _F._tensor(pos_weight, op, "pos_weight").to(x.dtype)
    losses = t * positive + (1 - t) * softplus(x)
    if weight is not None:
        losses = losses * _F._tensor(weight, op, "weight").to(x.dtype)
    if losses.shape != x.shape:
        raise ValueError(f"{op}: weight and pos_weight must broadcast to the input's shape "
                         f"{tuple(x.shape)}, which gave {tuple(losses.shape)}")
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()


# --------------------------------------------------------------------------- adaptive pooling

def _adaptive_window(op, x, output_size):
    """The (kernel = stride) window that turns x's H × W into output_size, for sizes that
    divide evenly; PyTorch's uneven windows are not implemented."""
    if x.ndim not in (3, 4):
        raise ValueError(f"{op} expects a 3-D (C, H, W) or 4-D (N, C, H, W) input, "
                         f"got shape {tuple(x.shape)}")
    sizes = (output_size, output_size) if not isinstance(output_size, (tuple, list)) \
        else tuple(output_size)
    if len(sizes) != 2:
        raise ValueError(f"{op}: output_size must be an int or a pair, got {output_size!r}")
    height, width = x.shape[-2:]
    out = tuple(full if s is None else s for s, full in zip(sizes, (height, width)))
    for s in out:
        if not is_int(s) or s < 1:
            raise ValueError(f"{op}: output_size must hold positive ints (or None), "
                             f"got {output_size!r}")
    if height % out[0] or width % out[1]:
        raise ValueError(f"{op}: output size {out} must divide the input size "
                         f"{(height, width)} evenly (uneven windows are not supported)")
    return (int(out[0]), int(out[1])), (height // out[0], width // out[1])


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size: (N, C, H, W) → (N, C, oh, ow).

    With output (1, 1) this is the global average pool (NiN's last layer) kept 4-D; when
    oh divides H and ow divides W it is average pooling with kernel = stride =
    (H / oh, W / ow). Other sizes raise an error. ``None`` in output_size keeps that size.

    Args:
        input: (N, C, H, W) or (C, H, W) float Tensor. output_size: int or (oh, ow).

    Returns:
        (N, C, oh, ow) (or (C, oh, ow)).

    Example::

        >>> nn.functional.adaptive_avg_pool2d(mn.tensor(np.ones((2, 3, 4, 4))), 1).shape
        (2, 3, 1, 1)
    """
    x = input if isinstance(input, Tensor) else _F._tensor(input, "adaptive_avg_pool2d", "input")
    out, window = _adaptive_window("adaptive_avg_pool2d", x, output_size)
    x4 = x if x.ndim == 4 else x.reshape((1,) + x.shape)
    if out == (1, 1):
        y = _F.global_avg_pool2d(x4).reshape(x4.shape[:2] + (1, 1))
    elif window == (1, 1):
        y = x4
    else:
        y = _F.avg_pool2d(x4, window, window)
    return y if x.ndim == 4 else y.reshape(y.shape[1:])


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size: (N, C, H, W) → (N, C, oh, ow).

    Max pooling with kernel = stride = (H / oh, W / ow); oh and ow must divide H and W
    (output (1, 1), the global max, always does).

    Args:
        input: (N, C, H, W) or (C, H, W) float Tensor. output_size: int or (oh, ow).
        return_indices: only False (True raises NotImplementedError).

    Returns:
        (N, C, oh, ow) (or (C, oh, ow)).

    Example::

        >>> nn.functional.adaptive_max_pool2d(mn.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
        [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    if return_indices:
        raise NotImplementedError("adaptive_max_pool2d: return_indices=True is not supported")
    x = input if isinstance(input, Tensor) else _F._tensor(input, "adaptive_max_pool2d", "input")
    out, window = _adaptive_window("adaptive_max_pool2d", x, output_size)
    x4 = x if x.ndim == 4 else x.reshape((1,) + x.shape)
    y = x4 if window == (1, 1) else _F.max_pool2d(x4, window, window)
    return y if x.ndim == 4 else y.reshape(y.shape[1:])
