"""Extensions: each one concern of a run (progress bar, metrics log, report, plots,
checkpoints, NaN guard, interruption), called by the ``Trainer`` at fixed points, in
the manner of Chainer's trainer extensions or a Lightning callback list.

Every hook is optional; the trainer calls them in the order the extensions are listed:

    start(trainer)                 fit begins (the output folder is open)
    epoch_start(trainer)           before an epoch's first step
    step(trainer)                  after every update
    epoch_finally(trainer)         an epoch's steps are over, normally or not
    validated(trainer, val_loss)   the epoch is trained and validated, nothing saved yet
    epoch_end(trainer, row)        the epoch is over; ``row`` is its line of metrics.jsonl
    finished(trainer, result)      the test set is evaluated
    finish(trainer)                fit ends, however it ends
"""

import math
import signal
import sys

import numpy as np

from .. import backend


class Stopped(Exception):
    """Training was stopped on request (Ctrl-C or SIGTERM) after saving a checkpoint."""


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


class Extension:
    """The base of an extension: the hooks it may define, each doing nothing by default.

    A subclass defines the hooks it needs; the ``Trainer`` calls each hook with itself as
    ``trainer``, in the order the extensions are listed (``Trainer(extensions=[...])``
    adds them after the standard ones).

    Example::

        >>> class PrintLoss(Extension):
        ...     def epoch_end(self, trainer, row):
        ...         print(f"epoch {row['epoch']}: loss {row['train_loss']:.3f}")
        >>> PrintLoss().epoch_end(None, {"epoch": 1, "train_loss": 0.5})
        epoch 1: loss 0.500
    """

    def start(self, trainer):
        """Fit begins (the output folder is open)."""

    def epoch_start(self, trainer):
        """Before an epoch's first step."""

    def step(self, trainer):
        """After every update."""

    def epoch_finally(self, trainer):
        """An epoch's steps are over, normally or not."""

    def validated(self, trainer, val_loss):
        """The epoch is trained and validated (``val_loss`` None without a validation set),
        nothing saved yet."""

    def epoch_end(self, trainer, row):
        """The epoch is over; ``row`` is its line of metrics.jsonl."""

    def finished(self, trainer, result):
        """The test set is evaluated; ``result`` holds ``test_loss`` and ``test_acc``."""

    def finish(self, trainer):
        """Fit ends, however it ends."""


class NaNGuard(Extension):
    """Stops a run whose loss, weights or validation loss turn NaN or infinite, before
    anything is saved, with ``TrainingDiverged``.

    The first bad step is tracked on the device and read only at the trainer's sync
    points, so the GPU never waits in between.

    Example::

        >>> from pathlib import Path
        >>> from types import SimpleNamespace
        >>> trainer = SimpleNamespace(epoch=0, step_in_epoch=1, last_loss=np.float32("nan"), group=None,
        ...                           at_sync_point=lambda: True, out=Path("run"),
        ...                           config=SimpleNamespace(lr=0.01))
        >>> guard = NaNGuard()
        >>> guard.epoch_start(trainer)
        >>> guard.step(trainer)
        Traceback (most recent call last):
        ...
        minin.training.extensions.TrainingDiverged: the loss became NaN or infinite at epoch 1,
        step 1; no checkpoint was written yet. Try a lower learning rate, e.g. --lr 0.001
    """

    def epoch_start(self, trainer):
        self.first_bad = backend.xp().full((), -1, np.int64)

    def step(self, trainer):
        xp = backend.xp()
        self.first_bad = xp.where((self.first_bad < 0) & ~xp.isfinite(trainer.last_loss),
                                  trainer.step_in_epoch - 1, self.first_bad)
        if trainer.at_sync_point():
            self.check(trainer)

    def check(self, trainer):
        """Raise ``TrainingDiverged`` if a step so far had a non-finite loss (on any process).

        Args:
            trainer: the ``Trainer``; with a process group this is a collective.
        """
        first = int(self.first_bad)  # reading it waits for the GPU
        group = trainer.group
        if group is not None and group.agree(first >= 0):
            found = np.array([first if first >= 0 else np.iinfo(np.int64).max], np.int64)
            group.all_reduce(found, op="min")
            first = int(found[0])
        if first >= 0:
            diverged(trainer, f"the loss became NaN or infinite at epoch {trainer.epoch + 1}, step {first + 1}")

    def validated(self, trainer, val_loss):
        # The training loss is taken before each update, so the epoch's last update is checked here.
        xp = backend.xp()
        if not all(bool(xp.isfinite(p.data).all()) for p in trainer.model.parameters()):
            diverged(trainer, f"the weights became NaN or infinite in the last step of epoch {trainer.epoch + 1}")
        if val_loss is not None and not math.isfinite(val_loss):
            diverged(trainer, f"the validation loss became NaN or infinite after epoch {trainer.epoch + 1}")


def diverged(trainer, what):
    """Raise ``TrainingDiverged``: ``what`` happened, whether ``last.npz`` (the last good
    checkpoint) is kept, and a learning rate ten times lower to try.

    Args:
        trainer: the ``Trainer`` (its ``out``, ``epoch`` and ``config.lr`` are read).
        what: the first part of the message.

    Example::

        >>> from pathlib import Path
        >>> from types import SimpleNamespace
        >>> diverged(SimpleNamespace(out=Path("run"), epoch=3, config=SimpleNamespace(lr=2e-3)),
        ...          "the loss became NaN")
        Traceback (most recent call last):
        ...
        minin.training.extensions.TrainingDiverged: the loss became NaN; no checkpoint was
        written yet. Try a lower learning rate, e.g. --lr 0.0002
    """
    last = trainer.out / "last.npz"
    kept = (f"the last good checkpoint, {last} (after epoch {trainer.epoch}), is kept" if last.exists()
            else "no checkpoint was written yet")
    raise TrainingDiverged(f"{what}; {kept}. Try a lower learning rate, e.g. --lr {trainer.config.lr / 10:g}")


class ProgressBar(Extension):
    """A tqdm bar per epoch on stderr with loss, accuracy and images per second.

    The figures are refreshed at the trainer's sync points. Needs tqdm; without it the
    extension does nothing.

    Example (a stand-in for the ``Trainer``, with the attributes read)::

        >>> from types import SimpleNamespace
        >>> trainer = SimpleNamespace(train_loader=range(2), step_in_epoch=0, epoch=0,
        ...                           config=SimpleNamespace(epochs=1), at_sync_point=lambda: True,
        ...                           totals=SimpleNamespace(progress=lambda: {"loss": "0.5000"}))
        >>> bar = ProgressBar()
        >>> bar.epoch_start(trainer)            # the bar is drawn on stderr, not stdout
        >>> for _ in trainer.train_loader:
        ...     bar.step(trainer)
        >>> bar.epoch_finally(trainer)
    """

    def epoch_start(self, trainer):
        try:
            from tqdm.auto import tqdm
        except ImportError:
            self.bar = None
            return
        self.bar = tqdm(total=len(trainer.train_loader), initial=trainer.step_in_epoch,
                        desc=f"epoch {trainer.epoch + 1}/{trainer.config.epochs}", unit="batch",
                        leave=False, dynamic_ncols=True, file=sys.stderr, mininterval=0.5)

    def step(self, trainer):
        if self.bar is None:
            return
        if trainer.at_sync_point():
            self.bar.set_postfix(trainer.totals.progress(), refresh=False)
        self.bar.update(1)

    def epoch_finally(self, trainer):
        if self.bar is not None:
            self.bar.close()


class StepCallback(Extension):
    """Calls ``function(trainer)`` after every step (``fit(on_step=...)``).

    Args:
        function: a callable taking the ``Trainer``.

    Example::

        >>> from types import SimpleNamespace
        >>> StepCallback(lambda trainer: print("step", trainer.step_in_epoch)).step(
        ...     SimpleNamespace(step_in_epoch=3))
        step 3
    """

    def __init__(self, function):
        self.function = function

    def step(self, trainer):
        self.function(trainer)


class MetricsLog(Extension):
    """``config.json`` at the start, one line of ``metrics.jsonl`` per epoch, the test result last.

    On a resumed run, ``start`` also drops the lines of epochs the checkpoint has not
    seen (``RunFolder.repair_metrics``) and makes the rest ``trainer.history``.

    Example (a stand-in for the ``Trainer``, writing to a temporary folder)::

        >>> import os, tempfile
        >>> from types import SimpleNamespace
        >>> from minin.training.folder import RunFolder
        >>> out = tempfile.mkdtemp()
        >>> trainer = SimpleNamespace(folder=RunFolder(out).open(fresh=True), epoch=0,
        ...                           run_info=lambda: {"minin_version": mn.__version__})
        >>> log = MetricsLog()
        >>> log.start(trainer)
        >>> log.epoch_end(trainer, {"epoch": 1, "train_loss": 0.5})
        >>> log.finished(trainer, {"test_loss": 0.4, "test_acc": 0.9})
        >>> trainer.folder.close()
        >>> print(open(os.path.join(out, "metrics.jsonl")).read(), end="")
        {"epoch": 1, "train_loss": 0.5}
        {"test_loss": 0.4, "test_acc": 0.9}
        >>> os.path.exists(os.path.join(out, "config.json")), trainer.history
        (True, [])
    """

    def start(self, trainer):
        trainer.folder.write_config(trainer.run_info())
        trainer.history = trainer.folder.repair_metrics(trainer.epoch)

    def epoch_end(self, trainer, row):
        trainer.folder.append_metrics(row)

    def finished(self, trainer, result):
        trainer.folder.append_metrics(result)


class Checkpoints(Extension):
    """``best.npz`` when the validation accuracy improved (every epoch without a validation
    set), then ``last.npz``, at the end of every epoch.

    In that order: ``last.npz`` records the best accuracy, so a kill between the two
    leaves the previous ``last.npz`` and the resumed run writes both again; a kill inside
    a write leaves the old file (writes are atomic).

    Example::

        >>> from pathlib import Path
        >>> from types import SimpleNamespace
        >>> saved = []
        >>> trainer = SimpleNamespace(best_val_acc=0.5, out=Path("run"),
        ...                           save_checkpoint=lambda path: saved.append(path.name))
        >>> Checkpoints().epoch_end(trainer, {"val_acc": 0.6})
        >>> Checkpoints().epoch_end(trainer, {"val_acc": 0.55})
        >>> saved, trainer.best_val_acc
        (['best.npz', 'last.npz', 'last.npz'], 0.6)
    """

    def epoch_end(self, trainer, row):
        val_acc = row["val_acc"]
        improved = val_acc is not None and val_acc > trainer.best_val_acc
        if improved:
            trainer.best_val_acc = val_acc
        if improved or val_acc is None:
            trainer.save_checkpoint(trainer.out / "best.npz")
        trainer.save_checkpoint(trainer.out / "last.npz")


class PrintReport(Extension):
    """One line per epoch, and the test result, through ``trainer.log``.

    Example::

        >>> from types import SimpleNamespace
        >>> trainer = SimpleNamespace(log=print, config=SimpleNamespace(epochs=2))
        >>> PrintReport().epoch_end(trainer, {"epoch": 1, "train_loss": 0.5, "train_acc": 0.8,
        ...     "val_loss": None, "val_acc": None, "lr": 1e-3, "seconds": 12.0,
        ...     "images_per_second": 4000.0})
        epoch 1/2: train loss 0.5000 acc 80.00%, no validation set, lr 1.00e-03, 12.0 s (4000 images/s)
    """

    def epoch_end(self, trainer, row):
        val = (f"val loss {row['val_loss']:.4f} acc {row['val_acc']:.2%}" if row["val_loss"] is not None
               else "no validation set")
        trainer.log(f"epoch {row['epoch']}/{trainer.config.epochs}: train loss {row['train_loss']:.4f} "
                    f"acc {row['train_acc']:.2%}, {val}, lr {row['lr']:.2e}, {row['seconds']:.1f} s "
                    f"({row['images_per_second']:.0f} images/s)")

    def finished(self, trainer, result):
        trainer.log(f"test loss {result['test_loss']:.4f}, test accuracy {result['test_acc']:.2%} "
                    f"({trainer.data.test_images} images)")


class CurvesPlot(Extension):
    """``curves.png``: loss and accuracy against epoch, redrawn at the end of every epoch
    (``Trainer.plot``; needs matplotlib, skipped without).

    Example::

        >>> from types import SimpleNamespace
        >>> CurvesPlot().epoch_end(SimpleNamespace(plot=lambda: print("curves.png redrawn")), {"epoch": 1})
        curves.png redrawn
    """

    def epoch_end(self, trainer, row):
        trainer.plot()


class Interruption(Extension):
    """Ctrl-C (SIGINT) and SIGTERM (what schedulers and ``timeout`` send) ask for a clean
    stop: after the current step the run saves ``last.npz`` and raises ``Stopped``; a
    second signal interrupts at once (KeyboardInterrupt).

    With several processes the stop is agreed, so every process stops at the same step.
    The handlers are installed by ``start`` (only in the main thread) and the previous
    ones put back by ``finish``.

    Args:
        saves: whether the stop writes ``last.npz`` (default True; False on the processes
            that do not write, every rank but 0).

    Example (a stand-in for the ``Trainer``; the handler called as Ctrl-C would)::

        >>> import signal
        >>> from types import SimpleNamespace
        >>> trainer = SimpleNamespace(stop_requested=False, log=print)
        >>> trainer.request_stop = lambda: setattr(trainer, "stop_requested", True)
        >>> before = signal.getsignal(signal.SIGINT)
        >>> interruption = Interruption()
        >>> interruption.start(trainer)
        >>> signal.getsignal(signal.SIGINT)(signal.SIGINT, None)
        <BLANKLINE>
        stopping after this step (Ctrl-C again to quit at once)
        >>> trainer.stop_requested
        True
        >>> interruption.finish(trainer)
        >>> signal.getsignal(signal.SIGINT) is before
        True
    """

    signals = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, saves=True):
        self.saves, self.previous = saves, {}

    def start(self, trainer):
        def handler(signum, frame):
            if trainer.stop_requested:
                raise KeyboardInterrupt
            trainer.request_stop()
            trainer.log("\nstopping after this step (Ctrl-C again to quit at once)")
        for number in self.signals:
            try:
                self.previous[number] = signal.signal(number, handler)
            except ValueError:  # not the main thread: no signal handling
                pass

    def step(self, trainer):
        if trainer.agreed_stop() and trainer.step_in_epoch < len(trainer.train_loader):
            trainer.nan_guard.check(trainer)
            trainer.partial = trainer.totals.state()
            if self.saves:
                trainer.save_checkpoint(trainer.out / "last.npz")
            raise Stopped(f"stopped at epoch {trainer.epoch + 1}, step {trainer.step_in_epoch}; "
                          f"saved {trainer.out / 'last.npz'}")

    def epoch_end(self, trainer, row):
        if trainer.agreed_stop() and trainer.epoch < trainer.config.epochs:
            raise Stopped(f"stopped after epoch {trainer.epoch}; saved {trainer.out / 'last.npz'}")

    def finish(self, trainer):
        for number, previous in self.previous.items():
            signal.signal(number, previous)
        self.previous = {}
