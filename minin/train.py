"""Training a NiN: the loop, its bookkeeping, and checkpoints that let a run stop and resume.

    from minin.train import TrainConfig, Trainer
    Trainer(TrainConfig(epochs=2, subset=5000, out="runs/quick")).fit()

Everything random (initialisation, shuffling, augmentation, dropout) draws from
minin's generators, seeded from ``config.seed``, so on NumPy a run repeats
exactly, and a run stopped and resumed ends with the same weights as one that
never stopped. The loop never waits for the GPU inside a step: losses and
accuracies add up on the device and are read every ``sync_every`` steps.
"""

import dataclasses
import json
import math
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np

from . import backend, functional as F, optim
from .function import no_grad
from .models import nin
from .serialization import load, save
from .tensor import Tensor

DATASETS = ("fashion-mnist", "mnist", "cifar10")
MODELS = ("small", "d2l", "cifar10")
OPTIMIZERS = ("adam", "sgd")
SCHEDULES = ("onecycle", "cosine", "step", "none")

# Per-channel mean and standard deviation of each training set, for Normalize.
STATISTICS = {"fashion-mnist": ((0.2860,), (0.3530,)),
              "mnist": ((0.1307,), (0.3081,)),
              "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))}


@dataclasses.dataclass
class TrainConfig:
    """Every setting of a run; ``config.json`` in the output folder records them."""

    model: str = "small"
    dataset: str = "fashion-mnist"
    backend: str = "numpy"
    epochs: int = 15
    batch_size: int = 128
    lr: float = 2e-3
    optimizer: str = "adam"
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "onecycle"
    augment: bool = True
    val_split: int = 10_000
    seed: int = 0
    subset: int = 0            # 0: every image; N: the first N training (and test) images
    resize: int = 0            # 0: the model's own input size (224 for d2l, else unchanged)
    data_dir: str = ""
    download: bool = True
    out: str = "runs/nin"
    tf32: bool = False
    sync_every: int = 50       # steps between reads of the running loss (GPU)

    def __post_init__(self):
        for name, allowed in (("model", MODELS), ("dataset", DATASETS), ("optimizer", OPTIMIZERS),
                              ("schedule", SCHEDULES), ("backend", backend.BACKENDS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}")
        for name in ("epochs", "batch_size", "sync_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)!r}")
        for name in ("val_split", "subset", "resize"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr!r}")

    @classmethod
    def from_dict(cls, saved):
        """A config from a saved dict (a checkpoint's), ignoring keys it does not know."""
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in saved.items() if k in fields})

    @property
    def input_size(self):
        return self.resize or (224 if self.model == "d2l" else 0)


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


class Stopped(Exception):
    """Training was stopped on request (Ctrl-C) after saving a checkpoint."""


class _EpochTotals:
    """Loss and accuracy of the epoch so far. The sums are backend scalars, added to
    without waiting for the GPU; ``carried`` holds what a stopped run had counted."""

    def __init__(self, xp, carried=None):
        self.carried = carried or {"loss_sum": 0.0, "correct": 0, "seen": 0, "seconds": 0.0}
        self.loss_sum, self.correct = xp.zeros((), np.float64), xp.zeros((), np.int64)
        self.seen, self.start = 0, time.perf_counter()

    def add(self, loss, hits, count):
        self.loss_sum += loss * count
        self.correct += hits
        self.seen += count

    def state(self):
        """Plain numbers, for a checkpoint (this reads the device)."""
        return {"loss_sum": self.carried["loss_sum"] + float(self.loss_sum),
                "correct": self.carried["correct"] + int(self.correct),
                "seen": self.carried["seen"] + self.seen,
                "seconds": self.carried["seconds"] + time.perf_counter() - self.start}

    def images_per_second(self):
        return self.seen / max(time.perf_counter() - self.start, 1e-9)

    def progress(self):
        s = self.state()
        return {"loss": f"{s['loss_sum'] / s['seen']:.4f}", "acc": f"{s['correct'] / s['seen']:.2%}",
                "img_s": f"{self.images_per_second():.0f}"}

    def summary(self):
        s = self.state()
        count = max(s["seen"], 1)
        return {"train_loss": s["loss_sum"] / count, "train_acc": s["correct"] / count,
                "seconds": s["seconds"], "images_per_second": self.images_per_second()}


def build_model(variant, num_classes, in_channels, backend_name):
    """``nin(variant)``, built on NumPy from minin's seeded generator and then moved to
    ``backend_name``: the same initial weights on every backend."""
    previous = backend.current()
    backend.use("numpy")
    try:
        model = nin(variant, num_classes=num_classes, in_channels=in_channels)
    finally:
        backend.use(previous)
    return model.to(backend_name)


def _dataset_class(name):
    from . import data
    return {"fashion-mnist": data.FashionMNIST, "mnist": data.MNIST, "cifar10": data.CIFAR10}[name]


def make_transforms(config, image_shape):
    """(train, eval) batch transforms: scale to [0, 1], augment, resize, normalise."""
    from .data import transforms as T

    channels, height, width = image_shape
    mean, std = STATISTICS[config.dataset]
    resize = [T.Resize(config.input_size)] if config.input_size else []
    normalize = T.Normalize(mean, std)
    augment = []
    if config.augment:
        augment.append(T.RandomCrop((height, width), padding=max(2, height // 8)))
        if config.dataset != "mnist":  # a mirrored digit is not the same digit
            augment.append(T.RandomHorizontalFlip())
    return (T.Compose([T.ToFloat(), *augment, *resize, normalize]),
            T.Compose([T.ToFloat(), *resize, normalize]))


class Trainer:
    """Trains ``nin(config.model)`` on ``config.dataset``, writing to ``config.out``:
    metrics.jsonl, config.json, last.npz, best.npz and curves.png."""

    def __init__(self, config, log=print, progress=True, resume=False):
        from .data import DataLoader, Subset, random_split

        self.config, self.log, self.progress = config, log, progress
        self.out = Path(config.out)
        if config.backend == "cupy" and config.tf32:
            os.environ["CUPY_TF32"] = "1"  # read when CuPy first runs a matrix product
        backend.use(config.backend)
        backend.manual_seed(config.seed)

        dataset = _dataset_class(config.dataset)
        where = dict(root=config.data_dir or None, download=config.download)
        train_set, test_set = dataset(train=True, **where), dataset(train=False, **where)
        self.classes = list(train_set.classes)
        val_count = config.val_split
        if config.subset:  # the first N images, and a proportional validation set
            val_count = round(val_count * min(config.subset, len(train_set)) / len(train_set))
            train_set = Subset(train_set, np.arange(min(config.subset, len(train_set))))
            test_set = Subset(test_set, np.arange(min(config.subset, len(test_set))))
        val_count = min(val_count, len(train_set) - config.batch_size)
        if len(train_set) < config.batch_size:
            raise ValueError(f"the training set has {len(train_set)} images, fewer than one batch "
                             f"of {config.batch_size}: use a smaller --batch-size or a larger --subset")
        val_set = None
        if val_count > 0:
            train_set, val_set = random_split(train_set, [len(train_set) - val_count, val_count],
                                              seed=config.seed)
        train_transform, eval_transform = make_transforms(config, train_set.images.shape[1:])
        resident = config.backend == "cupy"
        self.train_loader = DataLoader(train_set, config.batch_size, shuffle=True, drop_last=True,
                                       transform=train_transform, device_resident=resident)
        self.val_loader = None if val_set is None else DataLoader(
            val_set, 256, transform=eval_transform, device_resident=resident)
        self.test_loader = DataLoader(test_set, 256, transform=eval_transform, device_resident=resident)

        self.model = build_model(config.model, len(self.classes), train_set.images.shape[1], config.backend)
        self._check_input_size(train_set.images.shape[1:])
        self.optimizer = self._make_optimizer()
        self.scheduler = self._make_scheduler()

        self.epoch, self.step_in_epoch, self.order, self.partial = 0, 0, None, None
        self.best_val_acc = -1.0
        self.history = []
        self._stop_requested = False
        if resume:
            self._restore(load_checkpoint(self.out / "last.npz"))

    # ------------------------------------------------------------------ setup
    def _check_input_size(self, image_shape):
        size = self.config.input_size
        shape = (1, image_shape[0], size or image_shape[1], size or image_shape[2])
        xp = backend.xp()
        try:
            with no_grad():
                self.model.eval()(Tensor(xp.zeros(shape, dtype=np.float32)))
        except ValueError as exc:
            raise ValueError(f"model {self.config.model!r} cannot take {shape[1]}×{shape[2]}×{shape[3]} "
                             f"inputs ({exc}); choose another --resize") from None
        finally:
            self.model.train()

    def _make_optimizer(self):
        c = self.config
        if c.optimizer == "sgd":
            return optim.SGD(self.model.parameters(), lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay)
        return optim.Adam(self.model.parameters(), lr=c.lr, weight_decay=c.weight_decay)

    def _make_scheduler(self):
        c, steps = self.config, len(self.train_loader)
        sched = optim.lr_scheduler
        if c.schedule == "onecycle":
            return sched.OneCycleLR(self.optimizer, max_lr=c.lr, total_steps=c.epochs * steps)
        if c.schedule == "cosine":
            return sched.CosineAnnealingLR(self.optimizer, T_max=c.epochs * steps)
        if c.schedule == "step":
            return sched.StepLR(self.optimizer, step_size=max(1, c.epochs // 3) * steps, gamma=0.1)
        return None

    # ------------------------------------------------------------------ one step
    def apply_gradients(self):
        """The one place where gradients become an update. A data-parallel run would
        all-reduce every parameter's ``.grad`` here, before the optimizer step."""
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()

    def train_step(self, images, labels):
        """Forward, loss, backward, update. Returns the loss and the number of correct
        predictions as backend scalars (reading them would make the GPU wait)."""
        logits = self.model(images)
        loss = F.cross_entropy(logits, labels)
        self.optimizer.zero_grad()
        loss.backward()
        self.apply_gradients()
        return loss.data, (logits.data.argmax(axis=1) == labels.data).sum()

    def request_stop(self):
        """Stop after the current step, saving a checkpoint (what Ctrl-C does)."""
        self._stop_requested = True

    # ------------------------------------------------------------------ epochs
    def train_epoch(self, on_step=None):
        c, xp = self.config, backend.xp()
        if self.order is None:
            self.order = self.train_loader.epoch_order()
        totals, self.partial = _EpochTotals(xp, self.partial), None
        first_bad = xp.full((), -1, np.int64)  # the first step with a non-finite loss
        steps = len(self.train_loader)
        self.model.train()
        bar = self._progress_bar(steps, self.step_in_epoch)
        try:
            # A diverging run overflows; the loss check below reports it, NumPy need not warn.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                for images, labels in self.train_loader.batches(self.order, self.step_in_epoch):
                    loss, hits = self.train_step(images, labels)
                    totals.add(loss, hits, len(labels))
                    first_bad = xp.where((first_bad < 0) & ~xp.isfinite(loss), self.step_in_epoch, first_bad)
                    self.step_in_epoch += 1
                    last = self.step_in_epoch == steps
                    if c.backend == "numpy" or last or self.step_in_epoch % c.sync_every == 0:
                        self._check_finite(int(first_bad), bar)  # reading it waits for the GPU
                        if bar is not None:
                            bar.set_postfix(totals.progress(), refresh=False)
                    if bar is not None:
                        bar.update(1)
                    if on_step is not None:
                        on_step(self)
                    if self._stop_requested and not last:
                        self._check_finite(int(first_bad), bar)
                        self.partial = totals.state()
                        self.save_checkpoint(self.out / "last.npz")
                        raise Stopped(f"stopped at epoch {self.epoch + 1}, step {self.step_in_epoch}; "
                                      f"saved {self.out / 'last.npz'}")
        finally:
            if bar is not None:
                bar.close()
        return totals.summary()

    def _check_finite(self, first_bad, bar):
        if first_bad >= 0:
            if bar is not None:
                bar.close()
            self._diverged(f"the loss became NaN or infinite at epoch {self.epoch + 1}, step {first_bad + 1}")

    def _check_weights(self):
        """The training loss is taken before each update, so the epoch's last update is
        checked here, before the epoch is evaluated and saved."""
        xp = backend.xp()
        if not all(bool(xp.isfinite(p.data).all()) for p in self.model.parameters()):
            self._diverged(f"the weights became NaN or infinite in the last step of epoch {self.epoch + 1}")

    def _diverged(self, what):
        kept = (f"the last good checkpoint, {self.out / 'last.npz'} (after epoch {self.epoch}), is kept"
                if (self.out / "last.npz").exists() else "no checkpoint was written yet")
        raise TrainingDiverged(f"{what}; {kept}. Try a lower learning rate, e.g. --lr {self.config.lr / 10:g}")

    def evaluate(self, loader):
        """(mean loss, accuracy) of the model on ``loader``, in eval mode, one sync at the end."""
        if loader is None:
            return None, None
        xp = backend.xp()
        loss_sum, correct, seen = xp.zeros((), np.float64), xp.zeros((), np.int64), 0
        self.model.eval()
        with no_grad():
            for images, labels in loader:
                logits = self.model(images)
                loss_sum += F.cross_entropy(logits, labels, reduction="sum").data
                correct += (logits.data.argmax(axis=1) == labels.data).sum()
                seen += len(labels)
        self.model.train()
        return float(loss_sum) / seen, int(correct) / seen

    def fit(self, on_step=None):
        """Train for the remaining epochs; returns the final test metrics."""
        c = self.config
        self.out.mkdir(parents=True, exist_ok=True)
        self._write_config()
        self._trim_metrics()
        previous_handler = self._catch_interrupt()
        try:
            while self.epoch < c.epochs:
                train = self.train_epoch(on_step)
                self._check_weights()
                val_loss, val_acc = self.evaluate(self.val_loader)
                if val_loss is not None and not math.isfinite(val_loss):
                    self._diverged(f"the validation loss became NaN or infinite after epoch {self.epoch + 1}")
                self.epoch += 1
                self.step_in_epoch, self.order = 0, None
                lr = self.optimizer.param_groups[0]["lr"]
                row = {"epoch": self.epoch, "train_loss": train["train_loss"], "train_acc": train["train_acc"],
                       "val_loss": val_loss, "val_acc": val_acc, "lr": lr,
                       "seconds": train["seconds"], "images_per_second": train["images_per_second"]}
                self.history.append(row)
                self._append_metrics(row)
                improved = val_acc is not None and val_acc > self.best_val_acc
                if improved:
                    self.best_val_acc = val_acc
                self.save_checkpoint(self.out / "last.npz")
                if improved or val_acc is None:
                    self.save_checkpoint(self.out / "best.npz")
                self.log(self._epoch_line(row))
                self.plot()
                if self._stop_requested and self.epoch < c.epochs:
                    raise Stopped(f"stopped after epoch {self.epoch}; saved {self.out / 'last.npz'}")
            test_loss, test_acc = self.evaluate(self.test_loader)
            final = {"test_loss": test_loss, "test_acc": test_acc}
            self._append_metrics(final)
            self.log(f"test loss {test_loss:.4f}, test accuracy {test_acc:.2%} "
                     f"({len(self.test_loader.dataset)} images)")
            return final
        finally:
            signal.signal(signal.SIGINT, previous_handler)

    # ------------------------------------------------------------------ output
    def _epoch_line(self, row):
        val = (f"val loss {row['val_loss']:.4f} acc {row['val_acc']:.2%}" if row["val_loss"] is not None
               else "no validation set")
        return (f"epoch {row['epoch']}/{self.config.epochs}: train loss {row['train_loss']:.4f} "
                f"acc {row['train_acc']:.2%}, {val}, lr {row['lr']:.2e}, {row['seconds']:.1f} s "
                f"({row['images_per_second']:.0f} images/s)")

    def _progress_bar(self, total, initial):
        if not self.progress:
            return None
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return None
        return tqdm(total=total, initial=initial, desc=f"epoch {self.epoch + 1}/{self.config.epochs}",
                    unit="batch", leave=False, dynamic_ncols=True, file=sys.stderr, mininterval=0.5)

    def _write_config(self):
        import minin
        info = dict(dataclasses.asdict(self.config), minin_version=minin.__version__,
                    numpy_version=np.__version__, classes=self.classes,
                    train_images=len(self.train_loader.dataset),
                    val_images=len(self.val_loader.dataset) if self.val_loader else 0,
                    test_images=len(self.test_loader.dataset))
        (self.out / "config.json").write_text(json.dumps(info, indent=2) + "\n")

    def _append_metrics(self, row):
        with open(self.out / "metrics.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")

    def _trim_metrics(self):
        """Keep only the epochs the checkpoint has seen (a resumed run writes the rest)."""
        path = self.out / "metrics.jsonl"
        if not path.exists():
            return
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        kept = [r for r in rows if r.get("epoch", math.inf) <= self.epoch]
        path.write_text("".join(json.dumps(r) + "\n" for r in kept))
        self.history = kept

    def plot(self):
        """curves.png: loss and accuracy against epoch (needs matplotlib; skipped without)."""
        from .plots import plot_curves
        plot_curves(self.history, self.out / "curves.png")

    # ------------------------------------------------------------------ checkpoints
    def save_checkpoint(self, path):
        save({"kind": "minin-train", "config": dataclasses.asdict(self.config), "classes": self.classes,
              "epoch": self.epoch, "step": self.step_in_epoch,
              "order": self.order if self.step_in_epoch else None,
              "partial": self.partial, "best_val_acc": self.best_val_acc,
              "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
              "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
              "rng": backend.get_rng_state()}, path)

    def _restore(self, state):
        self.model.load_state_dict(state["model"])
        start = [{k: v for k, v in group.items() if k != "params"} for group in self.optimizer.param_groups]
        self.optimizer.load_state_dict(state["optimizer"])
        self.epoch, self.step_in_epoch = int(state["epoch"]), int(state["step"])
        if self.scheduler is not None and state["config"]["epochs"] == self.config.epochs:
            self.scheduler.load_state_dict(state["scheduler"])
        elif self.scheduler is not None and self.epoch < self.config.epochs:
            # A run given more (or fewer) epochs: the same schedule drawn over the new length,
            # replayed from the schedule's start values (the saved ones are already decayed,
            # and cosine and step schedules work from the current value).
            for group, values in zip(self.optimizer.param_groups, start):
                group.update(values)
            for _ in range(self.epoch * len(self.train_loader) + self.step_in_epoch):
                self.scheduler.step()
        self.order = state["order"] if self.step_in_epoch else None
        self.partial = state["partial"]
        self.best_val_acc = float(state["best_val_acc"])
        backend.set_rng_state(state["rng"])
        if self.config.backend != "numpy":  # CuPy's generator has no saved state: reseed it
            backend.reseed(self.config.backend, (self.config.seed, self.epoch, self.step_in_epoch))

    def _catch_interrupt(self):
        """The first Ctrl-C asks for a clean stop after the current step; a second one
        interrupts at once."""
        def handler(signum, frame):
            if self._stop_requested:
                raise KeyboardInterrupt
            self._stop_requested = True
            self.log("\nstopping after this step (Ctrl-C again to quit at once)")
        try:
            return signal.signal(signal.SIGINT, handler)
        except ValueError:  # not the main thread: no signal handling
            return signal.getsignal(signal.SIGINT)


def load_checkpoint(path):
    """The state ``Trainer.save_checkpoint`` wrote to ``path``; a ValueError for any other
    minin file (a CheckpointError for a file that is not one at all)."""
    state = load(path)
    if not isinstance(state, dict) or state.get("kind") != "minin-train":
        raise ValueError(f"{path} is not a checkpoint written by `minin train`")
    return state


def resume_config(out, **overrides):
    """The configuration saved in ``out/last.npz``, with ``overrides`` applied."""
    path = Path(out) / "last.npz"
    if not path.exists():
        raise FileNotFoundError(f"nothing to resume: {path} does not exist")
    saved = dict(load_checkpoint(path)["config"])
    saved.update({k: v for k, v in overrides.items() if v is not None})
    saved["out"] = str(out)
    return TrainConfig.from_dict(saved)
