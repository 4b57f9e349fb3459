"""``minin.accelerator``: PyTorch's device-neutral questions about the GPU (``torch.accelerator``,
which PyTorch's quickstart asks first). minin's only accelerator is an NVIDIA GPU through
CuPy, so each answer is ``minin.cuda``'s.

    device = mn.accelerator.current_accelerator().type if mn.accelerator.is_available() else "cpu"
"""

from . import cuda
from .device import device


def is_available():
    """Whether there is a GPU to run on, as ``torch.accelerator.is_available``.

    Example::

        >>> mn.accelerator.is_available() == mn.cuda.is_available()
        True
    """
    return cuda.is_available()


def current_accelerator(check_available=False):
    """The accelerator's device, ``device(type='cuda')``, or None without one, as
    ``torch.accelerator.current_accelerator``.

    Args:
        check_available: PyTorch's; a build of PyTorch names its accelerator even where no
            GPU is present unless this is True. minin has no such build: it answers None
            whenever CuPy sees no GPU.

    Example::

        >>> accelerator = mn.accelerator.current_accelerator()
        >>> accelerator is None or accelerator.type == "cuda"
        True
    """
    return device("cuda") if cuda.is_available() else None


def device_count():
    """How many GPUs there are (0 without any), as ``torch.accelerator.device_count``.

    Example::

        >>> mn.accelerator.device_count() == mn.cuda.device_count()
        True
    """
    return cuda.device_count()


def current_device_index():
    """The index of the GPU minin runs on, as ``torch.accelerator.current_device_index``.

    Raises:
        minin.backend.BackendError: without CuPy or a GPU.

    Usage (it needs a GPU)::

        if mn.accelerator.is_available():
            print(mn.accelerator.current_device_index())
    """
    return cuda.current_device()


def synchronize(device=None):
    """Wait for the work queued on the GPU, as ``torch.accelerator.synchronize``; without a GPU
    it does nothing.

    Args:
        device: PyTorch's; minin runs on one GPU, so it is ignored.

    Example::

        >>> mn.accelerator.synchronize()
    """
    cuda.synchronize()
