"""torchvision's image transforms, for one sample or a whole batch.

Called on one sample, each transform does what torchvision's does: a sample is an image
as a data set returns it, a uint8 NumPy array (H, W) or (H, W, C) as a PIL image would
give, until ``ToTensor`` makes it a float32 Tensor (C, H, W). Every transform also has
``batch(x)``, the same transform on an (N, C, H, W) array on the GPU or the CPU, which
is how the DataLoader applies a ``Compose`` of them to a whole batch in one go. The
arithmetic is ``minin.data.transforms``', shared by both paths; per sample, a transform
runs it on a batch of one.
"""

import enum
import numbers

import numpy as np

from .. import backend
from ..data import transforms as _batch
from ..tensor import Tensor


class InterpolationMode(enum.Enum):
    """torchvision's interpolation names, as ``torchvision.transforms.InterpolationMode``;
    minin resizes bilinearly only.

    Example::

        >>> from minin.vision import transforms
        >>> transforms.InterpolationMode.BILINEAR.value
        'bilinear'
        >>> transforms.Resize(4, interpolation=transforms.InterpolationMode.NEAREST)
        Traceback (most recent call last):
        ...
        ValueError: Resize: only bilinear interpolation is supported, got <InterpolationMode.NEAREST: 'nearest'>
    """
    NEAREST = "nearest"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"


def _as_batch(name, sample):
    """``sample`` as an (N, C, H, W) array, and a function turning a batch back into a
    sample of the same kind."""
    if isinstance(sample, Tensor):
        if sample.ndim == 3:
            return sample.data[None], lambda b: Tensor(b[0])
        if sample.ndim == 4:
            return sample.data, Tensor
        raise ValueError(f"{name} expects a Tensor image (C, H, W) or batch (N, C, H, W), "
                         f"got shape {tuple(sample.shape)}")
    if not isinstance(sample, np.ndarray):
        sample = np.asarray(sample)  # a PIL image
    if sample.ndim == 2:
        return sample[None, None], lambda b: b[0, 0]
    if sample.ndim == 3:
        return sample.transpose(2, 0, 1)[None], lambda b: b[0].transpose(1, 2, 0)
    raise ValueError(f"{name} expects an image array (H, W) or (H, W, C), "
                     f"got shape {sample.shape}")


class _PerSample:
    """A transform defined on batches, applied to one sample as a batch of one."""

    def __call__(self, sample):
        batch, back = _as_batch(type(self).__name__, sample)
        return back(self.batch(batch))


class Compose:
    """Apply ``transforms`` one after the other, as ``torchvision.transforms.Compose``.

    ``batch(x)`` runs them on an (N, C, H, W) array when every one of them can
    (``batchable``); a user function in the list makes the DataLoader go sample by sample.

    Args:
        transforms: a sequence of callables, each taking what the one before returns.

    Shape:
        a sample → whatever the last transform makes; on a batch likewise.

    Example::

        >>> from minin.vision import transforms
        >>> t = transforms.Compose([transforms.Resize(32), transforms.ToTensor()])
        >>> t(np.zeros((28, 28), np.uint8)).shape
        (1, 32, 32)
        >>> t.batch(np.zeros((4, 1, 28, 28), np.uint8)).shape, transforms.Compose([lambda x: x]).batchable
        ((4, 1, 32, 32), False)
    """

    def __init__(self, transforms):
        self.transforms = _batch._transform_list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise TypeError(f"Compose: every transform must be callable, got {t!r}")

    @property
    def batchable(self):
        """Whether every transform has a ``batch`` method (and is batchable itself)."""
        return all(callable(getattr(t, "batch", None)) and getattr(t, "batchable", True)
                   for t in self.transforms)

    def __call__(self, sample):
        for t in self.transforms:
            sample = t(sample)
        return sample

    def batch(self, x):
        """Each transform's ``batch`` on the (N, C, H, W) array ``x``, in turn."""
        for t in self.transforms:
            x = t.batch(x)
        return x

    def __repr__(self):
        inner = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"Compose({inner}\n)"


class ToTensor:
    """An image → a Tensor (C, H, W) on the current backend; uint8 becomes float32 in
    [0, 1], other dtypes are kept, as ``torchvision.transforms.ToTensor``.

    Takes what data sets give: an array (H, W) or (H, W, C) as a PIL image holds it, or a
    (C, H, W) image as minin's array data sets hold it (a Tensor, or an array whose first
    axis has 1 or 3 channels and whose last axis is too long to be channels).

    Shape:
        (H, W) → (1, H, W); (H, W, C) → (C, H, W); (C, H, W) stays. On a batch:
        (N, C, H, W) uint8 → float32 / 255.

    Example::

        >>> from minin.vision import transforms
        >>> transforms.ToTensor()(np.full((2, 2), 255, np.uint8)).tolist()
        [[[1.0, 1.0], [1.0, 1.0]]]
    """

    def __call__(self, pic):
        if isinstance(pic, Tensor):
            if pic.ndim != 3:
                raise ValueError(f"ToTensor expects a Tensor image (C, H, W), got shape "
                                 f"{tuple(pic.shape)}")
            return Tensor(self.batch(pic.data[None])[0])
        array = np.asarray(pic)
        if array.dtype.kind not in "biuf":   # None, a string, a list of objects
            raise TypeError(f"ToTensor expects an image (a PIL image or a numeric array), "
                            f"got {type(pic).__name__}")
        if array.ndim == 2:
            array = array[:, :, None]
        if array.ndim != 3:
            raise ValueError(f"ToTensor expects an image array (H, W), (H, W, C) or (C, H, W), "
                             f"got shape {array.shape}")
        chw = array if _is_chw(array.shape) else array.transpose(2, 0, 1)
        return Tensor(backend.to_backend(self.batch(np.ascontiguousarray(chw)[None])[0],
                                         backend.current()))

    def batch(self, x):
        """On an (N, C, H, W) array: uint8 → float32 / 255, other dtypes as they are."""
        return _batch.ToFloat()(x) if x.dtype == np.uint8 else x

    def __repr__(self):
        return "ToTensor()"


def makes_tensor(transform):
    """Whether ``transform`` turns a sample into a Tensor (C, H, W): it is a ``ToTensor``, or
    a ``Compose`` with one in it. Only then do its samples collate to (N, C, H, W), the
    layout of its ``batch``; before ``ToTensor`` a sample is an (H, W[, C]) array.

    Args:
        transform: a callable, such as a transform of this module.

    Example::

        >>> from minin.vision import transforms
        >>> transforms.makes_tensor(transforms.Compose([transforms.ToTensor()]))
        True
        >>> transforms.makes_tensor(transforms.RandomHorizontalFlip())
        False
    """
    if isinstance(transform, Compose):
        return any(makes_tensor(t) for t in transform.transforms)
    return isinstance(transform, ToTensor)


def _is_chw(shape):
    """Whether a 3-D image array is (C, H, W) rather than (H, W, C)."""
    return shape[0] in (1, 3) and shape[2] > 4


class Resize(_PerSample):
    """Bilinear resize, as ``torchvision.transforms.Resize``.

    uint8 images are resized in float32 and rounded back to uint8, as torchvision does
    for a PIL or uint8 image; float images stay float. The interpolation is PyTorch's
    bilinear with align_corners=False and no antialiasing, so shrinking an image differs
    from torchvision's default (antialias=True); enlarging is the same.

    Args:
        size: (height, width), or an int (or a sequence of one int) for the smaller edge
            (the aspect ratio kept, the longer edge int(size · long / short)).
        interpolation: bilinear only (default ``InterpolationMode.BILINEAR``).
        max_size: None only (default).
        antialias: accepted (default True); see above.

    Shape:
        (H, W) → (h, w); (H, W, C) → (h, w, C); Tensor (C, H, W) → (C, h, w); on a batch
        (N, C, H, W) → (N, C, h, w).

    Example::

        >>> from minin.vision import transforms
        >>> transforms.Resize((4, 6))(np.zeros((2, 3), np.uint8)).shape, transforms.Resize(4)(np.zeros((2, 3), np.uint8)).shape
        ((4, 6), (4, 6))
    """

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                 antialias=True):
        if interpolation not in (InterpolationMode.BILINEAR, "bilinear", 2):  # 2: PIL's BILINEAR
            raise ValueError(f"Resize: only bilinear interpolation is supported, "
                             f"got {interpolation!r}")
        if max_size is not None:
            raise ValueError(f"Resize: max_size is not supported, got {max_size!r}")
        self._resize = _batch.Resize(size)   # checks size
        self.size = size if isinstance(size, numbers.Integral) else tuple(size)

    def batch(self, x):
        """The resize of an (N, C, H, W) array."""
        if x.dtype != np.uint8:
            return self._resize(x)
        xp = backend.get_array_module(x)
        out = self._resize(x.astype(np.float32))
        return xp.clip(xp.rint(out, out=out), 0, 255, out=out).astype(np.uint8)

    def __repr__(self):
        return f"Resize(size={self.size}, interpolation=bilinear)"


class Normalize(_PerSample):
    """``(x - mean[c]) / std[c]`` for each channel c of a float image, as
    ``torchvision.transforms.Normalize``; a TypeError for anything but a Tensor (put
    ``ToTensor()`` before it).

    Args:
        mean: one number per channel (or one for all).
        std: likewise.
        inplace: accepted (default False; a new Tensor is returned either way).

    Shape:
        Tensor (C, H, W) → (C, H, W); on a batch (N, C, H, W) → (N, C, H, W).

    Example::

        >>> from minin.vision import transforms
        >>> transforms.Normalize((0.5,), (0.5,))(mn.tensor(np.ones((1, 2, 2)))).tolist()
        [[[1.0, 1.0], [1.0, 1.0]]]
    """

    def __init__(self, mean, std, inplace=False):
        self._normalize = _batch.Normalize(mean, std)
        self.mean, self.std = mean, std

    def __call__(self, tensor):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"Normalize expects a float Tensor (C, H, W), got "
                            f"{type(tensor).__name__}; put ToTensor() before it")
        if not np.issubdtype(tensor.dtype, np.floating):
            raise TypeError(f"Normalize expects a float Tensor (C, H, W), got dtype "
                            f"{tensor.dtype}")
        return super().__call__(tensor)

    def batch(self, x):
        """The normalisation of an (N, C, H, W) float array."""
        return self._normalize(x)

    def __repr__(self):
        return f"Normalize(mean={self.mean}, std={self.std})"


class RandomCrop(_PerSample):
    """A random ``size`` window of the image, after zero-padding each border by ``padding``,
    as ``torchvision.transforms.RandomCrop``.

    In a batch every image gets its own window. Random numbers come from minin's
    generator (``minin.manual_seed``), so the crops differ from torchvision's draws.

    Args:
        size: int or (h, w).
        padding: an int, the same on every side, or None (default: no padding).
        pad_if_needed, fill, padding_mode: only their defaults (False, 0, "constant")
            are supported.

    Shape:
        (H, W) → (h, w); (H, W, C) → (h, w, C); Tensor (C, H, W) → (C, h, w); on a batch
        (N, C, H, W) → (N, C, h, w).

    Example::

        >>> from minin.vision import transforms
        >>> transforms.RandomCrop(2, padding=1)(np.ones((3, 3), np.uint8)).shape
        (2, 2)
    """

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0,
                 padding_mode="constant"):
        if pad_if_needed or fill != 0 or padding_mode != "constant":
            raise ValueError("RandomCrop: only pad_if_needed=False, fill=0 and "
                             "padding_mode='constant' are supported, got "
                             f"{pad_if_needed!r}, {fill!r}, {padding_mode!r}")
        if padding is not None and not isinstance(padding, numbers.Integral):
            raise ValueError(f"RandomCrop: padding must be an int or None (the same on every "
                             f"side), got {padding!r}")
        self._crop = _batch.RandomCrop(size, padding or 0)
        self.size, self.padding = self._crop.size, padding

    def batch(self, x):
        """Crops of an (N, C, H, W) array, one window per image."""
        return self._crop(x)

    def __repr__(self):
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip(_PerSample):
    """Mirror the image left-right with probability ``p`` (each image of a batch on its own),
    as ``torchvision.transforms.RandomHorizontalFlip``.

    Args:
        p: the probability of a flip (default 0.5).

    Shape:
        any image or batch, unchanged.

    Example::

        >>> from minin.vision import transforms
        >>> transforms.RandomHorizontalFlip(p=1.0)(np.array([[1, 2, 3]], np.uint8))
        array([[3, 2, 1]], dtype=uint8)
    """

    def __init__(self, p=0.5):
        self._flip = _batch.RandomHorizontalFlip(p)
        self.p = p

    def batch(self, x):
        """Flips of an (N, C, H, W) array, drawn per image."""
        return self._flip(x)

    def __repr__(self):
        return f"RandomHorizontalFlip(p={self.p})"


__all__ = ["Compose", "InterpolationMode", "Normalize", "RandomCrop", "RandomHorizontalFlip",
           "Resize", "ToTensor"]
