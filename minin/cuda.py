"""``minin.cuda``: PyTorch's questions about the GPU, answered from CuPy.

    if minin.cuda.is_available():
        model.to("cuda")
"""

from . import backend


def is_available():
    """Whether CuPy is installed and sees at least one NVIDIA GPU, as ``torch.cuda.is_available``.

    Example::

        >>> device = "cuda" if mn.cuda.is_available() else "cpu"
        >>> mn.zeros(2).to(device).device.type == device
        True
    """
    try:
        backend.module("cupy")
    except backend.BackendError:
        return False
    return True


def device_count():
    """The number of GPUs CuPy sees (0 without CuPy or a GPU), as ``torch.cuda.device_count``.

    Example::

        >>> (mn.cuda.device_count() > 0) == mn.cuda.is_available()
        True
    """
    if not is_available():
        return 0
    return int(backend.module("cupy").cuda.runtime.getDeviceCount())


def current_device():
    """The index of the GPU minin runs on (CuPy's current device), as
    ``torch.cuda.current_device``.

    Returns:
        an int.

    Raises:
        minin.backend.BackendError: without CuPy or a GPU; the message says what is missing.

    Usage (it needs a GPU)::

        if mn.cuda.is_available():
            print(f"running on GPU {mn.cuda.current_device()} of {mn.cuda.device_count()}")
    """
    return int(backend.module("cupy").cuda.runtime.getDevice())


def synchronize():
    """Wait until the GPU has finished the work queued so far (for timing), as
    ``torch.cuda.synchronize``; without a GPU it does nothing.

    Example::

        >>> mn.cuda.synchronize()
    """
    if is_available():
        backend.module("cupy").cuda.runtime.deviceSynchronize()


def manual_seed(seed):
    """Seed the GPU's random generator (PyTorch's ``torch.cuda.manual_seed``); without a
    GPU, as in PyTorch, nothing happens. ``minin.manual_seed`` seeds every backend.

    ``manual_seed_all`` (``torch.cuda.manual_seed_all``) is the same function: minin runs
    on one GPU.

    Args:
        seed: an int, taken modulo 2**64.

    Example::

        >>> mn.cuda.manual_seed(0)
        >>> mn.cuda.manual_seed_all is mn.cuda.manual_seed
        True
    """
    if is_available():
        backend.reseed("cupy", int(seed) % 2**64)


manual_seed_all = manual_seed
