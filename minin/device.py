"""Devices as PyTorch names them: "cpu" runs on NumPy, "cuda" on CuPy.

minin's own word for where arrays live is the backend ("numpy" or "cupy", see
:mod:`minin.backend`); ``device`` is the PyTorch spelling of the same choice, so that
``x.to(device)`` in a PyTorch program means the same on minin.
"""

from . import backend

_BACKEND_OF = {"cpu": "numpy", "cuda": "cupy"}
_TYPE_OF = {"numpy": "cpu", "cupy": "cuda"}


class device:
    """A device: ``device("cpu")``, ``device("cuda")``, ``device("cuda:0")``, ``device("cuda", 0)``.

    As ``torch.device``; minin also takes its backend names, ``"numpy"`` and ``"cupy"``.
    Making a device does not need a GPU; moving a tensor to a "cuda" device does, and says
    so clearly.

    Args:
        spec: "cpu", "cuda", "cuda:N", "numpy", "cupy", or a ``device``.
        index: the GPU's number where ``spec`` gives none (default None); "cpu" takes only 0.

    Example::

        >>> mn.device("cuda:0"), mn.device("cpu").type
        (device(type='cuda', index=0), 'cpu')
    """

    __slots__ = ("type", "index")

    def __init__(self, spec, index=None):
        if isinstance(spec, device):
            spec, index = spec.type, spec.index if index is None else index
        if not isinstance(spec, str):
            raise TypeError(f"device takes a string such as 'cpu' or 'cuda:0', got {spec!r}")
        kind, _, number = spec.partition(":")
        kind = _TYPE_OF.get(kind, kind)
        if kind not in _BACKEND_OF:
            raise ValueError(f"unknown device {spec!r}; expected 'cpu', 'cuda' or 'cuda:N' "
                             "(or minin's backend names 'numpy' and 'cupy')")
        if number:
            if index is not None or not number.isdigit():
                raise ValueError(f"bad device string {spec!r}; expected e.g. 'cuda:0'")
            index = int(number)
        if index is not None and (kind == "cpu" and index != 0 or isinstance(index, bool)
                                  or not isinstance(index, int) or index < 0):
            raise ValueError(f"bad device index {index!r} for {kind!r}")
        self.type, self.index = kind, (None if kind == "cpu" else index)

    @property
    def backend(self):
        """minin's name for this device's backend: 'numpy' or 'cupy'."""
        return _BACKEND_OF[self.type]

    @classmethod
    def of(cls, array):
        """The device an array lives on."""
        if backend.on_gpu(array):
            return cls("cuda", array.device.id)
        return cls("cpu")

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except (ValueError, TypeError):
                return False
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"


def backend_of(where):
    """The backend name ('numpy' or 'cupy') for a device, a device string or a backend
    name; for a GPU, checks that CuPy and a GPU are there, and that ``where`` names the
    GPU minin uses (CuPy's current device).

    Args:
        where: a ``device``, or a string ``device`` takes: "cpu", "cuda", "cuda:N",
            "numpy" or "cupy".

    Returns:
        'numpy' or 'cupy'. A "cuda" device raises ``BackendError`` without CuPy or a GPU,
        and ValueError if it names a GPU other than the current one.

    Example::

        >>> backend_of("cpu"), backend_of(device("cpu")), backend_of("numpy")
        ('numpy', 'numpy', 'numpy')
    """
    place = device(where)
    if place.type == "cuda":
        cupy = backend.module("cupy")  # a clear BackendError without CuPy or a GPU
        current = cupy.cuda.runtime.getDevice()
        if place.index is not None and place.index != current:
            raise ValueError(f"minin runs on one GPU, the current one (cuda:{current}), not "
                             f"{place}; choose the GPU with CUDA_VISIBLE_DEVICES")
    return place.backend
