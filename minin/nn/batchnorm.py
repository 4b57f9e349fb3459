"""Batch normalization layers, as ``torch.nn.BatchNorm1d`` and ``BatchNorm2d``.

Not part of NiN (2014 predates it), but d2l's next chapters put it after every convolution.
The parameters (weight, bias) and buffers (running_mean, running_var, num_batches_tracked)
have PyTorch's names, so their state_dicts have PyTorch's keys.
"""

from ..creation import ones, zeros
from ..tensor import Tensor, tensor
from .._checks import is_int, is_number
from . import functional as F
from .module import Module, Parameter


class _BatchNorm(Module):
    dims = ()  # the input dimensions the layer takes

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        super().__init__()
        name = type(self).__name__
        if not is_int(num_features) or num_features < 1:
            raise ValueError(f"{name}: num_features must be a positive int, got {num_features!r}")
        if momentum is not None and not (is_number(momentum) and 0 <= momentum <= 1):
            raise ValueError(f"{name}: momentum must be in [0, 1] or None, got {momentum!r}")
        if not (is_number(eps) and eps > 0):
            raise ValueError(f"{name}: eps must be a positive number, got {eps!r}")
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        made = dict(dtype=dtype, device=device)
        self.register_parameter("weight", Parameter(ones(num_features, **made)) if affine else None)
        self.register_parameter("bias", Parameter(zeros(num_features, **made)) if affine and bias else None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, **made))
            self.register_buffer("running_var", ones(num_features, **made))
            self.register_buffer("num_batches_tracked", tensor(0, device=device))
        else:
            for buffer in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(buffer, None)

    def forward(self, input):
        if not isinstance(input, Tensor):
            raise TypeError(f"{type(self).__name__} takes a Tensor, got {type(input).__name__}")
        if input.ndim not in self.dims:
            raise ValueError(f"{type(self).__name__} expects a {' or '.join(map(str, self.dims))}-D "
                             f"input, got shape {tuple(input.shape)}")
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:  # a cumulative average of every batch so far
                momentum = 1.0 / int(self.num_batches_tracked.item())
        use_batch = self.training or self.running_mean is None
        return F.batch_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                            use_batch, momentum, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs, as ``torch.nn.BatchNorm1d``: each
    channel normalized with the batch's mean and variance in training (which also move the
    running statistics), with the running ones in evaluation; then scaled and shifted.

    Args:
        num_features: C.
        eps: added to the variance (default 1e-5).
        momentum: the running statistics' update factor (default 0.1); None averages every
            batch so far.
        affine: learn a (C,) weight and bias (default True).
        bias: with ``affine``, whether to learn the bias too (default True; keyword only).
        track_running_stats: keep running statistics (default True); without them evaluation
            uses the batch's too.
        device, dtype: where and in what dtype the parameters and buffers are made.

    Shape:
        (N, C) or (N, C, L) → the same shape.

    Example::

        >>> bn = nn.BatchNorm1d(2)
        >>> y = bn(mn.tensor([[1.0, 10.0], [3.0, 30.0]]))
        >>> y
        tensor([[-1., -1.],
                [ 1.,  1.]], requires_grad=True)
        >>> bn.running_mean                     # 0.9 · 0 + 0.1 · the batch's mean
        tensor([0.2, 2. ])
    """

    dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) feature maps, as ``torch.nn.BatchNorm2d``: the
    statistics of each channel are taken over N, H and W.

    Args:
        num_features, eps, momentum, affine, track_running_stats, device, dtype, bias: as
            :class:`BatchNorm1d`.

    Shape:
        (N, C, H, W) → the same shape.

    Example::

        >>> bn = nn.BatchNorm2d(16)
        >>> bn(mn.randn(8, 16, 5, 5)).shape, sorted(bn.state_dict())
        ((8, 16, 5, 5), ['bias', 'num_batches_tracked', 'running_mean', 'running_var', 'weight'])
    """

    dims = (4,)
