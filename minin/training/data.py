"""The data of a run: the training, validation and test sets, their transforms and loaders."""

import dataclasses

import numpy as np

from .. import registry
from .config import DEFAULT_VAL_IMAGES


def make_transforms(config, image_shape):
    """(train, eval) batch transforms: scale to [0, 1], augment (training only), resize,
    normalise with the data set's mean and std.

    Args:
        config: a ``TrainConfig`` (its ``dataset``, ``augment`` and ``input_size``).
        image_shape: (C, H, W) of the stored images; the random crops pad by max(2, H // 8),
            and flip only where the data set allows.

    Shape:
        Each transform: (N, C, H, W) uint8 → (N, C, S, S) float32, S = ``config.input_size``
        (H, W kept when it is 0).

    Returns:
        a pair of ``minin.data.transforms.Compose``.

    Example::

        >>> from minin.train import TrainConfig
        >>> train, test = make_transforms(TrainConfig(), (1, 28, 28))
        >>> train
        Compose([
            ToFloat(),
            RandomCrop(size=(28, 28), padding=3),
            RandomHorizontalFlip(p=0.5),
            Normalize(mean=[0.286], std=[0.353]),
        ])
        >>> resized = make_transforms(TrainConfig(model="d2l"), (1, 28, 28))[1]
        >>> resized(np.zeros((2, 1, 28, 28), np.uint8)).shape
        (2, 1, 224, 224)
    """
    from ..data import transforms as T

    channels, height, width = image_shape
    data = registry.DATASETS[config.dataset]
    resize = [T.Resize(config.input_size)] if config.input_size else []
    normalize = T.Normalize(data.mean, data.std)
    augment = []
    if config.augment:
        augment.append(T.RandomCrop((height, width), padding=max(2, height // 8)))
        if data.flips:
            augment.append(T.RandomHorizontalFlip())
    return (T.Compose([T.ToFloat(), *augment, *resize, normalize]),
            T.Compose([T.ToFloat(), *resize, normalize]))


def load_datasets(config):
    """The training and test sets of ``config.dataset``, cut to ``config.subset`` images.

    Args:
        config: a ``TrainConfig`` (its ``dataset``, ``data_dir``, ``download``, ``subset``).

    Returns:
        (train set, test set, the number of images in the full training set).

    Raises:
        ValueError: either split has no images.
    """
    from ..data import Subset

    where = dict(root=config.data_dir or None, download=config.download)
    data = registry.DATASETS[config.dataset]
    train_set, test_set = data.load(train=True, **where), data.load(train=False, **where)
    if not len(train_set) or not len(test_set):
        raise ValueError(f"the {config.dataset} files hold {len(train_set)} training and "
                         f"{len(test_set)} test images; a run needs some of each")
    full = len(train_set)
    if config.subset:
        train_set = Subset(train_set, np.arange(min(config.subset, len(train_set))))
        test_set = Subset(test_set, np.arange(min(config.subset, len(test_set))))
    return train_set, test_set, full


def validation_count(config, available, full):
    """How many of the ``available`` training images to hold out for validation.

    ``--val-split N`` holds out exactly N; without it, 10,000 of the full set or, with
    ``--subset``, the same share of the subset, leaving at least one batch to train on.
    A ValueError if less than one batch would be left.

    Args:
        config: a ``TrainConfig`` (its ``val_split`` and ``batch_size``).
        available: the training images at hand (after ``--subset``).
        full: the images of the full training set.

    Returns:
        an int.

    Example::

        >>> from minin.train import TrainConfig
        >>> validation_count(TrainConfig(), 60000, 60000)
        10000
        >>> validation_count(TrainConfig(subset=6000), 6000, 60000)    # the same share
        1000
    """
    batch = config.batch_size
    if available < batch:
        raise ValueError(f"the training set has {available} images, fewer than one batch "
                         f"of {batch}: use a smaller --batch-size or a larger --subset")
    if config.val_split is None:
        return max(0, min(round(DEFAULT_VAL_IMAGES * available / full), available - batch))
    if available - config.val_split < batch:
        raise ValueError(f"--val-split {config.val_split} leaves {max(available - config.val_split, 0)} "
                         f"of the {available} training images, fewer than one batch of {batch}: "
                         f"use a --val-split of at most {available - batch}")
    return config.val_split


@dataclasses.dataclass
class RunData:
    """The loaders of a run and the sizes of the whole sets (what ``make_loaders`` returns).

    Args:
        train: the training ``DataLoader``.
        val: the validation ``DataLoader``, None without a validation set.
        test: the test ``DataLoader``. With several processes ``val`` and ``test`` hold
            this process's share (None for an empty share).
        classes: the class names.
        image_shape: (C, H, W) of the stored images, before any resize.
        val_images, test_images: the sizes of the whole validation and test sets.

    Example::

        >>> from minin.data import ArrayDataset, DataLoader
        >>> images, labels = np.zeros((8, 1, 28, 28), np.uint8), np.arange(8) % 2
        >>> train = DataLoader(ArrayDataset(images, labels), batch_size=4)
        >>> data = RunData(train, None, None, ["even", "odd"], (1, 28, 28), val_images=0, test_images=0)
        >>> len(data.train), data.val is None
        (2, True)
    """

    train: object
    val: object
    test: object
    classes: list
    image_shape: tuple         # (C, H, W) of the stored images, before any resize
    val_images: int
    test_images: int


def make_loaders(config, rank=0, world_size=1):
    """The data sets of ``config`` split, transformed and batched.

    The validation images are drawn at random (``config.seed``) from the training set.
    With ``world_size`` > 1 the validation and test sets are cut into contiguous shares
    and this process gets share ``rank`` (the training batches are shared out by the
    trainer). On CuPy the data sets are kept on the GPU.

    Args:
        config: a ``TrainConfig``.
        rank: this process (default 0).
        world_size: the number of processes (default 1).

    Returns:
        a ``RunData``.
    """
    from ..data import DataLoader, Subset, random_split

    train_set, test_set, full = load_datasets(config)
    classes = list(train_set.classes)
    val_count = validation_count(config, len(train_set), full)
    val_set = None
    if val_count > 0:
        train_set, val_set = random_split(train_set, [len(train_set) - val_count, val_count],
                                          seed=config.seed)
    train_transform, eval_transform = make_transforms(config, train_set.images.shape[1:])
    resident = config.backend == "cupy"

    def evaluation(dataset):
        if dataset is None:
            return None
        share = np.array_split(np.arange(len(dataset)), world_size)[rank]
        part = dataset if world_size == 1 else Subset(dataset, share)
        return DataLoader(part, 256, transform=eval_transform, device_resident=resident) if len(part) else None

    train = DataLoader(train_set, config.batch_size, shuffle=True, drop_last=True,
                       transform=train_transform, device_resident=resident)
    return RunData(train, evaluation(val_set), evaluation(test_set), classes,
                   tuple(train_set.images.shape[1:]), val_count, len(test_set))
