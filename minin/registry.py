"""The one list of the models and data sets that minin trains and describes.

The trainer, the ``minin`` command, its ``--help`` and ``minin summary`` all read
the two tables below, so a model or data set added here appears everywhere at once.
The models come from ``minin.models``' public names (``VARIANTS``, ``INPUT_SHAPES``,
``nin``, ``alexnet``); nothing here builds a layer.

    >>> from minin import registry
    >>> registry.trainable_models()
    ('small', 'd2l', 'cifar10')
    >>> registry.MODELS["d2l"].input_shape, registry.MODELS["d2l"].resize
    ((1, 224, 224), 224)
"""

import dataclasses

from . import models

# Models built for inputs this large get them: the trainer resizes its images to fit.
_RESIZED_FROM = 64
# Models that `minin summary` describes but `minin train` does not train, and why.
_NOT_TRAINED = {"imagenet": "1000 classes at 224×224, and minin has no ImageNet loader",
                "alexnet": "it is here to compare sizes with, not a NiN"}


@dataclasses.dataclass(frozen=True)
class Model:
    """A model the command line knows: its builder and its own input shape (C, H, W).

    Args:
        name: its name on the command line (``--model``), a key of ``MODELS``.
        build: ``build(num_classes=None, in_channels=None, **switches)`` returns the
            ``nn.Module`` (None: the model's own number of classes and channels); the
            switches are ``nin``'s (head, mlp_depth, ...). AlexNet's builder takes no
            switches: it raises TypeError naming any it is given.
        input_shape: (C, H, W) of the images it is built for.
        trainable: whether ``minin train`` offers it (see ``not_trained_reason``).

    Example::

        >>> small = MODELS["small"]
        >>> small.input_shape, small.resize, small.trainable
        ((1, 28, 28), 0, True)
        >>> small.build(num_classes=10)(mn.zeros(2, 1, 28, 28)).shape
        (2, 10)
    """

    name: str
    build: object              # build(num_classes=None, in_channels=None, **switches) -> Module
    input_shape: tuple
    trainable: bool

    @property
    def resize(self):
        """The image size the trainer resizes to by default (0: the data set's own): the
        model's height when it is over 64 pixels."""
        return self.input_shape[1] if self.input_shape[1] > _RESIZED_FROM else 0


@dataclasses.dataclass(frozen=True)
class Dataset:
    """A data set the trainer knows: where its class lives and how to normalise it.

    Args:
        name: its name on the command line (``--dataset``), a key of ``DATASETS``.
        class_name: the class in ``minin.data``, imported when the data is needed.
        mean, std: per channel, of the training images in [0, 1].
        flips: whether a mirrored image shows the same class.

    Example::

        >>> mnist = DATASETS["mnist"]
        >>> mnist.class_name, mnist.mean, mnist.flips
        ('MNIST', (0.1307,), False)
    """

    name: str
    class_name: str            # the class in minin.data, imported when the data is needed
    mean: tuple                # per channel, of the training images in [0, 1]
    std: tuple
    flips: bool                # whether a mirrored image shows the same class

    def load(self, **kwargs):
        """The data set: ``minin.data.<class_name>(**kwargs)``, e.g. ``load(train=False,
        root=None)``; see that class for its arguments."""
        from . import data
        return getattr(data, self.class_name)(**kwargs)


def _nin_builder(variant):
    def build(num_classes=None, in_channels=None, **switches):
        return models.nin(variant, num_classes=num_classes, in_channels=in_channels, **switches)
    build.__name__ = f"nin_{variant}"
    return build


def _alexnet(num_classes=None, in_channels=None, **switches):
    if switches:
        raise TypeError(f"alexnet takes no NiN switches, got {', '.join(sorted(switches))}")
    return models.alexnet(num_classes=1000 if num_classes is None else num_classes,
                          in_channels=3 if in_channels is None else in_channels)


MODELS = {name: Model(name, _nin_builder(name), tuple(models.INPUT_SHAPES[name]),
                      name not in _NOT_TRAINED) for name in models.VARIANTS}
MODELS["alexnet"] = Model("alexnet", _alexnet, (3, 224, 224), False)

DATASETS = {
    "fashion-mnist": Dataset("fashion-mnist", "FashionMNIST", (0.2860,), (0.3530,), flips=True),
    "mnist": Dataset("mnist", "MNIST", (0.1307,), (0.3081,), flips=False),  # a mirrored 2 is no 2
    "cifar10": Dataset("cifar10", "CIFAR10", (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616),
                       flips=True),
}


def trainable_models():
    """The names ``minin train --model`` accepts, in the zoo's order, as a tuple.

    Example::

        >>> trainable_models()
        ('small', 'd2l', 'cifar10')
    """
    return tuple(name for name, model in MODELS.items() if model.trainable)


def described_models():
    """The names ``minin summary --model`` accepts, as a tuple: every model in ``MODELS``.

    Example::

        >>> described_models()
        ('small', 'd2l', 'cifar10', 'imagenet', 'alexnet')
    """
    return tuple(MODELS)


def not_trained_reason(name):
    """Why ``minin train`` does not offer model ``name`` (None if it does), as a string.

    Args:
        name: a model name, a key of ``MODELS``.

    Raises:
        ValueError: ``name`` is not a model of ``MODELS``.

    Example::

        >>> not_trained_reason("alexnet")
        'it is here to compare sizes with, not a NiN'
        >>> not_trained_reason("small") is None
        True
    """
    if not isinstance(name, str) or name not in MODELS:
        raise ValueError(f"unknown model {name!r}; expected one of {described_models()}")
    return _NOT_TRAINED.get(name)
