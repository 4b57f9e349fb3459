"""``TrainConfig``: every setting of a run, checked where it is made."""

import dataclasses
import math
import numbers
import os

import numpy as np

from .. import backend, registry

DATASETS = tuple(registry.DATASETS)
MODELS = registry.trainable_models()
OPTIMIZERS = ("adam", "sgd")
SCHEDULES = ("onecycle", "cosine", "step", "none")
HEADS = ("gap", "fc", "fc-dropout", "gmp")     # what turns the last maps into class scores
INITS = ("nin", "torch", "xavier")
MLP_DEPTHS = (0, 1, 2, 3)                      # 1×1 layers after each mlpconv's first convolution
MLP_KERNELS = (1, 3)

# Per-channel mean and standard deviation of each training set, for Normalize.
STATISTICS = {name: (d.mean, d.std) for name, d in registry.DATASETS.items()}

# The model switches, with the values that leave `nin(...)` as it always was.
MODEL_SWITCHES = {"head": "gap", "mlp_depth": 2, "mlp_kernel": 1, "init": "nin"}

# Images of the full training set held out when --val-split is not given (a --subset holds
# out the same share of its images).
DEFAULT_VAL_IMAGES = 10_000


@dataclasses.dataclass
class TrainConfig:
    """Every setting of a run, checked when it is made; ``config.json`` in the output
    folder records them, and ``minin train --help`` lists them as options.

    Each field's comment says what it sets; a value outside its range is a ValueError
    that names the field, and a value of the wrong kind (epochs=1.5) a TypeError, raised
    here rather than epochs later. Paths may be given as ``pathlib.Path``.

    Example::

        >>> from minin.train import TrainConfig
        >>> config = TrainConfig(epochs=2, subset=512)
        >>> config.model, config.epochs, config.input_size, TrainConfig(model="d2l").input_size
        ('small', 2, 0, 224)
        >>> TrainConfig(optimizer="rmsprop")
        Traceback (most recent call last):
        ...
        ValueError: optimizer must be one of adam, sgd, got 'rmsprop'
    """

    model: str = "small"           # a trainable name of minin.registry.MODELS
    dataset: str = "fashion-mnist"  # a name of minin.registry.DATASETS
    backend: str = "numpy"         # numpy (the CPU) or cupy (an NVIDIA GPU)
    epochs: int = 18
    batch_size: int = 128
    lr: float = 2e-3               # the peak learning rate of the schedule
    optimizer: str = "adam"        # adam or sgd
    momentum: float = 0.9          # SGD's momentum (Adam keeps its betas)
    weight_decay: float = 0.0      # L2 on the gradient, as torch.optim's weight_decay
    label_smoothing: float = 0.1   # ε of the cross-entropy's targets (1 - ε on the label, ε / C spread)
    schedule: str = "onecycle"     # onecycle, cosine, step (×0.1 every third of the run) or none
    augment: bool = True           # random padded crops (and flips where the data set allows) in training
    val_split: int = None      # images held out for validation; None: 10,000 of the full set, or that share of a subset
    seed: int = 0                  # the weights, the split, the order and the augmentation
    subset: int = 0            # 0: every image; N: the first N training (and test) images
    resize: int = 0            # 0: the model's own input size (224 for d2l, else unchanged)
    data_dir: str = ""             # where the data set's files are; "": the usual places
    download: bool = True          # fetch missing files (checked by MD5)
    out: str = "runs/nin"          # the output folder: checkpoints, metrics, plots, config.json
    tf32: bool = False             # TF32 matrix products on the GPU (cupy only)
    sync_every: int = 50       # steps between reads of the running loss (GPU)
    head: str = "gap"          # gap: global average pooling, as in NiN; see minin.models.nin
    mlp_depth: int = 2         # 1×1 convolutions in each mlpconv block
    mlp_kernel: int = 1        # their kernel size
    init: str = "nin"          # initialisation: NiN's (init_nin), PyTorch's default, or Xavier

    def __post_init__(self):
        self._check_types()
        for name, allowed in (("model", MODELS), ("dataset", DATASETS), ("optimizer", OPTIMIZERS),
                              ("schedule", SCHEDULES), ("backend", backend.BACKENDS),
                              ("head", HEADS), ("init", INITS), ("mlp_depth", MLP_DEPTHS),
                              ("mlp_kernel", MLP_KERNELS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(map(str, allowed))}, "
                                 f"got {getattr(self, name)!r}")
        for name in ("epochs", "batch_size", "sync_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)!r}")
        for name in ("subset", "resize", "seed") + (("val_split",) if self.val_split is not None else ()):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)!r}")
        if self.seed >= 2**64:  # what a random generator takes (minin.manual_seed)
            raise ValueError(f"seed must lie in [0, 2**64), got {self.seed}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"lr must be a positive finite number, got {self.lr!r}")
        for name in ("momentum", "weight_decay"):
            if not (getattr(self, name) >= 0 and math.isfinite(getattr(self, name))):
                raise ValueError(f"{name} must be a finite number >= 0, got {getattr(self, name)!r}")
        if not 0 <= self.label_smoothing < 1:
            raise ValueError(f"label_smoothing must lie in [0, 1), got {self.label_smoothing!r}")
        if not str(self.out):
            raise ValueError("out must name a folder, got an empty path")

    def _check_types(self):
        """A TypeError naming the field for a value of the wrong kind for its annotation (a
        forged checkpoint's epochs=1.5 would train 2 epochs, seed=1.5 fail epochs later);
        NumPy numbers become Python ones and paths text, so that config.json can hold them."""
        if self.data_dir is None:
            self.data_dir = ""
        kinds = {int: (numbers.Integral, "an integer"), float: (numbers.Real, "a number"),
                 bool: ((bool, np.bool_), "True or False"), str: (str, "text")}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name == "val_split" and value is None:
                continue
            if field.type is str and isinstance(value, os.PathLike):
                value = os.fspath(value)  # a pathlib.Path, as text (a bytes path fails below)
            kind, what = kinds[field.type]
            if not isinstance(value, kind) or (field.type is not bool and isinstance(value, (bool, np.bool_))):
                what = "a path" if field.name in ("data_dir", "out") else what
                raise TypeError(f"{field.name} must be {what}, got {getattr(self, field.name)!r}")
            setattr(self, field.name, field.type(value))

    @classmethod
    def from_dict(cls, saved):
        """A config from a saved dict (a checkpoint's), ignoring keys it does not know."""
        fields = {f.name for f in dataclasses.fields(cls)}
        saved = dict(saved)
        if "head" not in saved and saved.get("subset") and saved.get("val_split") == 10_000:
            # Written before --val-split counted images after --subset: its default was
            # 10,000 of the full set, scaled down to the subset, which None now means.
            saved["val_split"] = None
        # Runs saved before label smoothing was an option trained without it.
        saved.setdefault("label_smoothing", 0.0)
        return cls(**{k: v for k, v in saved.items() if k in fields})

    @property
    def input_size(self):
        """The side the images are resized to: ``resize``, else the model's own (0: kept as stored)."""
        return self.resize or registry.MODELS[self.model].resize

    def model_switches(self):
        """The model switches that differ from the defaults (``nin`` gets only these)."""
        return {k: getattr(self, k) for k, default in MODEL_SWITCHES.items() if getattr(self, k) != default}
