"""``from minin.train import TrainConfig, Trainer``: the trainer, kept under the name the
tutorials and the README use. The code lives in the ``minin.training`` package."""

from .training import *  # noqa: F401,F403
from .training import __all__  # noqa: F401
