"""Figures: training curves and NiN's class confidence maps (matplotlib, if installed)."""

import os

import numpy as np

from ._files import atomic_write


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")  # files only, no window
    import matplotlib.pyplot as plt
    return plt


def plot_curves(history, path):
    """Draw loss and accuracy against epoch, training and validation side by side, to an
    image file.

    Args:
        history: the rows of metrics.jsonl, dicts with ``epoch``, ``train_loss``,
            ``train_acc``, ``val_loss`` and ``val_acc`` (the validation ones None, then not
            drawn, without a validation set). A value that is missing or not a number
            leaves a gap; a row without an epoch number is left out.
        path: the image file to write (e.g. curves.png).

    Returns:
        True if written; False (and nothing written) when matplotlib is missing or
        ``history`` is empty.

    Example::

        >>> import os, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> history = [{"epoch": 1, "train_loss": 0.9, "train_acc": 0.70, "val_loss": 0.8, "val_acc": 0.72},
        ...            {"epoch": 2, "train_loss": 0.6, "train_acc": 0.80, "val_loss": 0.7, "val_acc": 0.75}]
        >>> plot_curves(history, os.path.join(folder, "curves.png")), os.listdir(folder)
        (True, ['curves.png'])
        >>> plot_curves([], os.path.join(folder, "empty.png"))
        False
    """
    history = [row for row in history if not np.isnan(_number(row, "epoch"))]
    plt = _pyplot()
    if plt is None or not history:
        return False
    epochs = [_number(row, "epoch") for row in history]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for axis, key, title in ((left, "loss", "cross-entropy loss"), (right, "acc", "accuracy")):
        axis.plot(epochs, [_number(row, f"train_{key}") for row in history], "o-", label="training",
                  color="#1f77b4")
        validation = [_number(row, f"val_{key}") for row in history]
        if not np.isnan(validation).all():
            axis.plot(epochs, validation, "s-", label="validation", color="#d62728")
        axis.set_xlabel("epoch")
        axis.set_title(title)
        axis.grid(alpha=0.3)
        axis.legend()
        if len(epochs) < 15:
            axis.set_xticks(epochs)
    right.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    fig.tight_layout()
    _save(fig, path, dpi=120)
    plt.close(fig)
    return True


def _number(row, key):
    """``row[key]`` as a float; NaN (a gap in the curve) where it is missing or not a number,
    as in a hand-edited metrics.jsonl: a figure never stops a run."""
    value = row.get(key) if isinstance(row, dict) else None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else float("nan")


def upsample(maps, size):
    """Bilinear upsampling of maps, each map cell's value at its centre, as
    ``torch.nn.functional.interpolate(mode="bilinear", align_corners=False)``.

    Args:
        maps: an array (..., h, w).
        size: (H, W).

    Shape:
        (..., h, w) → (..., H, W).

    Returns:
        a float32 NumPy array.

    Example::

        >>> upsample(np.array([[0.0, 1.0]]), (1, 4)).tolist()
        [[0.0, 0.25, 0.75, 1.0]]
    """
    maps = np.asarray(maps, dtype=np.float32)
    out = maps
    for axis, (n_in, n_out) in zip((-2, -1), zip(maps.shape[-2:], size)):
        position = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
        low = np.floor(position).astype(int)
        high = np.minimum(low + 1, n_in - 1)
        frac = (position - low).astype(np.float32)
        shape = [1] * out.ndim
        shape[axis] = n_out
        frac = frac.reshape(shape)
        out = np.take(out, low, axis=axis) * (1 - frac) + np.take(out, high, axis=axis) * frac
    return out


def plot_class_maps(images, maps, probabilities, labels, classes, path, mean=0.0, std=1.0):
    """Draw NiN's class maps to an image file: one row per image, the image, then each class
    map (the last layer's feature maps, one per class, before global pooling) upsampled to
    the image's size and laid over it.

    The true class is outlined in green, a wrong prediction in red.

    Args:
        images: normalised images; ``mean`` and ``std`` undo the normalisation.
        maps: class maps, drawn on one colour scale with a colour bar.
        probabilities: softmax of the logits, printed under each class name.
        labels: the true classes.
        classes: the K full class names (column titles).
        path: the image file to write.
        mean, std: of the normalisation, one number or one per channel (defaults 0.0
            and 1.0: none).

    Shape:
        images (N, C, H, W), maps (N, K, h, w), probabilities (N, K), labels (N,).

    Raises:
        RuntimeError: without matplotlib.

    Example::

        >>> import os, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> maps = np.arange(8.0).reshape(1, 2, 2, 2)              # one image, two classes
        >>> plot_class_maps(np.zeros((1, 1, 8, 8)), maps, np.array([[0.3, 0.7]]), np.array([1]),
        ...                 ["cat", "dog"], os.path.join(folder, "maps.png"))
        >>> os.listdir(folder)
        ['maps.png']
    """
    plt = _pyplot()
    if plt is None:
        raise RuntimeError("drawing class maps needs matplotlib: pip install \"minin[plot]\"")
    import textwrap

    count, num_classes = maps.shape[:2]
    height, width = images.shape[2:]
    big = upsample(maps, (height, width))
    low, high = float(big.min()), float(big.max())
    fig, axes = plt.subplots(count, num_classes + 1, figsize=(1.3 * (num_classes + 1) + 1.2, 1.5 * count + 0.9),
                             squeeze=False, layout="constrained")
    shown = None
    for row in range(count):
        picture = images[row] * np.asarray(std).reshape(-1, 1, 1) + np.asarray(mean).reshape(-1, 1, 1)
        picture = np.clip(picture.transpose(1, 2, 0), 0, 1)
        grey = picture[..., 0] if picture.shape[2] == 1 else picture.mean(2)
        # vmin/vmax: a grey image is drawn as it is, not stretched to its own darkest and lightest
        axes[row, 0].imshow(picture[..., 0] if picture.shape[2] == 1 else picture, cmap="gray", vmin=0, vmax=1)
        predicted = int(np.argmax(probabilities[row]))
        verdict = "" if predicted == labels[row] else f"\npredicted: {classes[predicted]}"
        axes[row, 0].set_title(f"true: {classes[labels[row]]}{verdict}", fontsize=7)
        for k in range(num_classes):
            axis = axes[row, k + 1]
            axis.imshow(grey, cmap="gray", vmin=0, vmax=1)
            shown = axis.imshow(big[row, k], cmap="magma", vmin=low, vmax=high, alpha=0.6)
            name = "\n".join(textwrap.wrap(classes[k], 12)) if row == 0 else ""
            axis.set_title(f"{name}\n{probabilities[row, k]:.0%}" if name else f"{probabilities[row, k]:.0%}",
                           fontsize=6.5)
            color = "#2ca02c" if k == labels[row] else ("#d62728" if k == predicted else None)
            for spine in axis.spines.values():
                spine.set_visible(color is not None)
                if color:
                    spine.set_color(color)
                    spine.set_linewidth(2.5)
        for axis in axes[row]:
            axis.set_xticks([])
            axis.set_yticks([])
    bar = fig.colorbar(shown, ax=axes[:, 1:], shrink=0.8, pad=0.01)
    bar.set_label("class map value (its average is the class's logit)", fontsize=7)
    bar.ax.tick_params(labelsize=6)
    fig.suptitle(f"class maps before global pooling, {maps.shape[2]}×{maps.shape[3]} upsampled to "
                 f"{height}×{width} and laid over the image (one colour scale; under each name: "
                 "the softmax probability)", fontsize=8)
    _save(fig, path, dpi=130)
    plt.close(fig)


def _save(fig, path, dpi):
    """Write the figure whole or not at all, so that a run killed mid-write keeps its last
    picture; the format is the file name's (png when it has none)."""
    suffix = os.path.splitext(os.fspath(path))[1][1:].lower() or "png"
    atomic_write(path, lambda file: fig.savefig(file, dpi=dpi, format=suffix))
