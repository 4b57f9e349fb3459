"""The ``Trainer``: a short loop over epochs and steps; the update is the ``Updater``'s,
everything else (progress, metrics, plots, checkpoints, NaN guard, interruption) is an
extension's (``minin.training.extensions``)."""

import dataclasses
import itertools
import os
import time
from pathlib import Path

import numpy as np

from .. import backend, functional as F
from ..function import no_grad
from . import extensions as ext
from .checkpoint import load_checkpoint, restore, save_checkpoint
from .data import make_loaders
from .folder import RunFolder, check_matches
from .model import build_model, check_model_fits, make_optimizer, make_scheduler
from .updater import Updater, shard_order


def apply_settings(config):
    """Apply the process-wide settings of a run: the backend, minin's random generators
    seeded from ``config.seed``, and (CuPy with ``config.tf32``) ``CUPY_TF32=1``, which
    CuPy reads when it first runs a matrix product.

    ``Trainer.setup`` calls it; nothing else changes global state. Every process of a
    multi-process run builds the same model this way, then ``reseed_for_rank`` gives each
    its own random stream.

    Args:
        config: a ``TrainConfig``.

    Example::

        >>> from minin.train import TrainConfig
        >>> apply_settings(TrainConfig(seed=3)); first = mn.rand(2).numpy()
        >>> apply_settings(TrainConfig(seed=3)); np.array_equal(mn.rand(2).numpy(), first)
        True
    """
    if config.backend == "cupy" and config.tf32:
        os.environ["CUPY_TF32"] = "1"
    backend.use(config.backend)
    backend.manual_seed(config.seed)


def reseed_for_rank(config, rank, *position):
    """Give process ``rank`` its own dropout and augmentation stream, from (seed, rank, position).

    Args:
        config: a ``TrainConfig`` (its ``seed``).
        rank: the process.
        position: where the run is (the trainer passes epoch and step), so that a resumed
            run draws afresh.

    Example::

        >>> from minin.train import TrainConfig
        >>> reseed_for_rank(TrainConfig(), 0, 0, 0); rank0 = mn.rand(2).numpy()
        >>> reseed_for_rank(TrainConfig(), 1, 0, 0); np.array_equal(mn.rand(2).numpy(), rank0)
        False
    """
    seed = int(np.random.SeedSequence([config.seed, rank, *position]).generate_state(1)[0])
    backend.manual_seed(seed)


class _EpochTotals:
    """Loss and accuracy of the epoch so far. The sums are backend scalars, added to
    without waiting for the GPU; ``carried`` holds what a stopped run had counted (over
    every process); with a process group ``state`` and ``summary`` add up all processes."""

    def __init__(self, xp, carried=None, group=None):
        self.carried = carried or {"loss_sum": 0.0, "correct": 0, "seen": 0, "seconds": 0.0}
        self.loss_sum, self.correct = xp.zeros((), np.float64), xp.zeros((), np.int64)
        self.seen, self.start, self.group = 0, time.perf_counter(), group

    def add(self, loss, hits, count):
        self.loss_sum += loss * count
        self.correct += hits
        self.seen += count

    def _local(self):
        return float(self.loss_sum), int(self.correct), self.seen

    def state(self):
        """Plain numbers, for a checkpoint (this reads the device; a collective with a group)."""
        loss_sum, correct, seen = self._local()
        if self.group is not None:
            sums = np.array([loss_sum, correct, seen], np.float64)
            self.group.all_reduce(sums)
            loss_sum, correct, seen = float(sums[0]), int(sums[1]), int(sums[2])
        return {"loss_sum": self.carried["loss_sum"] + loss_sum, "correct": self.carried["correct"] + correct,
                "seen": self.carried["seen"] + seen,
                "seconds": self.carried["seconds"] + time.perf_counter() - self.start}

    def progress(self):
        """For the progress bar: this process's figures (no collective)."""
        loss_sum, correct, seen = self._local()
        seen = max(seen, 1)
        return {"loss": f"{loss_sum / seen:.4f}", "acc": f"{correct / seen:.2%}",
                "img_s": f"{self.seen / max(time.perf_counter() - self.start, 1e-9):.0f}"}

    def summary(self, world_size=1):
        s = self.state()
        count = max(s["seen"], 1)
        speed = world_size * self.seen / max(time.perf_counter() - self.start, 1e-9)
        return {"train_loss": s["loss_sum"] / count, "train_acc": s["correct"] / count,
                "seconds": s["seconds"], "images_per_second": speed}


class Trainer:
    """Trains ``nin(config.model)`` on ``config.dataset``, writing to ``config.out``:
    metrics.jsonl, config.json, last.npz, best.npz and curves.png.

    The constructor only stores its arguments. ``setup()`` (which ``fit`` calls) applies
    the run's process-wide settings (``apply_settings``) and builds the data, the model,
    the optimizer and the schedule; ``fit()`` trains every epoch with the extensions
    (``make_extensions``) and writes the files.

    Args:
        config: a ``TrainConfig``.
        log: prints a line (default ``print``; rank 0 only with a process group).
        progress: show a progress bar (default True).
        resume: continue the run saved in ``config.out/last.npz`` (default False).
        group: a ``minin.distributed`` process group, or None (default: one process, no
            collectives).
        extensions: extra ``Extension``s, called after the standard ones (default none).

    Example::

        >>> from minin.train import TrainConfig, Trainer
        >>> trainer = Trainer(TrainConfig(epochs=2, subset=5000, out="runs/quick"))
        >>> trainer.fit()                                     # doctest: +SKIP
    """

    def __init__(self, config, log=print, progress=True, resume=False, group=None, extensions=()):
        self.config, self.progress, self.resume, self.group = config, progress, resume, group
        self.rank = group.rank if group is not None else 0
        self.log = log if self.rank == 0 else (lambda *args: None)
        self.out = Path(config.out)
        self.extra_extensions = list(extensions)
        self.epoch, self.step_in_epoch, self.order, self.partial = 0, 0, None, None
        self.best_val_acc, self.history, self.stop_requested = -1.0, [], False
        self.folder, self.model, self._opened = None, None, False

    # ------------------------------------------------------------------ setup
    def setup(self):
        """Apply the settings (``apply_settings``) and build the data, the model, the
        optimizer and the schedule, restoring the checkpoint when resuming; once only
        (``fit`` calls it). With a group, rank 0's weights and optimizer state are
        broadcast to every process.

        Returns:
            self.
        """
        if self.model is not None:
            return self
        c, world = self.config, self.group.world_size if self.group is not None else 1
        if world > 1 and (c.batch_size % world or world > c.batch_size):
            raise ValueError(f"--batch-size {c.batch_size} must be a multiple of the {world} processes "
                             "(each trains on an equal share of every batch)")
        if self.group is not None and c.backend == "cupy":
            self.group.select_gpu()  # GPU local_rank, before anything is put on a GPU
        apply_settings(c)
        self.data = make_loaders(c, self.rank, world)
        self.train_loader, self.val_loader, self.test_loader = self.data.train, self.data.val, self.data.test
        self.classes = self.data.classes
        self.model = build_model(c.model, len(self.classes), self.data.image_shape[0], c.backend,
                                 c.model_switches())
        check_model_fits(c, self.model, self.data.image_shape)
        self.optimizer = make_optimizer(c, self.model)
        self.scheduler = make_scheduler(c, self.optimizer, len(self.train_loader))
        self.updater = Updater(self.model, self.optimizer, self.scheduler, self.group,
                               c.label_smoothing)
        if self.resume:
            path = self.out / "last.npz"
            state = load_checkpoint(path)
            check_matches(self.out, state)
            restore(self, state, path)
        if self.group is not None:
            self.group.broadcast_parameters(list(self.model.parameters()))
            self.group.broadcast_optimizer_state(self.optimizer)
            reseed_for_rank(c, self.rank, self.epoch, self.step_in_epoch)
        return self

    def run_info(self):
        """What ``config.json`` records: the settings, versions, classes and set sizes.

        Returns:
            a dict: the ``TrainConfig`` fields, ``minin_version``, ``numpy_version``,
            ``classes``, ``train_images``, ``val_images`` and ``test_images``.
        """
        import minin
        return dict(dataclasses.asdict(self.config), minin_version=minin.__version__,
                    numpy_version=np.__version__, classes=self.classes,
                    train_images=len(self.train_loader.dataset), val_images=self.data.val_images,
                    test_images=self.data.test_images)

    def make_extensions(self, on_step=None):
        """The standard extensions, in the order they run, then the extra ones given to the
        constructor; only rank 0 writes and prints.

        Args:
            on_step: a callable run with the trainer after every step (default None).

        Returns:
            a list of ``Extension``.

        Example::

            >>> from minin.train import TrainConfig
            >>> [type(e).__name__ for e in Trainer(TrainConfig(), progress=False).make_extensions()]
            ['NaNGuard', 'MetricsLog', 'Checkpoints', 'PrintReport', 'CurvesPlot', 'Interruption']
        """
        self.nan_guard = ext.NaNGuard()
        writer = self.rank == 0
        chosen = [self.nan_guard]
        chosen += [ext.ProgressBar()] if self.progress and writer else []
        chosen += [ext.StepCallback(on_step)] if on_step is not None else []
        chosen += [ext.MetricsLog(), ext.Checkpoints(), ext.PrintReport(), ext.CurvesPlot()] if writer else []
        chosen.append(ext.Interruption(saves=writer))
        return chosen + self.extra_extensions

    # ------------------------------------------------------------------ one step
    def train_step(self, images, labels):
        """Forward, loss, backward, update (``Updater.update``).

        Args:
            images: a Tensor batch (B, C, H, W).
            labels: a Tensor (B,) of int64 class indices.

        Returns:
            (mean loss, number of correct predictions) as backend scalars.
        """
        return self.updater.update(images, labels)

    def apply_gradients(self):
        """The one place where gradients become an update (``Updater.apply_gradients``)."""
        self.updater.apply_gradients()

    def request_stop(self):
        """Stop after the current step, saving a checkpoint (what Ctrl-C does).

        Example::

            >>> from minin.train import TrainConfig
            >>> trainer = Trainer(TrainConfig())
            >>> trainer.agreed_stop()
            False
            >>> trainer.request_stop()
            >>> trainer.agreed_stop()
            True
        """
        self.stop_requested = True

    def agreed_stop(self):
        """Whether any process asked to stop (every process gets the same answer; with a
        group this is a collective).

        Returns:
            a bool.
        """
        return self.group.agree(self.stop_requested) if self.group is not None else self.stop_requested

    def at_sync_point(self):
        """Whether this step reads the device: every step on NumPy, else every
        ``sync_every`` steps and at the end of the epoch.

        Returns:
            a bool.
        """
        c = self.config
        return (c.backend == "numpy" or self.step_in_epoch == len(self.train_loader)
                or self.step_in_epoch % c.sync_every == 0)

    # ------------------------------------------------------------------ epochs
    def _epoch_batches(self):
        """The batches of this process for the rest of the current epoch."""
        if self.group is None:
            return self.train_loader.batches(self.order, self.step_in_epoch)
        world, batch = self.group.world_size, self.config.batch_size
        share = self.train_loader.__class__(self.train_loader.dataset, batch // world, drop_last=True,
                                            transform=self.train_loader.transform,
                                            device_resident=self.train_loader.device_resident)
        mine = shard_order(self.order, batch, self.rank, world)
        return itertools.islice(share.batches(mine, self.step_in_epoch), len(self.train_loader) - self.step_in_epoch)

    def _new_order(self):
        # From (seed, epoch) alone: the same order on every process and every backend, so a
        # run saved by any number of processes resumes on any other number.
        return np.random.default_rng([self.config.seed, self.epoch]).permutation(len(self.train_loader.dataset))

    def train_epoch(self, extensions=None):
        """Run the remaining steps of the current epoch (sets up the trainer if needed).

        Args:
            extensions: the extensions to call (default None: ``make_extensions()``).

        Returns:
            a dict of ``train_loss``, ``train_acc``, ``seconds`` and ``images_per_second``
            (over every process with a group).
        """
        self.setup()
        extensions = self.make_extensions() if extensions is None else extensions
        if self.order is None:
            self.order = self._new_order()
        self.totals, self.partial = _EpochTotals(backend.xp(), self.partial, self.group), None
        self.model.train()
        for e in extensions:
            e.epoch_start(self)
        try:
            # A diverging run overflows; the NaN guard reports it, NumPy need not warn.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                for images, labels in self._epoch_batches():
                    self.last_loss, hits = self.train_step(images, labels)
                    self.totals.add(self.last_loss, hits, len(labels))
                    self.step_in_epoch += 1
                    for e in extensions:
                        e.step(self)
        finally:
            for e in extensions:
                e.epoch_finally(self)
        return self.totals.summary(self.group.world_size if self.group is not None else 1)

    def evaluate(self, loader):
        """The model's mean loss and accuracy on ``loader``, in eval mode, with one sync at
        the end (over every process's share with a group).

        Args:
            loader: a ``DataLoader``, or None.

        Returns:
            (mean loss, accuracy) as floats; (None, None) without data.
        """
        xp = backend.xp()
        loss_sum, correct, seen = xp.zeros((), np.float64), xp.zeros((), np.int64), 0
        self.model.eval()
        with no_grad():
            for images, labels in (loader if loader is not None else ()):
                logits = self.model(images)
                loss_sum += F.cross_entropy(logits, labels, reduction="sum").data
                correct += (logits.data.argmax(axis=1) == labels.data).sum()
                seen += len(labels)
        self.model.train()
        sums = np.array([float(loss_sum), int(correct), seen], np.float64)
        if self.group is not None:
            self.group.all_reduce(sums)
        seen = int(sums[2])
        return (None, None) if seen == 0 else (float(sums[0]) / seen, int(sums[1]) / seen)

    def _epoch(self, extensions):
        train = self.train_epoch(extensions)
        val_loss, val_acc = self.evaluate(self.val_loader) if self.data.val_images else (None, None)
        for e in extensions:
            e.validated(self, val_loss)
        self.epoch += 1
        self.step_in_epoch, self.order = 0, None
        row = {"epoch": self.epoch, "train_loss": train["train_loss"], "train_acc": train["train_acc"],
               "val_loss": val_loss, "val_acc": val_acc, "lr": self.optimizer.param_groups[0]["lr"],
               "seconds": train["seconds"], "images_per_second": train["images_per_second"]}
        self.history.append(row)
        for e in extensions:
            e.epoch_end(self, row)

    def fit(self, on_step=None):
        """Train for the remaining epochs, then evaluate on the test set.

        A stop request ends it with ``Stopped``, a diverging run with ``TrainingDiverged``;
        ``fit`` again on a stopped trainer continues the run.

        Args:
            on_step: a callable run with the trainer after every step (default None).

        Returns:
            a dict of ``test_loss`` and ``test_acc``.
        """
        self.setup()
        extensions = self.make_extensions(on_step)
        self._open_folder()
        try:
            for e in extensions:
                e.start(self)
            while self.epoch < self.config.epochs:
                self._epoch(extensions)
            test_loss, test_acc = self.evaluate(self.test_loader)
            result = {"test_loss": test_loss, "test_acc": test_acc}
            for e in extensions:
                e.finished(self, result)
            return result
        finally:
            for e in extensions:
                e.finish(self)
            if self.folder is not None:
                self.folder.close()

    def _open_folder(self):
        """Rank 0 locks and checks the output folder; every process learns whether it could."""
        error = None
        if self.rank == 0:
            try:
                # A fresh run checks that the folder is free; fit() again on a stopped run continues it.
                self.folder = RunFolder(self.out).open(fresh=not (self.resume or self._opened))
                self._opened = True
            except ValueError as exc:
                error = exc
        if self.group is not None:
            error = self.group.broadcast_object(error)
        if error is not None:
            raise error

    # ------------------------------------------------------------------ output
    def plot(self):
        """Draw curves.png: loss and accuracy against epoch (needs matplotlib; skipped without)."""
        from ..plots import plot_curves
        plot_curves(self.history, self.out / "curves.png")

    def save_checkpoint(self, path):
        """Write the run's state to ``path`` (see ``minin.training.checkpoint``).

        Args:
            path: the file, normally ``out/last.npz`` or ``out/best.npz``.
        """
        save_checkpoint(self, path)
