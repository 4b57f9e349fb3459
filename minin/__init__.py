"""minin: a small deep-learning framework on NumPy and CuPy, built to teach NiN.

    import minin as mn
    import minin.functional as F
"""

from . import backend
from .backend import manual_seed
from .tensor import Tensor, tensor  # first: the ops that Tensor uses import Function
from .function import Function, enable_grad, is_grad_enabled, no_grad
from .gradcheck import gradcheck
from .serialization import CheckpointError, load, save

__version__ = "0.1.0"

__all__ = ["CheckpointError", "Function", "Tensor", "backend", "enable_grad", "gradcheck",
           "is_grad_enabled", "load", "manual_seed", "no_grad", "save", "tensor"]

from . import functional  # noqa: E402
from . import nn  # noqa: E402
