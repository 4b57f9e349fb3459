"""Loss modules in the shape of torch.nn: ``CrossEntropyLoss``, ``NLLLoss`` and ``MSELoss``."""

from ..tensor import Tensor, tensor
from . import functional as F
from .module import Module


def _register_weight(module, name, value):
    """Keep a loss's weight as a buffer, as PyTorch does: ``.to()`` moves it with the module and
    ``state_dict()`` holds it."""
    if value is not None and not isinstance(value, Tensor):
        value = tensor(value)  # an array or a list: a tensor on the current backend
    module.register_buffer(name, value)


class CrossEntropyLoss(Module):
    """Softmax cross-entropy of logits against class labels, as ``torch.nn.CrossEntropyLoss``.

    Calls ``minin.nn.functional.cross_entropy`` with the options given here (see there
    for the formula with class weights, ignored labels and label smoothing); with all
    options at their defaults that is minin's fused cross-entropy kernel.

    Args:
        weight: (C,) class weights (array or Tensor) or None. ignore_index: a label that
            contributes nothing (default -100). reduction: "mean", "sum" or "none".
        label_smoothing: ε in [0, 1]. size_average, reduce: PyTorch's deprecated
            spellings of ``reduction``; refused.

    Shape:
        input (N, C), target (N,) integers → 0-d, or (N,) with reduction="none".

    Example::

        >>> nn.CrossEntropyLoss()(mn.tensor([[2.0, 0.0]]), np.array([0])).item()
        0.1269...
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__()
        F._check_reduction("CrossEntropyLoss", reduction, size_average, reduce)
        if not 0 <= label_smoothing <= 1:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must lie in [0, 1], "
                             f"got {label_smoothing!r}")
        _register_weight(self, "weight", weight)
        self.ignore_index, self.reduction, self.label_smoothing = ignore_index, reduction, label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)

    def extra_repr(self):
        parts = [f"reduction={self.reduction!r}"]
        if self.ignore_index != -100:
            parts.append(f"ignore_index={self.ignore_index}")
        if self.label_smoothing:
            parts.append(f"label_smoothing={self.label_smoothing}")
        if self.weight is not None:
            parts.append("weight=...")
        return ", ".join(parts)


class NLLLoss(Module):
    """The negative log likelihood of (N, C) log-probabilities against (N,) class labels, as
    ``torch.nn.NLLLoss``: ``minin.nn.functional.nll_loss`` with the options given here.
    After ``nn.LogSoftmax(dim=1)`` it is ``CrossEntropyLoss``.

    Args:
        weight: (C,) class weights (array or Tensor) or None. ignore_index: a label that
            contributes nothing (default -100). reduction: "mean", "sum" or "none".
        size_average, reduce: PyTorch's deprecated spellings of ``reduction``; refused.

    Shape:
        input (N, C), target (N,) integers → 0-d, or (N,) with reduction="none".

    Example::

        >>> nn.NLLLoss()(mn.tensor([[-0.5, -1.0]]), np.array([1])).item()
        1.0
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean"):
        super().__init__()
        F._check_reduction("NLLLoss", reduction, size_average, reduce)
        F._check_ignore_index("NLLLoss", ignore_index)
        _register_weight(self, "weight", weight)
        self.ignore_index, self.reduction = ignore_index, reduction

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)

    def extra_repr(self):
        parts = [f"reduction={self.reduction!r}"]
        if self.ignore_index != -100:
            parts.append(f"ignore_index={self.ignore_index}")
        if self.weight is not None:
            parts.append("weight=...")
        return ", ".join(parts)


class MSELoss(Module):
    """Mean squared error, mean((input - target)²), as ``torch.nn.MSELoss``.

    Args:
        reduction: "mean" (default), "sum" (of the squared errors) or "none" (each one).
        size_average, reduce: PyTorch's deprecated spellings of ``reduction``; refused.

    Shape:
        input and target of one shape → 0-d, or that shape with reduction="none".

    Example::

        >>> nn.MSELoss()(mn.tensor([1.0, 3.0]), mn.tensor([1.0, 1.0])).item()
        2.0
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        F._check_reduction("MSELoss", reduction, size_average, reduce)
        self.reduction = reduction

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class BCEWithLogitsLoss(Module):
    """Binary cross-entropy of logits, as ``torch.nn.BCEWithLogitsLoss``: sigmoid and the
    loss in one stable formula (``minin.nn.functional.binary_cross_entropy_with_logits``).

    Args:
        weight: a tensor multiplying each loss, broadcast to the input's shape (default None).
        reduction: "mean" (default), "sum" or "none".
        pos_weight: a tensor multiplying the positive term, e.g. one weight per class
            (default None).
        size_average, reduce: PyTorch's deprecated spellings of ``reduction``; refused.

    Shape:
        input and target of one shape → 0-d, or that shape with reduction="none".

    Example::

        >>> round(nn.BCEWithLogitsLoss()(mn.tensor([[2.0, -1.0]]), mn.tensor([[1.0, 0.0]])).item(), 4)
        0.2201
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__()
        F._check_reduction("BCEWithLogitsLoss", reduction, size_average, reduce)
        _register_weight(self, "weight", weight)
        _register_weight(self, "pos_weight", pos_weight)
        self.reduction = reduction

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)

    def extra_repr(self):
        return f"reduction={self.reduction!r}"
