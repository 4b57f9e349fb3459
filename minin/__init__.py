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
from .function import Function, enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from . import operators

operators.install()

from .operators import (abs, add, all, allclose, amax, amin, any, argmax, argmin, argsort,  # noqa: E402
                        cat, chunk, clamp, clip, clone, cumsum, div, dot, equal, exp, flatten, gather, log,
                        log_softmax, masked_fill, matmul, max, maximum, mean, min, minimum, mm, mul,
                        mv, neg, norm, numel, permute, pow, relu, reshape, sigmoid, softmax, sort,
                        split, sqrt, squeeze, stack, std, sub, sum, t, tanh, topk, transpose,
                        unsqueeze, var, where)
from .promotion import promote_types, result_type  # noqa: E402
from .creation import (arange, empty, eye, from_numpy, full, full_like, linspace, normal,  # noqa: E402
                       ones, ones_like, rand, rand_like, randint, randn, randn_like, randperm, zeros,
                       zeros_like)
from .dtypes import (bool, double, float, float16, float32, float64, half, int, int8,  # noqa: E402
                     int16, int32, int64, long, short, uint8)
from . import accelerator, backends, cuda, functional, nn, optim, models  # noqa: E402
from .gradcheck import gradcheck  # noqa: E402
from .serialization import CheckpointError, load, save  # noqa: E402
from .summary import Summary, summary  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "abs", "accelerator", "add", "all", "allclose", "amax", "amin", "any", "arange", "argmax",
    "argmin", "argsort", "backend", "backends", "bool", "cat", "CheckpointError", "chunk", "clamp",
    "clip", "clone", "cuda", "cumsum", "device", "div", "dot", "double", "empty", "enable_grad",
    "equal", "exp", "eye", "flatten", "float", "float16", "float32", "float64", "from_numpy",
    "full", "full_like", "Function", "functional", "gather", "gradcheck", "half", "inference_mode",
    "int", "int16", "int32", "int64", "int8", "is_grad_enabled", "linspace", "load", "log",
    "log_softmax", "long", "manual_seed", "masked_fill", "matmul", "max", "maximum", "mean", "min",
    "minimum", "mm", "models", "mul", "mv", "neg", "nn", "no_grad", "norm", "normal", "numel",
    "ones", "ones_like", "optim", "permute", "pow", "rand", "rand_like", "randint", "randn",
    "randn_like", "randperm", "relu", "reshape", "save", "set_grad_enabled", "short", "sigmoid",
    "softmax", "sort", "split", "sqrt", "squeeze", "stack", "std", "sub", "sum", "Summary",
    "summary", "t", "tanh", "Tensor", "tensor", "topk", "transpose", "uint8", "unsqueeze", "utils",
    "var", "vision", "where", "zeros", "zeros_like"]


def __getattr__(name):
    """``minin.utils`` and ``minin.vision`` load on first use (as ``torch.utils.data`` after
    ``import minin as torch``): they bring the data-set readers, which ``import minin`` alone
    does not need."""
    if name in ("utils", "vision"):
        import importlib
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'minin' has no attribute {name!r}")
