"""The examples in the docstrings of minin's public modules run and print what they say."""

import doctest
import importlib

import numpy as np
import pytest

import minin as mn

MODULES = ["minin.nn.layers", "minin.nn.fuse", "minin.nn.init", "minin.nn.module", "minin.functional",
           "minin.operators", "minin.tensor", "minin.creation", "minin.device",
           "minin.kernels.conv_simple", "minin.kernels.winograd",
           "minin.optim.optimizer", "minin.optim.sgd", "minin.optim.adam", "minin.optim.lr_scheduler",
           "minin.data.loader", "minin.data.datasets", "minin.data.transforms",
           "minin.utils.data.dataset", "minin.utils.data.dataloader", "minin.utils.data.collate",
           "minin.training.config", "minin.training.extensions", "minin.training.updater",
           "minin.training.checkpoint", "minin.training.data", "minin.training.model",
           "minin.training.folder", "minin.training.loop", "minin.summary", "minin.plots",
           "minin.function", "minin.distributed", "minin.models.nin", "minin.models.alexnet",
           "minin.gradcheck", "minin.cuda", "minin.registry", "minin.promotion"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, extraglobs={"mn": mn, "F": mn.functional, "np": np, "nn": mn.nn},
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted > 0, f"{name} has no examples"
