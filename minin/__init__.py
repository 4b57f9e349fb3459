"""minin: a small deep-learning framework on NumPy and CuPy, built to teach NiN.

    import minin as mn               # or, in a PyTorch program: import minin as torch
    import minin.functional as F     # or: import minin.nn.functional as F

The modules load in one direction, each needing only those above it: backend and
device → tensor → function → ops → operators (which attaches Tensor's methods) →
functional → nn → optim → models → training and the command line.
"""

from . import _runtime  # noqa: F401  (before NumPy is imported: see its docstring)
from . import backend
from .backend import manual_seed
from .device import device
from .tensor import Tensor, tensor
from .function import Function, enable_grad, is_grad_enabled, no_grad
from . import operators

operators.install()

from .operators import (abs, add, amax, amin, argmax, argmin, cat, clamp, clip, clone, div,  # noqa: E402
                        exp, flatten, log, log_softmax, matmul, max, maximum, mean, min, minimum, mul, numel,
                        permute, pow, relu, reshape, sigmoid, softmax, sqrt, squeeze, stack, sub, sum, tanh,
                        transpose, unsqueeze)
from .promotion import promote_types, result_type  # noqa: E402
from .creation import (arange, empty, from_numpy, full, normal, ones, ones_like, rand,  # noqa: E402
                       randint, randn, zeros, zeros_like)
from .dtypes import (bool, double, float, float16, float32, float64, half, int, int8,  # noqa: E402
                     int16, int32, int64, long, short, uint8)
from . import accelerator, cuda, functional, nn, optim, models  # noqa: E402
from .gradcheck import gradcheck  # noqa: E402
from .serialization import CheckpointError, load, save  # noqa: E402
from .summary import Summary, summary  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "CheckpointError", "Function", "Summary", "Tensor", "abs", "accelerator", "add", "amax", "amin", "arange",
    "argmax", "argmin", "backend", "bool", "cat", "clamp", "clip", "clone", "cuda", "device", "div",
    "double", "empty", "enable_grad", "exp", "flatten", "float", "float16", "float32", "float64",
    "from_numpy", "full", "functional", "gradcheck", "half", "int", "int8", "int16", "int32", "int64",
    "is_grad_enabled", "load", "log", "log_softmax", "long", "manual_seed", "matmul", "max",
    "maximum", "mean", "min", "minimum", "models", "mul", "nn", "no_grad", "normal", "numel", "ones",
    "ones_like", "optim", "permute", "pow", "rand", "randint", "randn", "relu", "reshape", "save",
    "short", "sigmoid", "softmax", "sqrt", "squeeze", "stack", "sub", "sum", "summary", "tanh",
    "tensor", "transpose", "uint8", "unsqueeze", "utils", "vision", "zeros", "zeros_like"]


def __getattr__(name):
    """``minin.utils`` and ``minin.vision`` load on first use (as ``torch.utils.data`` after
    ``import minin as torch``): they bring the data-set readers, which ``import minin`` alone
    does not need."""
    if name in ("utils", "vision"):
        import importlib
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'minin' has no attribute {name!r}")
