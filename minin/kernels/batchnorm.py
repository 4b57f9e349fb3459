"""Batch normalization (Ioffe & Szegedy, 2015) on arrays, over every axis but the channels'.

Training normalizes each channel with the mean and variance of the batch:
    x̂ = (x − mean) / sqrt(var + eps),   y = weight·x̂ + bias.
Because mean and var depend on every x, each input's gradient has two more terms than an
affine map's: with g = weight·dy, summed over the N·H·W positions of a channel,
    dx = (g − mean(g) − x̂·mean(g·x̂)) / sqrt(var + eps).
Evaluation uses the running statistics instead: then y is an affine map of x.
"""


def channel_shape(x):
    """The shape that puts a (C,) vector on axis 1 of x, for broadcasting: (1, C, 1, 1)."""
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def batch_norm_forward(x, weight, bias, eps, mean=None, var=None):
    """y, x̂ and 1/sqrt(var + eps) of each channel, from the batch's statistics, or from
    ``mean`` and ``var`` (each (C,)) when given; also the batch's mean and (biased) var."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = channel_shape(x)
    if mean is None:
        mean = x.mean(axis=axes)
        centered = x - mean.reshape(shape)
        var = (centered * centered).mean(axis=axes)
    else:
        centered = x - mean.reshape(shape)
    inv_std = 1 / (var + eps) ** 0.5
    x_hat = centered * inv_std.reshape(shape)
    y = x_hat if weight is None else x_hat * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y, x_hat, inv_std, mean, var


def batch_norm_backward(grad, x_hat, inv_std, weight, batch_stats, need_weight=True, need_bias=True):
    """Gradients with respect to x, weight and bias (None where not needed); ``batch_stats``
    says whether the forward pass used the batch's statistics (training) or fixed ones
    (evaluation)."""
    axes = (0,) + tuple(range(2, grad.ndim))
    shape = channel_shape(grad)
    grad_weight = (grad * x_hat).sum(axis=axes) if need_weight else None
    grad_bias = grad.sum(axis=axes) if need_bias else None
    g = grad if weight is None else grad * weight.reshape(shape)
    if batch_stats:
        g = g - g.mean(axis=axes, keepdims=True) - x_hat * (g * x_hat).mean(axis=axes, keepdims=True)
    return g * inv_std.reshape(shape), grad_weight, grad_bias
