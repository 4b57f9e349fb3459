"""AlexNet (Krizhevsky, Sutskever & Hinton, 2012), for comparing its size with NiN's.

The layout is torchvision's single-tower AlexNet for 3×224×224 inputs: five
convolutions, then three fully connected layers that hold almost all of its
61 million parameters; NiN replaces those layers by global average pooling.
"""

from .. import nn


def alexnet(num_classes=1000, in_channels=3):
    """AlexNet as an ``nn.Sequential`` (PyTorch's default initialisation)."""
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
