"""The examples in the docstrings of minin's public modules run and print what they say."""

import dataclasses
import doctest
import enum
import importlib
import inspect
import re
import tempfile

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


# The public API a PyTorch user touches. Every function and class in it has one docstring
# format: a summary line, then "Args:", "Shape:" and "Returns:" where they apply, and an
# "Example::" that test_docstring_examples runs.
API_MODULES = sorted(set(MODULES) - {"minin.kernels.conv_simple", "minin.kernels.winograd",
                                     # the trainer's inner parts, reached through Trainer:
                                     "minin.training.checkpoint", "minin.training.data"}
                     | {"minin.accelerator", "minin.backends", "minin.nn.batchnorm", "minin.nn.utils",
                        "minin.nn.loss", "minin.nn.adaptive_pooling", "minin.nn.functional",
                        "minin.backend", "minin.serialization", "minin.utils.data.sampler",
                        "minin.vision.datasets", "minin.vision.transforms", "minin.vision.utils"})
SECTIONS = ("Args:", "Shape:", "Returns:", "Raises:", "Attributes:")
# These read files, a GPU or several processes, which an example cannot count on: a
# "Usage::" block shows the call instead.
USAGE_ONLY = {"minin.data.datasets.FashionMNIST", "minin.data.datasets.MNIST", "minin.data.datasets.CIFAR10",
              "minin.vision.datasets.FashionMNIST", "minin.vision.datasets.MNIST",
              "minin.vision.datasets.CIFAR10", "minin.cuda.current_device",
              "minin.accelerator.current_device_index",
              "minin.distributed.init_from_environment", "minin.distributed.ProcessGroup"}


@pytest.mark.parametrize("name", sorted(set(MODULES) | set(API_MODULES)))
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # what the examples write goes with it
    module = importlib.import_module(name)
    result = doctest.testmod(module, extraglobs={"mn": mn, "F": mn.functional, "np": np, "nn": mn.nn},
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted > 0, f"{name} has no examples"


def _public_api():
    for name in API_MODULES:
        module = importlib.import_module(name)
        names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
        for attr in names:
            obj = getattr(module, attr, None)
            if ((inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == name
                    and not (inspect.isclass(obj) and issubclass(obj, BaseException))):
                yield f"{name}.{attr}", obj


def _parameters(obj):
    if inspect.isclass(obj) and (dataclasses.is_dataclass(obj) or issubclass(obj, enum.Enum)):
        return []  # its fields, or members, carry their own one-line comments
    try:
        parameters = inspect.signature(obj).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p for p in parameters if p.name != "self"
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def docstring_problems(qualname, obj):
    """What keeps one public function or class's docstring from the common format."""
    doc = inspect.getdoc(obj) or ""
    if not doc:
        return ["no docstring"]
    problems = []
    lines = doc.splitlines()
    headings = [line.split(":")[0] + ":" for line in lines[1:]
                if re.fullmatch(r"[A-Z][a-z]+( [a-z]+)?:", line)
                or re.match(r"(Arguments|Parameters|Params|Return|Shapes|Inputs|Outputs):", line)]
    problems += [f"section {h!r} (use one of {', '.join(SECTIONS)})" for h in headings if h not in SECTIONS]
    if _parameters(obj) and "Args:" not in lines:
        problems.append("no Args: section for its arguments "
                        f"({', '.join(p.name for p in _parameters(obj))})")
    example = r"(Example|Usage)\b.*::" if qualname in USAGE_ONLY else r"Example\b.*::"
    if not any(re.fullmatch(example, line) for line in lines):
        problems.append("no Example:: block")
    elif qualname not in USAGE_ONLY and not any(line.lstrip().startswith(">>> ") for line in lines):
        problems.append("its example has no >>> line")
    return problems


def test_public_docstrings_share_one_format():
    problems = {q: p for q, obj in _public_api() if (p := docstring_problems(q, obj))}
    assert not problems, "\n".join(f"{q}: {'; '.join(p)}" for q, p in sorted(problems.items()))


def test_docstring_check_finds_what_it_should():
    def good(x, dim=None):
        """The sum.

        Args:
            x: a tensor.
            dim: an axis.

        Example::

            >>> 1
            1
        """

    def bad(x):
        """The sum.

        Arguments: x, a tensor.
        """

    assert docstring_problems("good", good) == []
    assert docstring_problems("bad", bad) == ["section 'Arguments:' (use one of Args:, Shape:, Returns:, Raises:, Attributes:)",
                                              "no Args: section for its arguments (x)",
                                              "no Example:: block"]
    assert docstring_problems("none", lambda: None) == ["no docstring"]
