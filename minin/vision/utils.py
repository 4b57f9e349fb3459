"""``make_grid``: a batch of images tiled into one image, as torchvision.utils.make_grid."""

import math
import numbers

import numpy as np

from .. import backend
from ..tensor import Tensor

__all__ = ["make_grid"]


def _images(tensor):
    if isinstance(tensor, (list, tuple)):
        return backend.xp().stack([t.data if isinstance(t, Tensor) else t for t in tensor])
    x = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if x.ndim == 2:
        x = x[None]
    if x.ndim == 3:
        x = x[None] if x.shape[0] in (1, 3) else x[:, None]   # one image, or N grey maps
    return x


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0):
    """Tile images into a grid: ``nrow`` images per row, ``padding`` pixels between them, as
    ``torchvision.utils.make_grid``.

    As torchvision: one-channel images become three (grey RGB); a single image comes back
    as it is (three channels if it had one).

    Args:
        tensor: (N, C, H, W) Tensor or array, or a list of (C, H, W) images; also one
            image (C, H, W) or (H, W), or N grey maps (N, H, W).
        nrow: images per row (default 8).
        padding: pixels between and around them (default 2).
        normalize: shift and scale the values to [0, 1] (default False), using
            ``value_range`` or the images' own minimum and maximum.
        value_range: (min, max) for ``normalize``, values outside it clipped (default
            None: the images' own).
        scale_each: with ``normalize``, each image by its own minimum and maximum
            (default False).
        pad_value: the value of the padding (default 0.0).

    Shape:
        (N, C, H, W) → (3 if C == 1 else C, rows · (H + padding) + padding,
        cols · (W + padding) + padding) with cols = min(nrow, N), rows = ceil(N / cols).

    Returns:
        A Tensor.

    Raises:
        ValueError: not images, or a bad ``nrow`` or ``padding``.

    Example::

        >>> make_grid(mn.tensor(np.ones((5, 1, 4, 4))), nrow=4).shape
        (3, 14, 26)
    """
    x = _images(tensor)
    if x.ndim != 4:
        raise ValueError(f"make_grid expects images (N, C, H, W), got shape {x.shape}")
    if not all(isinstance(v, numbers.Integral) for v in (nrow, padding)) or nrow < 1 or padding < 0:
        raise ValueError(f"make_grid: nrow must be a positive int and padding a non-negative int, got "
                         f"nrow={nrow}, padding={padding}")
    xp = backend.get_array_module(x)
    if x.shape[1] == 1:
        x = xp.concatenate([x, x, x], axis=1)
    if normalize:
        x = x.astype(np.float32) if not np.issubdtype(x.dtype, np.floating) else x.copy()
        ranges = [value_range] * len(x) if value_range is not None else (
            [(float(im.min()), float(im.max())) for im in x] if scale_each
            else [(float(x.min()), float(x.max()))] * len(x))
        for i, (low, high) in enumerate(ranges):
            x[i] = (xp.clip(x[i], low, high) - low) / max(high - low, 1e-5)
    n, c, h, w = x.shape
    if n == 1:
        return Tensor(x[0])
    cols = min(nrow, n)
    rows = math.ceil(n / cols)
    grid = xp.full((c, rows * (h + padding) + padding, cols * (w + padding) + padding),
                   pad_value, dtype=x.dtype)
    for k in range(n):
        top, left = (k // cols) * (h + padding) + padding, (k % cols) * (w + padding) + padding
        grid[:, top:top + h, left:left + w] = x[k]
    return Tensor(grid)
