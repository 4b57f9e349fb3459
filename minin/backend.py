"""Where arrays live: NumPy on the CPU or CuPy on an NVIDIA GPU.

minin code never imports cupy directly. It asks this module for the array
module of the data it holds (``get_array_module``) or of the current backend
(``xp()``), so the same kernels run on both.
"""

import numpy as np

BACKENDS = ("numpy", "cupy")

_current = "numpy"
_cupy = None          # the cupy module once it has been checked
_seed = None          # the last manual_seed, applied to generators created later
_generators = {}      # backend name -> random Generator


# What a user calls; the rest is the kernels' plumbing (which array module, which device).
__all__ = ["BACKENDS", "BackendError", "current", "get_rng_state", "manual_seed", "set_rng_state", "use"]


class BackendError(RuntimeError):
    """The requested backend cannot be used on this machine."""


def _load_cupy():
    """Import CuPy and make sure a GPU is visible, or explain what is missing."""
    global _cupy
    if _cupy is not None:
        return _cupy
    try:
        import cupy
    except ImportError as exc:
        raise BackendError(
            "the 'cupy' backend needs CuPy, which is not installed "
            f"({exc}). Install it with: pip install \"minin[cuda12]\" "
            "(or \"minin[cuda13]\" for CUDA 13)") from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDA driver missing or broken
        raise BackendError(
            "the 'cupy' backend needs an NVIDIA GPU, but CUDA reports none "
            f"({type(exc).__name__}: {exc}). Check the driver with nvidia-smi, "
            "or use the 'numpy' backend") from None
    if count == 0:
        raise BackendError("the 'cupy' backend needs an NVIDIA GPU, but none is visible; "
                           "use the 'numpy' backend")
    _cupy = cupy
    return cupy


def use(name):
    """Make ``name`` the backend that new tensors are created on.

    Args:
        name: "numpy" (the CPU) or "cupy" (an NVIDIA GPU).

    Raises:
        ValueError: an unknown name.
        BackendError: "cupy" without CuPy or a visible GPU; the message says what is missing.

    Example::

        >>> previous = current()
        >>> use("numpy"); mn.zeros(2).device
        device(type='cpu')
        >>> use("tpu")
        Traceback (most recent call last):
        ...
        ValueError: unknown backend 'tpu'; expected one of ('numpy', 'cupy')
        >>> use(previous)
    """
    global _current
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; expected one of {BACKENDS}")
    if name == "cupy":
        _load_cupy()
    _current = name


def current():
    """The name of the backend new tensors are created on: "numpy" or "cupy".

    Example::

        >>> current() in BACKENDS
        True
    """
    return _current


def module(name):
    """The array module (numpy or cupy) of a backend name."""
    if name == "numpy":
        return np
    if name == "cupy":
        return _load_cupy()
    raise ValueError(f"unknown backend {name!r}; expected one of {BACKENDS}")


def xp():
    """The array module of the current backend."""
    return module(_current)


def name_of(array):
    """'numpy' or 'cupy': where ``array`` lives."""
    if type(array).__module__.startswith("cupy"):
        return "cupy"
    return "numpy"


def is_array(obj):
    """Whether ``obj`` is a NumPy or CuPy array (not a Tensor, list or scalar)."""
    return isinstance(obj, np.ndarray) or name_of(obj) == "cupy"


def on_gpu(array):
    """Whether ``array`` lives on the GPU: the one test a kernel uses to pick its version."""
    return name_of(array) == "cupy"


def scatter_add(out, index, values):
    """``out[index] += values`` where ``index`` may repeat a position (each repeat adds)."""
    if on_gpu(out):
        import cupyx  # CuPy's home of scatter_add; only reached with the cupy backend loaded
        cupyx.scatter_add(out, index, values)
    else:
        np.add.at(out, index, values)


def get_array_module(array):
    """The numpy or cupy module that ``array`` belongs to."""
    return module("cupy") if name_of(array) == "cupy" else np


def asnumpy(array):
    """A NumPy array with the values of ``array`` (copied off the GPU if needed)."""
    if name_of(array) == "cupy":
        return array.get()
    return np.asarray(array)


def to_backend(array, name):
    """``array`` moved to backend ``name`` (no copy if it is already there)."""
    if name_of(array) == name:
        return array
    if name == "numpy":
        return asnumpy(array)
    return module(name).asarray(array)


def manual_seed(seed):
    """Seed minin's random generators (one per backend) for reproducible runs, as
    ``torch.manual_seed`` (``minin.manual_seed`` is this function).

    Args:
        seed: an int. As in PyTorch, it may lie in [-2**63, 2**64); a negative one counts
            from 2**64.

    Raises:
        ValueError: a seed outside that range.

    Example::

        >>> manual_seed(0); first = mn.rand(2).tolist()
        >>> manual_seed(0); mn.rand(2).tolist() == first
        True
    """
    global _seed
    seed = int(seed)
    if not -2**63 <= seed < 2**64:
        raise ValueError(f"manual_seed: the seed must lie in [-2**63, 2**64), got {seed}")
    _seed = seed + 2**64 if seed < 0 else seed
    _generators.clear()


def reseed(name, seed):
    """Give backend ``name`` a fresh generator seeded with ``seed`` (an int or a tuple of ints)."""
    seed = np.random.SeedSequence(seed).generate_state(1)[0] if isinstance(seed, tuple) else seed
    _generators[name] = module(name).random.default_rng(int(seed))


def generator(name=None):
    """The random Generator of a backend; everything random in minin draws from it."""
    name = name or _current
    gen = _generators.get(name)
    if gen is None:
        gen = module(name).random.default_rng(_seed)
        _generators[name] = gen
    return gen


def get_rng_state():
    """The NumPy generator's state, as a JSON-friendly dict (for checkpoints), in the manner
    of ``torch.get_rng_state``; its integers (PCG64's are 128-bit) are written as "int:..."
    strings.

    Example::

        >>> import json
        >>> state = get_rng_state()
        >>> state["bit_generator"], json.loads(json.dumps(state)) == state
        ('PCG64', True)
    """
    state = generator("numpy").bit_generator.state
    return _stringify_ints(state)


def set_rng_state(state):
    """Restore the NumPy generator's state returned by ``get_rng_state``, in the manner of
    ``torch.set_rng_state``.

    Args:
        state: a dict from ``get_rng_state``.

    Example::

        >>> state = get_rng_state()
        >>> first = generator("numpy").random()
        >>> set_rng_state(state); generator("numpy").random() == first
        True
        >>> set_rng_state(state)
    """
    generator("numpy").bit_generator.state = _parse_ints(state)


def _stringify_ints(obj):
    # PCG64's state holds 128-bit integers, which no fixed-width array can store.
    if isinstance(obj, dict):
        return {k: _stringify_ints(v) for k, v in obj.items()}
    if isinstance(obj, int) and not isinstance(obj, bool):
        return f"int:{obj}"
    return obj


def _parse_ints(obj):
    if isinstance(obj, dict):
        return {k: _parse_ints(v) for k, v in obj.items()}
    if isinstance(obj, str) and obj.startswith("int:"):
        return int(obj[4:])
    return obj
