"""``minin.cuda``: PyTorch's questions about the GPU, answered from CuPy.

    if minin.cuda.is_available():
        model.to("cuda")
"""

from . import backend


def is_available():
    """Whether CuPy is installed and sees at least one NVIDIA GPU."""
    try:
        backend.module("cupy")
    except backend.BackendError:
        return False
    return True


def device_count():
    """The number of GPUs CuPy sees (0 without CuPy or a GPU)."""
    if not is_available():
        return 0
    return int(backend.module("cupy").cuda.runtime.getDeviceCount())


def current_device():
    """The index of the GPU minin runs on."""
    return int(backend.module("cupy").cuda.runtime.getDevice())


def synchronize():
    """Wait until the GPU has finished the work queued so far (for timing)."""
    if is_available():
        backend.module("cupy").cuda.runtime.deviceSynchronize()


def manual_seed(seed):
    """Seed the GPU's random generator (PyTorch's ``torch.cuda.manual_seed``); without a
    GPU, as in PyTorch, nothing happens. ``minin.manual_seed`` seeds every backend."""
    if is_available():
        backend.reseed("cupy", int(seed) % 2**64)


manual_seed_all = manual_seed
