"""Training a NiN: a short loop (``Trainer``), the update step (``Updater``), and small
extensions for everything around it; checkpoints that let a run stop and resume.

    from minin.train import TrainConfig, Trainer
    Trainer(TrainConfig(epochs=2, subset=5000, out="runs/quick")).fit()

Everything random (initialisation, shuffling, augmentation, dropout) draws from
minin's generators, seeded from ``config.seed`` when the run is set up, so on NumPy a
run repeats exactly, and a run stopped and resumed ends with the same weights as one
that never stopped. The loop never waits for the GPU inside a step: losses and
accuracies add up on the device and are read every ``sync_every`` steps.

    config.py       TrainConfig and the choices it accepts
    data.py         data sets, validation split, transforms, loaders
    model.py        model, optimizer, schedule, and the checks before the first step
    updater.py      the update step (and the share of a batch for each process)
    extensions.py   progress bar, metrics log, report, plots, checkpoints, NaN guard, Ctrl-C
    checkpoint.py   what a checkpoint holds; reading it back
    folder.py       the output folder: whose it is, its lock, config.json and metrics.jsonl
    loop.py         the Trainer
"""

from .checkpoint import load_checkpoint, resume_config
from .config import (DATASETS, HEADS, INITS, MLP_DEPTHS, MLP_KERNELS, MODELS, OPTIMIZERS, SCHEDULES,
                     STATISTICS, TrainConfig)
from .data import make_loaders, make_transforms
from .extensions import Extension, Stopped, TrainingDiverged
from .folder import RunFolderError
from .loop import Trainer, apply_settings
from .model import build_model
from .updater import Updater

__all__ = ["DATASETS", "HEADS", "INITS", "MLP_DEPTHS", "MLP_KERNELS", "MODELS", "OPTIMIZERS",
           "SCHEDULES", "STATISTICS", "Extension", "RunFolderError", "Stopped", "TrainConfig",
           "Trainer", "TrainingDiverged", "Updater", "apply_settings", "build_model",
           "load_checkpoint", "make_loaders", "make_transforms", "resume_config"]
