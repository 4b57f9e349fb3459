"""What the experiment scripts share: data, a plain training loop, logs, tables and spreads.

Every experiment is one script in this folder. It trains small NiNs with minin's Python
API (``minin.models.nin`` and a loop written out below, no trainer), writes its log and a
JSON table to tutorials/results/ and draws its figure into tutorials/figures/. ``--quick``
runs the same code on a few synthetic images in seconds; the tests use it.
"""

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent / "results"
FIGURES = HERE.parent / "figures"
MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST's training-set pixel statistics (chapter 7)


def parser(description, grid):
    """The options every experiment takes. ``grid`` holds the full grid's defaults; a
    reduced run overrides them on the command line, and the JSON records what ran."""
    p = argparse.ArgumentParser(description=description)
    for name, value in grid.items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, list):
            p.add_argument(flag, nargs="+", type=type(value[0]), default=value)
        else:
            p.add_argument(flag, type=type(value), default=value)
    p.add_argument("--quick", action="store_true",
                   help="a few synthetic images, a few steps: checks the script end to end in seconds")
    p.add_argument("--data", choices=("fashion-mnist", "synthetic"), default="fashion-mnist")
    p.add_argument("--results", type=Path, default=RESULTS, help="where the log and JSON go")
    p.add_argument("--figures", type=Path, default=FIGURES, help="where the figure goes")
    p.add_argument("--name", help="file name stem of the outputs (default: the script's)")
    return p


def arguments(doc, grid, quick, argv=None):
    """An experiment's command line (``parser``); with --quick, the ``quick`` grid on
    synthetic data instead of Fashion-MNIST (what the tests run)."""
    args = parser(doc.split("\n")[0], grid).parse_args(argv)
    if args.quick:
        for key, value in quick.items():
            setattr(args, key, value)
        args.data = "synthetic"
    return args


def synthetic(count, size, seed):
    """Ten classes, each a bright square at its own place plus noise: learnable in a few steps."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, count)
    images = rng.normal(0, 0.3, (count, 1, size, size)).astype(np.float32)
    step = size // 4
    for i, label in enumerate(labels):
        r, c = divmod(int(label), 4)
        images[i, 0, r * step:(r + 1) * step, c * step:(c + 1) * step] += 1.5
    return images, labels.astype(np.int64)


def resize_matrix(n_in, n_out):
    """(n_out, n_in) bilinear interpolation weights with aligned corners: ``A @ image @ A.T``."""
    a = np.zeros((n_out, n_in), dtype=np.float32)
    position = np.linspace(0, n_in - 1, n_out)
    low = np.minimum(np.floor(position).astype(int), n_in - 2)
    frac = (position - low).astype(np.float32)
    a[np.arange(n_out), low] = 1 - frac
    a[np.arange(n_out), low + 1] = frac
    return a


def load(kind, n_train, n_val, n_test, split_seed=0, size=28, normalise=True):
    """Float32 images (N, 1, size, size) and int64 labels for train, val and test.

    Fashion-MNIST: ``n_train`` training and ``n_val`` validation images drawn without overlap
    from the 60,000 by ``split_seed`` (the same for every run of a table), the first ``n_test``
    test images. ``normalise`` subtracts the pixel mean and divides by the standard deviation;
    without it the pixels stay in [0, 1], as ``ToTensor()`` leaves them in the article's and
    d2l's code. ``size`` other than 28 resizes bilinearly (the article resizes to 224).
    """
    if kind == "synthetic":
        parts = [synthetic(n, size, seed) for n, seed in ((n_train, 1), (n_val, 2), (n_test, 3))]
        return dict(zip(("train", "val", "test"), parts))
    from minin.data import FashionMNIST

    train, test = FashionMNIST(train=True), FashionMNIST(train=False)
    order = np.random.default_rng(split_seed).permutation(len(train))
    picks = {"train": (train, order[:n_train]), "val": (train, order[n_train:n_train + n_val]),
             "test": (test, np.arange(n_test))}
    out = {}
    for part, (dataset, rows) in picks.items():
        images = dataset.images[rows].astype(np.float32) / 255
        if normalise:
            images = (images - MEAN) / STD
        if size != 28:
            a = resize_matrix(28, size)
            images = np.einsum("ij,nckj,lk->ncil", a, images, a, optimize=True).astype(np.float32)
        out[part] = (np.ascontiguousarray(images), dataset.labels[rows].astype(np.int64))
    return out


def evaluate(model, images, labels, batch=500):
    """(mean cross-entropy, accuracy) of ``model`` in eval mode, without a graph."""
    import minin as mn
    import minin.functional as F

    model.eval()
    total_loss, correct = 0.0, 0
    with mn.no_grad():
        for start in range(0, len(labels), batch):
            x, y = images[start:start + batch], labels[start:start + batch]
            logits = model(mn.tensor(x))
            total_loss += F.cross_entropy(logits, y).item() * len(y)
            correct += int((logits.numpy().argmax(1) == y).sum())
    model.train()
    return total_loss / len(labels), correct / len(labels)


def make_optimizer(model, name, lr, momentum=0.9):
    import minin as mn

    if name == "adam":
        return mn.optim.Adam(model.parameters(), lr=lr)
    if name == "sgd":
        return mn.optim.SGD(model.parameters(), lr=lr)  # d2l's: plain SGD, no momentum
    if name == "sgd-momentum":
        return mn.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    raise ValueError(f"unknown optimizer {name!r}; expected adam, sgd or sgd-momentum")


def fast(model):
    """The same model with each Conv2d + ReLU run as one layer (same parameters), where
    this minin has ``nn.fuse_conv_relu``."""
    from minin import nn

    fuse = getattr(nn, "fuse_conv_relu", None)
    return fuse(model) if fuse else model


def train(model, data, *, epochs, batch, lr, seed, optimizer="adam", log=print, label="",
          step_losses=None, max_steps=None):
    """Train ``model`` with a constant learning rate and plain shuffled batches (no
    augmentation, no schedule: the comparisons stay about the one thing each table varies).

    Returns one row per epoch: train loss and accuracy (running, over the epoch's batches),
    validation loss and accuracy. ``step_losses``, a list, receives every step's loss;
    ``max_steps`` stops early (the epoch rows then cover the steps that ran).
    """
    import minin as mn
    import minin.functional as F

    images, labels = data["train"]
    rng = np.random.default_rng(seed)
    net = fast(model)
    opt = make_optimizer(net, optimizer, lr)
    history, steps = [], 0
    for epoch in range(1, epochs + 1):
        start, order = time.perf_counter(), rng.permutation(len(labels))
        seen = loss_sum = correct = 0
        for first in range(0, len(order) - batch + 1, batch):
            rows = order[first:first + batch]
            logits = net(mn.tensor(images[rows]))
            loss = F.cross_entropy(logits, labels[rows])
            opt.zero_grad()
            loss.backward()
            opt.step()
            value = loss.item()
            if not math.isfinite(value):
                raise FloatingPointError(f"{label}: the loss became {value} at step {steps + 1}")
            if step_losses is not None:
                step_losses.append(value)
            seen += len(rows)
            loss_sum += value * len(rows)
            correct += int((logits.numpy().argmax(1) == labels[rows]).sum())
            steps += 1
            if max_steps is not None and steps >= max_steps:
                break
        row = {"epoch": epoch, "train_loss": loss_sum / max(seen, 1), "train_acc": correct / max(seen, 1)}
        if "val" in data and len(data["val"][1]):
            row["val_loss"], row["val_acc"] = evaluate(net, *data["val"])
        row["seconds"] = time.perf_counter() - start
        history.append(row)
        log(f"{label} epoch {epoch}: " + ", ".join(
            f"{k} {v:.4f}" for k, v in row.items() if k not in ("epoch", "seconds")) + f", {row['seconds']:.1f} s")
        if max_steps is not None and steps >= max_steps:
            break
    return history


def spread(values):
    """Mean, and half the range: with 2 or 3 seeds a range says more than a standard deviation."""
    values = [float(v) for v in values]
    return {"mean": float(np.mean(values)), "spread": float((max(values) - min(values)) / 2),
            "min": min(values), "max": max(values), "n": len(values)}


class Run:
    """An experiment's outputs: ``<name>.log`` (every line also printed) and ``<name>.json``."""

    def __init__(self, args, default_name, grid):
        self.args = args
        self.name = args.name or (default_name + ("_quick" if args.quick else ""))
        args.results.mkdir(parents=True, exist_ok=True)
        args.figures.mkdir(parents=True, exist_ok=True)
        self.log_path = args.results / f"{self.name}.log"
        self.json_path = args.results / f"{self.name}.json"
        self.figure_path = args.figures / f"{self.name}.png"
        self._log = open(self.log_path, "w")
        self.start = time.perf_counter()
        self.cpu_start = time.process_time()
        self.grid = {k: getattr(args, k) for k in grid}
        self.log("command: python " + " ".join([os.path.relpath(sys.argv[0])] + sys.argv[1:]))
        self.log(f"grid: {self.grid}, data: {args.data}")

    def log(self, line):
        print(line, flush=True)
        self._log.write(line + "\n")
        self._log.flush()

    def save(self, table):
        """Write the JSON: the grid that ran, the machine, the wall and CPU time, and ``table``."""
        import minin

        wall, cpu = time.perf_counter() - self.start, time.process_time() - self.cpu_start
        record = {"experiment": self.name, "command": "python " + " ".join(
                      [os.path.relpath(sys.argv[0])] + sys.argv[1:]),
                  "grid": self.grid, "data": self.args.data, "quick": self.args.quick,
                  "wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
                  "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                              "numpy": np.__version__, "minin": minin.__version__,
                              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())},
                  **table}
        tmp = self.json_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(record, indent=1) + "\n")
        os.replace(tmp, self.json_path)
        self.log(f"wrote {self.json_path} ({wall:.0f} s wall, {cpu:.0f} s CPU)")
        self._log.close()
        return record


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt
