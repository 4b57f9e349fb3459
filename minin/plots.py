"""Figures: training curves and NiN's class confidence maps (matplotlib, if installed)."""

import numpy as np


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")  # files only, no window
    import matplotlib.pyplot as plt
    return plt


def plot_curves(history, path):
    """Loss and accuracy against epoch, training and validation side by side.
    Returns False (and writes nothing) when matplotlib is missing."""
    plt = _pyplot()
    if plt is None or not history:
        return False
    epochs = [row["epoch"] for row in history]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for axis, key, title in ((left, "loss", "cross-entropy loss"), (right, "acc", "accuracy")):
        axis.plot(epochs, [row[f"train_{key}"] for row in history], "o-", label="training", color="#1f77b4")
        if history[0].get(f"val_{key}") is not None:
            axis.plot(epochs, [row[f"val_{key}"] for row in history], "s-", label="validation", color="#d62728")
        axis.set_xlabel("epoch")
        axis.set_title(title)
        axis.grid(alpha=0.3)
        axis.legend()
        if len(epochs) < 15:
            axis.set_xticks(epochs)
    right.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def plot_class_maps(images, maps, probabilities, labels, classes, path, mean=0.0, std=1.0):
    """One row per image: the image, then its class maps (the last layer's feature maps,
    one per class, before global average pooling), each titled with its softmax
    probability. The true class is outlined in green, a wrong prediction in red."""
    plt = _pyplot()
    if plt is None:
        raise RuntimeError("drawing class maps needs matplotlib: pip install \"minin[plot]\"")
    count, num_classes = maps.shape[:2]
    fig, axes = plt.subplots(count, num_classes + 1, figsize=(1.25 * (num_classes + 1), 1.45 * count + 0.4),
                             squeeze=False)
    low, high = float(maps.min()), float(maps.max())
    for row in range(count):
        picture = images[row] * np.asarray(std).reshape(-1, 1, 1) + np.asarray(mean).reshape(-1, 1, 1)
        picture = np.clip(picture.transpose(1, 2, 0), 0, 1)
        # vmin/vmax: a grey image is drawn as it is, not stretched to its own darkest and lightest
        axes[row, 0].imshow(picture[..., 0] if picture.shape[2] == 1 else picture, cmap="gray",
                            vmin=0, vmax=1)
        axes[row, 0].set_title(f"true: {classes[labels[row]]}", fontsize=7)
        predicted = int(np.argmax(probabilities[row]))
        for k in range(num_classes):
            axis = axes[row, k + 1]
            axis.imshow(maps[row, k], cmap="viridis", vmin=low, vmax=high, interpolation="nearest")
            axis.set_title(f"{classes[k][:10]}\n{probabilities[row, k]:.0%}", fontsize=6)
            color = "#2ca02c" if k == labels[row] else ("#d62728" if k == predicted else None)
            for spine in axis.spines.values():
                spine.set_visible(color is not None)
                if color:
                    spine.set_color(color)
                    spine.set_linewidth(2.5)
        for axis in axes[row]:
            axis.set_xticks([])
            axis.set_yticks([])
    fig.suptitle("class maps before global average pooling (one colour scale)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
