"""Time whole training epochs: ``minin train``'s real loop beside the same recipe in PyTorch.

    python bench/epoch.py --subset 6400 --epochs 1

minin runs its Trainer as ``minin train`` does (data loading, augmentation, the step,
the progress bar, validation, checkpoints and the metrics log; the final test pass is
not counted). PyTorch runs the same recipe written plainly, as a PyTorch user would: the
same small NiN from the same weights, Adam with a one-cycle schedule, the same label
smoothing, batches of 128, random crops (padding 3) and flips drawn per image with NumPy,
normalisation, then a validation pass. Both see the
same images. The two runs alternate (minin, PyTorch, minin, ...) so a noisy machine
slows both alike; the figures are the medians, in images per second of training and of
the whole epoch (training + validation), and the ratio minin / PyTorch of epoch times.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402  (imports minin before NumPy)
import minin  # noqa: E402,F401  (minin first: it tunes OpenBLAS before NumPy loads)
import numpy as np  # noqa: E402
from minin.train import STATISTICS, Extension, TrainConfig, Trainer, build_model  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subset", type=int, default=6400, help="training images before the split")
    parser.add_argument("--val-split", type=int, default=1280)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=2, help="runs of each framework, alternating")
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--compare", choices=["torch", "none"], default="torch")
    parser.add_argument("--json", metavar="PATH")
    return parser.parse_args(argv)


def config_for(args, out):
    return TrainConfig(subset=args.subset, val_split=args.val_split, epochs=args.epochs,
                       batch_size=args.batch_size, data_dir=args.data_dir, out=out, seed=0)


class EpochClock(Extension):
    """The wall time of each epoch, from its start to the end of everything the loop does
    after it (validation, the metrics log, checkpoints, the plot); the final test pass,
    which the PyTorch side does not run, is left out."""

    def __init__(self):
        self.epochs = []

    def epoch_start(self, trainer):
        self.started = time.perf_counter()

    def epoch_end(self, trainer, row):
        self.epochs.append((row["seconds"], time.perf_counter() - self.started))


def run_minin(args):
    """(training seconds, epoch seconds) of minin's Trainer, per epoch."""
    clock = EpochClock()
    with tempfile.TemporaryDirectory() as folder:
        trainer = Trainer(config_for(args, os.path.join(folder, "run")), log=lambda line: None,
                          extensions=(clock,))
        trainer.fit()
    return (sum(train for train, _ in clock.epochs) / args.epochs,
            sum(epoch for _, epoch in clock.epochs) / args.epochs)


def torch_data(args):
    """The images minin's Trainer trains and validates on, as NumPy arrays."""
    trainer = Trainer(config_for(args, os.path.join(tempfile.mkdtemp(), "unused")), log=lambda line: None)
    trainer.setup()
    train, val = trainer.train_loader.dataset, trainer.val_loader.dataset
    return (train.images, train.labels), (val.images, val.labels), trainer


def run_torch(args, data):
    import torch
    from torch import nn as tnn

    (train_x, train_y), (val_x, val_y), trainer = data
    torch.set_num_threads(common.threads())
    torch.manual_seed(0)
    model = common.to_torch(build_model("small", 10, 1, "numpy"))
    steps = len(train_x) // args.batch_size
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=2e-3, total_steps=args.epochs * steps)
    loss_fn = tnn.CrossEntropyLoss(label_smoothing=trainer.config.label_smoothing)  # minin train's default
    (mean,), (std,) = STATISTICS["fashion-mnist"]
    rng = np.random.default_rng(0)

    def augment(images):  # per image, as torchvision's RandomCrop(28, padding=3) + flip would
        out = np.empty(images.shape, np.float32)
        padded = np.pad(images, ((0, 0), (0, 0), (3, 3), (3, 3)))
        for k in range(len(images)):
            y, x = rng.integers(0, 7, 2)
            crop = padded[k, :, y:y + 28, x:x + 28]
            out[k] = crop[:, :, ::-1] if rng.random() < 0.5 else crop
        return (out / 255 - mean) / std

    from tqdm.auto import tqdm
    start = time.perf_counter()
    train_seconds = 0.0
    for _ in range(args.epochs):
        epoch_start = time.perf_counter()
        model.train()
        order = rng.permutation(len(train_x))
        for k in tqdm(range(steps), leave=False, file=sys.stderr, mininterval=0.5):
            index = order[k * args.batch_size:(k + 1) * args.batch_size]
            images = torch.from_numpy(augment(train_x[index]))
            labels = torch.from_numpy(train_y[index].astype(np.int64))
            loss = loss_fn(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        train_seconds += time.perf_counter() - epoch_start
        model.eval()
        with torch.no_grad():
            for k in range(0, len(val_x), 256):
                images = torch.from_numpy(((val_x[k:k + 256] / 255 - mean) / std).astype(np.float32))
                model(images).argmax(1)
    return train_seconds / args.epochs, (time.perf_counter() - start) / args.epochs


def main(argv=None):
    args = parse_args(argv)
    data = torch_data(args) if args.compare == "torch" else None
    n_train = len(data[0][0]) if data else None
    results = {"minin": [], "torch": []}
    for _ in range(args.rounds):
        results["minin"].append(run_minin(args))
        if data is not None:
            results["torch"].append(run_torch(args, data))
    summary = {"subset": args.subset, "val_split": args.val_split, "epochs": args.epochs,
               "batch_size": args.batch_size, "threads": common.threads()}
    print(f"small NiN, {args.subset} images ({args.val_split} held out), {args.epochs} epoch(s), "
          f"batch {args.batch_size}, {common.threads()} threads, {args.rounds} alternating rounds")
    for name, runs in results.items():
        if not runs:
            continue
        train, epoch = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
        summary[name] = {"train_seconds": train, "epoch_seconds": epoch, "runs": runs}
        if n_train is None:
            n_train = args.subset - args.val_split
        print(f"{name:6s} training {n_train / train:6.0f} images/s, whole epoch {epoch:6.1f} s")
    if results["torch"]:
        ratio = summary["minin"]["epoch_seconds"] / summary["torch"]["epoch_seconds"]
        train_ratio = summary["minin"]["train_seconds"] / summary["torch"]["train_seconds"]
        summary.update(epoch_ratio=ratio, train_ratio=train_ratio)
        print(f"minin / PyTorch: training {train_ratio:.2f}, whole epoch {ratio:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=2)
    return summary


if __name__ == "__main__":
    main()
