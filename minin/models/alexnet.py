"""AlexNet (Krizhevsky, Sutskever & Hinton, 2012), for comparing its size with NiN's.

The layout is torchvision's single-tower AlexNet for 3×224×224 inputs: five
convolutions, then three fully connected layers that hold almost all of its
61 million parameters; NiN replaces those layers by global average pooling.
"""

from .. import nn
from .nin import _check_count


def alexnet(num_classes=1000, in_channels=3):
    """AlexNet as an ``nn.Sequential`` (PyTorch's default initialisation), as
    ``torchvision.models.alexnet``.

    Args:
        num_classes: outputs of the last layer (default 1000).
        in_channels: channels of the input (default 3).

    Shape:
        (N, in_channels, 224, 224) → (N, num_classes). Unlike torchvision's there is no
        adaptive pooling: the first ``nn.Linear`` takes 256×6×6 features, which the
        convolutions and pools make from 224×224 images (55 → 27 → 13 → 6).

    Returns:
        the model in training mode: 21 layers, 61,100,840 parameters for 1000 classes.

    Example::

        >>> model = alexnet()
        >>> sum(p.numel() for p in model.parameters()), model[-1]
        (61100840, Linear(in_features=4096, out_features=1000, bias=True))
    """
    num_classes = _check_count("alexnet", "num_classes", num_classes)
    in_channels = _check_count("alexnet", "in_channels", in_channels)
    return nn.Sequential(
        nn.Conv2d(in_channels, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(),
        nn.MaxPool2d(3, stride=2),
        nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(),
        nn.MaxPool2d(3, stride=2),
        nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(),
        nn.MaxPool2d(3, stride=2),
        nn.Flatten(),
        nn.Dropout(0.5),
        nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(4096, 4096), nn.ReLU(),
        nn.Linear(4096, num_classes),
    )
