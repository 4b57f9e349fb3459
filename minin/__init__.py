"""minin: a small deep-learning framework on NumPy and CuPy, built to teach NiN.

    import minin as mn
    import minin.functional as F
"""

from . import _runtime  # noqa: F401  (before NumPy is imported: see its docstring)
from . import backend
from .backend import manual_seed
from .tensor import Tensor, cat, tensor  # first: the ops that Tensor uses import Function
from .function import Function, enable_grad, is_grad_enabled, no_grad
from .gradcheck import gradcheck
from .serialization import CheckpointError, load, save

__version__ = "0.1.0"

__all__ = ["CheckpointError", "Function", "Summary", "Tensor", "backend", "cat", "enable_grad", "gradcheck",
           "is_grad_enabled", "load", "manual_seed", "no_grad", "save", "summary", "tensor"]

from . import functional, models, nn, optim  # noqa: E402
from .summary import Summary, summary  # noqa: E402
