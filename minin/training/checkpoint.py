"""Training checkpoints: what ``last.npz`` and ``best.npz`` hold, and reading them back.

A checkpoint holds the weights, the optimizer's and the schedule's state, minin's
random generator and, in the middle of an epoch, the epoch's batch order and the sums
of its loss so far, so that a resumed run ends exactly as an uninterrupted one.
"""

import dataclasses
from pathlib import Path

import numpy as np

from .. import backend
from ..serialization import CheckpointError, load, save
from .config import TrainConfig

# What every training checkpoint holds, and the type of each entry.
_ENTRIES = {"config": dict, "classes": list, "epoch": int, "step": int, "best_val_acc": float,
            "model": dict, "optimizer": dict}


def checkpoint_state(trainer):
    """The dict ``save_checkpoint`` writes (the format of every earlier minin).

    Args:
        trainer: the ``Trainer``, set up.

    Returns:
        a dict: ``kind`` ("minin-train"), ``config``, ``classes``, ``epoch``, ``step``,
        ``order`` (None at an epoch's end), ``partial``, ``best_val_acc``, ``model``,
        ``optimizer``, ``scheduler`` (or None) and ``rng``.
    """
    return {"kind": "minin-train", "config": dataclasses.asdict(trainer.config), "classes": trainer.classes,
            "epoch": trainer.epoch, "step": trainer.step_in_epoch,
            "order": trainer.order if trainer.step_in_epoch else None,
            "partial": trainer.partial, "best_val_acc": trainer.best_val_acc,
            "model": trainer.model.state_dict(), "optimizer": trainer.optimizer.state_dict(),
            "scheduler": trainer.scheduler.state_dict() if trainer.scheduler is not None else None,
            "rng": backend.get_rng_state()}


def save_checkpoint(trainer, path):
    """Write ``trainer``'s state (``checkpoint_state``) to ``path``, complete or not at all.

    Args:
        trainer: the ``Trainer``, set up.
        path: the file to write (``last.npz`` or ``best.npz`` of the output folder).

    Raises:
        OSError: a full disk or a folder that became unwritable, naming the file and how
            to go on (the previous checkpoint there is intact).
    """
    try:
        save(checkpoint_state(trainer), path)
    except OSError as exc:
        raise OSError(exc.errno, f"could not write {path} ({exc.strerror or exc}); the previous "
                      f"checkpoint there is intact: make room and continue with "
                      f"minin train --resume {trainer.out}") from None


def load_checkpoint(path):
    """Read back the state ``save_checkpoint`` wrote to ``path``.

    Any other file, a malformed one included, is a ``CheckpointError`` (a ValueError)
    naming the problem; pickled objects are never loaded.

    Args:
        path: the checkpoint file.

    Returns:
        the dict of ``checkpoint_state``.

    Example::

        >>> import os, tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, "weights.npz")
        ...     mn.save({"weight": np.zeros(2)}, path)
        ...     load_checkpoint(path)
        Traceback (most recent call last):
        ...
        minin.serialization.CheckpointError: .../weights.npz is not a checkpoint written by `minin train`
    """
    try:
        state = load(path)
    except CheckpointError as exc:
        if "allow_pickle" in str(exc):  # NumPy's advice would be to trust the file: never
            raise CheckpointError(f"{path} holds pickled Python objects, which minin never "
                                  "loads (they could run code); it is not a minin checkpoint") from None
        raise
    except (KeyError, AttributeError, TypeError, IndexError) as exc:  # a forged manifest
        raise CheckpointError(f"{path} is not a readable minin checkpoint (its index is "
                              f"malformed: {type(exc).__name__})") from None
    if not isinstance(state, dict) or state.get("kind") != "minin-train":
        raise CheckpointError(f"{path} is not a checkpoint written by `minin train`")
    for key, kind in _ENTRIES.items():
        if not isinstance(state.get(key), kind) and not (kind is float and isinstance(state.get(key), int)):
            raise CheckpointError(f"{path} is not a complete training checkpoint: its {key!r} entry is "
                                  f"{type(state.get(key)).__name__ if key in state else 'missing'}")
    missing = [k for k in ("rng", "scheduler", "order", "partial") if k not in state]
    if missing:
        raise CheckpointError(f"{path} is not a complete training checkpoint: it lacks {', '.join(missing)}")
    problem = _position_problem(state)
    if problem:
        raise CheckpointError(f"{path} is damaged: {problem}")
    try:
        TrainConfig.from_dict(state["config"])
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{path} holds settings this minin cannot use ({exc})") from None
    return state


def _position_problem(state):
    """What is wrong with where a checkpoint says its run stands, or None; checked here so
    that a damaged file fails on loading, not as an IndexError epochs into the resumed run."""
    if not all(isinstance(c, str) for c in state["classes"]):
        return "its 'classes' entry is not a list of names"
    for key in ("epoch", "step"):
        if isinstance(state[key], bool) or state[key] < 0:
            return f"its {key!r} entry is {state[key]!r}, expected an integer >= 0"
    order = state["order"]
    if order is not None and not (isinstance(order, np.ndarray) and order.ndim == 1
                                  and order.dtype.kind in "iu"):
        return f"its 'order' entry is {type(order).__name__}, expected None or a 1-D integer array"
    if state["step"] and order is None:
        return f"it was saved at step {state['step']} of an epoch but holds no epoch order"
    partial = state["partial"]
    if partial is not None and not (isinstance(partial, dict) and all(
            isinstance(partial.get(k), (int, float)) for k in ("loss_sum", "correct", "seen", "seconds"))):
        return "its 'partial' entry is not the sums of an epoch (loss_sum, correct, seen, seconds)"
    if not isinstance(state["rng"], dict) or not isinstance(state["scheduler"], (dict, type(None))):
        return "its 'rng' or 'scheduler' entry is not a state dict"
    return None


def check_epochs(state, epochs, path):
    """A ValueError if a run of ``epochs`` epochs cannot continue the checkpoint ``state``:
    it has trained them already, or is partway through a later one.

    Args:
        state: what ``load_checkpoint`` returned.
        epochs: the epochs the resumed run is to train in all.
        path: the checkpoint's file, named in the error.

    Raises:
        ValueError: naming the ``--epochs`` that would do.

    Example::

        >>> check_epochs({"epoch": 3, "step": 0}, 5, "last.npz")      # 2 more epochs: fine
        >>> check_epochs({"epoch": 3, "step": 10}, 3, "last.npz")
        Traceback (most recent call last):
        ...
        ValueError: --epochs 3 is fewer than the saved run needs: last.npz is partway through
        epoch 4; give --epochs 4 or more (or leave --epochs out)
    """
    done = state["epoch"] + (1 if state["step"] else 0)
    if epochs < done:
        where = f"is partway through epoch {done}" if state["step"] else f"has trained {done} epochs"
        raise ValueError(f"--epochs {epochs} is fewer than the saved run needs: {path} {where}; give "
                         f"--epochs {done} or more (or leave --epochs out)")


def resume_config(out, **overrides):
    """The configuration saved in ``out/last.npz``, with ``overrides`` applied.

    Args:
        out: the output folder of the run.
        overrides: settings to change (those given as None are ignored); ``out`` is
            always the folder given.

    Returns:
        a ``TrainConfig``.

    Example::

        >>> resume_config("no-such-run", epochs=30)
        Traceback (most recent call last):
        ...
        FileNotFoundError: nothing to resume: no-such-run/last.npz does not exist
    """
    path = Path(out) / "last.npz"
    if not path.exists():
        raise FileNotFoundError(f"nothing to resume: {path} does not exist")
    state = load_checkpoint(path)
    saved = dict(state["config"])
    saved.update({k: v for k, v in overrides.items() if v is not None})
    saved["out"] = str(out)
    config = TrainConfig.from_dict(saved)
    check_epochs(state, config.epochs, path)
    return config


def restore(trainer, state, path):
    """Load ``state`` into ``trainer``: weights, optimizer, schedule, position and random
    generator.

    A run given another number of epochs replays its new schedule up to the saved step.

    Args:
        trainer: the ``Trainer``, set up.
        state: what ``load_checkpoint`` returned.
        path: the checkpoint's file, named in errors.

    Raises:
        CheckpointError: ``state`` does not fit the model, or is damaged.
        ValueError: ``trainer.config.epochs`` is fewer than the saved run needs
            (``check_epochs``).
    """
    try:
        trainer.model.load_state_dict(state["model"])
        start = [{k: v for k, v in g.items() if k != "params"} for g in trainer.optimizer.param_groups]
        trainer.optimizer.load_state_dict(state["optimizer"])
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        raise CheckpointError(f"{path} does not fit model {trainer.config.model!r} of this run "
                              f"({str(exc).strip(chr(34) + chr(39))})") from None
    check_epochs(state, trainer.config.epochs, path)
    _check_order(trainer, state, path)
    trainer.epoch, trainer.step_in_epoch = int(state["epoch"]), int(state["step"])
    try:
        _restore_schedule(trainer, state, start)
        backend.set_rng_state(state["rng"])
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"{path} is damaged: its schedule or random generator state cannot be "
                              f"restored ({type(exc).__name__}: {exc})") from None
    trainer.order = state.get("order") if trainer.step_in_epoch else None
    trainer.partial = state.get("partial")
    trainer.best_val_acc = float(state["best_val_acc"])
    if trainer.config.backend != "numpy":  # CuPy's generator has no saved state: reseed it
        backend.reseed(trainer.config.backend, (trainer.config.seed, trainer.epoch, trainer.step_in_epoch))


def _check_order(trainer, state, path):
    """A ``CheckpointError`` unless a checkpoint saved mid-epoch stopped inside an epoch of
    this run and its order shuffles exactly this run's training images (another
    --data-dir may hold another number of them)."""
    step, steps, images = state["step"], len(trainer.train_loader), len(trainer.train_loader.dataset)
    if not step:
        return
    if step >= steps:
        raise CheckpointError(f"{path} was saved at step {step} of an epoch, but an epoch of this run "
                              f"has {steps} steps")
    order = state["order"]
    if len(order) != images or not np.array_equal(np.sort(order), np.arange(images)):
        raise CheckpointError(f"{path} was saved mid-epoch over {len(order)} training images in an order "
                              f"that is not a shuffle of this run's {images}; was --data-dir changed?")


def _restore_schedule(trainer, state, start):
    scheduler, config = trainer.scheduler, trainer.config
    if scheduler is not None and state["config"]["epochs"] == config.epochs:
        scheduler.load_state_dict(state["scheduler"])
    elif scheduler is not None and trainer.epoch < config.epochs:
        # A run given more (or fewer) epochs: the same schedule drawn over the new length,
        # replayed from the schedule's start values (the saved ones are already decayed,
        # and cosine and step schedules work from the current value).
        for group, values in zip(trainer.optimizer.param_groups, start):
            group.update(values)
        for _ in range(trainer.epoch * len(trainer.train_loader) + trainer.step_in_epoch):
            scheduler.step()
