"""Batch transforms: each takes a whole (N, C, H, W) array and returns one, on its backend.

Working on a batch instead of one image at a time keeps the per-batch cost at a handful
of array operations, which is what makes augmentation affordable on the GPU. Random
transforms draw from minin's generator for the batch's backend, so ``minin.manual_seed``
makes them reproducible.
"""

import numbers

import numpy as np

from .. import backend


def _check_batch(name, x):
    if getattr(x, "ndim", None) != 4:
        raise ValueError(f"{name} expects a batch of shape (N, C, H, W), got "
                         f"{getattr(x, 'shape', type(x).__name__)}")


def _check_float(name, x):
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{name} expects floating-point images, got dtype {x.dtype}; "
                        "put ToFloat() before it")


def _size_pair(name, size):
    pair = (size, size) if isinstance(size, numbers.Integral) else \
        tuple(size) if isinstance(size, (list, tuple)) else ()   # 2.5, "a", None: an error below
    if len(pair) == 1:   # torchvision: a sequence of one is a square
        pair = pair * 2
    if len(pair) != 2 or not all(isinstance(s, numbers.Integral) and not isinstance(s, bool)
                                 and s > 0 for s in pair):
        raise ValueError(f"{name}: size must be a positive int or a pair (height, width), "
                         f"got {size!r}")
    return int(pair[0]), int(pair[1])


def _transform_list(transforms):
    """``transforms`` as a list; a lone transform is the usual slip (``Compose(ToTensor())``)."""
    if callable(transforms) or not isinstance(transforms, (list, tuple)):
        raise TypeError(f"Compose expects a list of transforms, got {transforms!r}")
    return list(transforms)


class Compose:
    """Apply batch transforms one after the other, as ``torchvision.transforms.Compose``.

    Args:
        transforms: a sequence of callables, each taking a batch and returning one.

    Shape:
        (N, C, H, W) → whatever the last transform makes.

    Example::

        >>> t = Compose([ToFloat(), Normalize(0.5, 0.5)])
        >>> t(np.full((8, 1, 2, 2), 255, np.uint8))[0, 0]
        array([[1., 1.],
               [1., 1.]], dtype=float32)
    """

    def __init__(self, transforms):
        self.transforms = _transform_list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise TypeError(f"Compose: every transform must be callable, got {t!r}")

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self):
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{inner}\n])" if inner else "Compose([])"


class ToFloat:
    """uint8 images (0..255) to float32 in [0, 1], as ``torchvision.transforms.ConvertImageDtype``.

    The DataLoader's default transform. Anything but uint8 raises TypeError.

    Shape:
        (N, C, H, W) uint8 → (N, C, H, W) float32.

    Example::

        >>> ToFloat()(np.array([0, 51, 255], np.uint8).reshape(1, 1, 1, 3))
        array([[[[0. , 0.2, 1. ]]]], dtype=float32)
    """

    def __call__(self, x):
        _check_batch("ToFloat", x)
        if x.dtype != np.uint8:
            raise TypeError(f"ToFloat expects uint8 images (0..255), got dtype {x.dtype}")
        out = x.astype(np.float32)
        out /= 255
        return out

    def __repr__(self):
        return "ToFloat()"


class Normalize:
    """``(x - mean[c]) / std[c]`` for each channel c, as ``torchvision.transforms.Normalize``.

    Args:
        mean: one number for all channels, or one per channel.
        std: likewise, without zeros; one number and a list for the other broadcast.

    Shape:
        (N, C, H, W) floating point → the same shape and dtype (put ``ToFloat()`` before
        it for uint8 images).

    Example::

        >>> Normalize(mean=[0.5, 0.0], std=[0.5, 2.0])(np.ones((1, 2, 1, 1), np.float32)).ravel()
        array([1. , 0.5], dtype=float32)
    """

    def __init__(self, mean, std):
        # float64, cast to the images' dtype when applied: float64 images get torch's values
        self.mean, self.std = _channel_values(mean), _channel_values(std)
        if self.mean is None or self.std is None or self.mean.ndim != 1 or self.std.ndim != 1 \
                or 1 not in (len(self.mean), len(self.std)) and len(self.mean) != len(self.std):
            raise ValueError(f"Normalize: mean and std must be numbers or equally long lists "
                             f"of numbers, got {mean!r} and {std!r}")
        if not (np.isfinite(self.mean).all() and np.isfinite(self.std).all()):
            raise ValueError(f"Normalize: mean and std must be finite, got {mean!r} and {std!r}")
        if np.any(self.std == 0):
            raise ValueError(f"Normalize: std must not contain zeros, got {std!r}")
        # one value against one per channel broadcasts, as in torchvision
        self.mean, self.std = (a.copy() for a in np.broadcast_arrays(self.mean, self.std))

    def __call__(self, x):
        _check_batch("Normalize", x)
        _check_float("Normalize", x)
        if len(self.mean) not in (1, x.shape[1]):
            raise ValueError(f"Normalize has {len(self.mean)} channel values, but the batch has "
                             f"{x.shape[1]} channels")
        xp = backend.get_array_module(x)
        mean = xp.asarray(self.mean.reshape(-1, 1, 1), dtype=x.dtype)
        std = xp.asarray(self.std.reshape(-1, 1, 1), dtype=x.dtype)
        return (x - mean) / std

    def __repr__(self):
        mean, std = ([round(float(v), 6) for v in a] for a in (self.mean, self.std))
        return f"Normalize(mean={mean}, std={std})"


def _channel_values(values):
    """``values`` as a float64 array of at least one dimension, or None if they are not numbers."""
    if values is None or isinstance(values, (str, bytes)):   # None would become NaN
        return None
    try:
        return np.atleast_1d(np.asarray(values, dtype=np.float64))
    except (TypeError, ValueError):
        return None


class RandomCrop:
    """A random window of each image after zero-padding, as ``torchvision.transforms.RandomCrop``.

    Unlike torchvision on a batch, each image gets its own offset; the windows are
    gathered with one fancy index, not a loop over images. The offsets come from minin's
    generator for the batch's backend, so ``minin.manual_seed`` fixes them.

    Args:
        size: the window, an int or a pair (height, width).
        padding: zeros added on each side of each image first (default 0).

    Shape:
        (N, C, H, W) → (N, C, height, width), same dtype; the window must fit in
        (H + 2·padding, W + 2·padding).

    Example::

        >>> RandomCrop(28, padding=4)(np.zeros((8, 1, 28, 28), np.uint8)).shape
        (8, 1, 28, 28)
        >>> mn.manual_seed(0)
        >>> x = np.arange(16, dtype=np.uint8).reshape(1, 1, 4, 4).repeat(3, axis=0)
        >>> RandomCrop(2)(x)[:, 0, 0, 0]     # each image's own top-left corner
        array([8, 4, 4], dtype=uint8)
    """

    def __init__(self, size, padding=0):
        self.size = _size_pair("RandomCrop", size)
        if not isinstance(padding, numbers.Integral) or padding < 0:
            raise ValueError(f"RandomCrop: padding must be a non-negative int, got {padding!r}")
        self.padding = int(padding)

    def __call__(self, x):
        _check_batch("RandomCrop", x)
        xp = backend.get_array_module(x)
        p, (h, w) = self.padding, self.size
        if p:
            x = xp.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        n, c, height, width = x.shape
        if h > height or w > width:
            raise ValueError(f"RandomCrop: a {h}x{w} crop does not fit in {height}x{width} "
                             f"images (after padding by {p})")
        gen = backend.generator(backend.name_of(x))
        top = gen.integers(0, height - h + 1, size=n)
        left = gen.integers(0, width - w + 1, size=n)
        rows = (top[:, None] + xp.arange(h))[:, None, :, None]
        cols = (left[:, None] + xp.arange(w))[:, None, None, :]
        return x[xp.arange(n)[:, None, None, None], xp.arange(c)[None, :, None, None], rows, cols]

    def __repr__(self):
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Flip each image left-right with probability ``p``, like torchvision's ``RandomHorizontalFlip``.

    Each image is flipped or not on its own draw (torchvision flips a whole batch tensor
    or none of it); the draws come from minin's generator for the batch's backend, so
    ``minin.manual_seed`` fixes them.

    Args:
        p: the probability that an image is flipped (default 0.5).

    Shape:
        (N, C, H, W) → the same shape and dtype.

    Example::

        >>> mn.manual_seed(0)
        >>> x = np.array([[[[1, 2, 3]]]] * 4, np.uint8)     # 4 images of 1x1x3
        >>> RandomHorizontalFlip()(x)[:, 0, 0]
        array([[1, 2, 3],
               [3, 2, 1],
               [3, 2, 1],
               [3, 2, 1]], dtype=uint8)
    """

    def __init__(self, p=0.5):
        if not isinstance(p, numbers.Real) or not 0 <= p <= 1:
            raise ValueError(f"RandomHorizontalFlip: p must lie in [0, 1], got {p!r}")
        self.p = float(p)

    def __call__(self, x):
        _check_batch("RandomHorizontalFlip", x)
        xp = backend.get_array_module(x)
        flip = backend.generator(backend.name_of(x)).random(len(x)) < self.p
        return xp.where(flip[:, None, None, None], x[..., ::-1], x)

    def __repr__(self):
        return f"RandomHorizontalFlip(p={self.p})"


def _bilinear_matrix(n_in, n_out):
    """(n_out, n_in) weights of bilinear interpolation with align_corners=False.

    Row i mixes the two input pixels around the source position (i + 0.5) * n_in / n_out - 0.5,
    clamped at 0 and at the last pixel, as PyTorch's ``interpolate`` does without antialiasing.
    """
    src = np.maximum((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    frac = src - i0
    matrix = np.zeros((n_out, n_in))
    np.add.at(matrix, (np.arange(n_out), i0), 1 - frac)
    np.add.at(matrix, (np.arange(n_out), i1), frac)
    return matrix


class Resize:
    """Bilinear resize, as ``torchvision.transforms.Resize`` on tensors with ``antialias=False``.

    The resize is separable: two matrix products with small interpolation matrices,
    (H_out, H_in) on the left and (W_in, W_out) on the right, fast on both backends and
    the same arithmetic on each.

    Args:
        size: (height, width), or an int (or a sequence of one int) for the smaller
            edge, keeping the aspect ratio as torchvision does (the other edge becomes
            int(size · long / short)).

    Shape:
        (N, C, H, W) floating point → (N, C, H_out, W_out), same dtype.

    Example::

        >>> Resize(56)(np.zeros((8, 1, 28, 40), np.float32)).shape
        (8, 1, 56, 80)
        >>> Resize((1, 4))(np.array([[[[0., 1.]]]], np.float32))
        array([[[[0.  , 0.25, 0.75, 1.  ]]]], dtype=float32)
    """

    def __init__(self, size):
        if isinstance(size, (list, tuple)) and len(size) == 1:
            size = size[0]   # torchvision: a sequence of one is the smaller edge, as an int
        if isinstance(size, numbers.Integral) and not isinstance(size, bool):
            if size <= 0:
                raise ValueError(f"Resize: size must be positive, got {size!r}")
            self.size = int(size)
        else:
            self.size = _size_pair("Resize", size)
        self._matrices = {}

    def _output_size(self, height, width):
        if not isinstance(self.size, int):
            return self.size
        if height <= width:
            return self.size, int(self.size * width / height)
        return int(self.size * height / width), self.size

    def _matrix(self, n_in, n_out, dtype, xp):
        key = (n_in, n_out, np.dtype(dtype).str, xp.__name__)
        if key not in self._matrices:
            self._matrices[key] = xp.asarray(_bilinear_matrix(n_in, n_out).astype(dtype))
        return self._matrices[key]

    def __call__(self, x):
        _check_batch("Resize", x)
        _check_float("Resize", x)
        xp = backend.get_array_module(x)
        height, width = x.shape[2:]
        if height == 0 or width == 0:
            raise ValueError(f"Resize: cannot resize empty images ({height}x{width})")
        out_h, out_w = self._output_size(height, width)
        rows = self._matrix(height, out_h, x.dtype, xp)        # (out_h, height)
        cols = self._matrix(width, out_w, x.dtype, xp).T       # (width, out_w)
        n, c = x.shape[:2]
        wide = (x.reshape(-1, width) @ cols).reshape(n, c, height, out_w)  # one large GEMM
        return xp.matmul(rows, wide)

    def __repr__(self):
        return f"Resize(size={self.size})"
