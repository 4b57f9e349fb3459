"""Network in Network (Lin, Chen & Yan, 2014) and its variants.

An *mlpconv* layer is an ordinary convolution followed by 1×1 convolutions,
each with a ReLU: a small multilayer perceptron slid over the image (the
paper's "cascaded cross channel parametric pooling", cccp). NiN stacks a few
mlpconv layers with pooling in between and ends, instead of fully connected
layers, with one feature map per class averaged over the image.
"""

from .. import backend, nn
from ..nn import init

VARIANTS = ("small", "d2l", "cifar10", "imagenet")


def mlpconv(in_channels, widths, kernel_size, stride=1, padding=0, last_relu=True):
    """A convolution to widths[0] channels, then a 1×1 convolution to each further width,
    each followed by a ReLU (the last one only if ``last_relu``)."""
    layers, channels = [], in_channels
    for k, width in enumerate(widths):
        if k == 0:
            layers.append(nn.Conv2d(channels, width, kernel_size, stride, padding))
        else:
            layers.append(nn.Conv2d(channels, width, kernel_size=1))
        if last_relu or k < len(widths) - 1:
            layers.append(nn.ReLU())
        channels = width
    return nn.Sequential(*layers)


def nin_block(in_channels, out_channels, kernel_size, stride, padding):
    """d2l's NiN block: conv → ReLU → 1×1 conv → ReLU → 1×1 conv → ReLU, all out_channels wide."""
    return mlpconv(in_channels, (out_channels,) * 3, kernel_size, stride, padding)


def init_nin(model):
    """Initialise a NiN so that it leaves the ln(10) = 2.303 plateau from any seed.

    PyTorch's default draws each weight with variance 1/(3·fan_in), a sixth of
    what keeps a ReLU network's activations at a steady size: through NiN's
    twelve convolutions the part of the signal that depends on the input shrinks
    about threefold per layer, so the logits are little more than the biases, the
    same for every image; the loss sits near ln(10) = 2.303 and the gradients
    that could tell the classes apart are tiny, so training may never leave it
    (with SGD) or take a long while (with Adam). Three choices fix it:

    * convolutions with a spatial kernel (and 1×1 ones that change the width)
      get He initialisation, variance 2/fan_in, which keeps the scale;
    * 1×1 convolutions from C to C channels start as the identity, so a new
      mlpconv block behaves like a plain convolution + ReLU and its narrow
      layers (d2l's last block is 10 channels wide) lose nothing at the start;
    * the last convolution, whose maps become the class scores, starts at zero
      weights and bias 0.1: every class map is equal and, where a ReLU follows
      (the d2l network), inside the ReLU's active region, so no class is dead.
      (So the first step changes only that layer; every layer learns from the second.)
    """
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    for conv in convs:
        if conv.kernel_size == (1, 1) and conv.in_channels == conv.out_channels:
            xp = backend.get_array_module(conv.weight.data)
            conv.weight.data[...] = xp.eye(conv.out_channels, dtype=conv.weight.dtype)[:, :, None, None]
        else:
            init.kaiming_normal_(conv.weight, mode="fan_in", nonlinearity="relu")
        init.zeros_(conv.bias)
    if convs:
        init.zeros_(convs[-1].weight)
        init.constant_(convs[-1].bias, 0.1)
    return model


def _d2l(num_classes, in_channels):
    return nn.Sequential(
        nin_block(in_channels, 96, kernel_size=11, stride=4, padding=0),
        nn.MaxPool2d(3, stride=2),
        nin_block(96, 256, kernel_size=5, stride=1, padding=2),
        nn.MaxPool2d(3, stride=2),
        nin_block(256, 384, kernel_size=3, stride=1, padding=1),
        nn.MaxPool2d(3, stride=2),
        nn.Dropout(0.5),
        nin_block(384, num_classes, kernel_size=3, stride=1, padding=1),
        nn.GlobalAvgPool2d(),
        nn.Flatten(),
    )


def _small(num_classes, in_channels):
    # The first three blocks follow the reference small NiN (64/128/192 wide); the
    # last block stays 192 wide until its final 1×1 layer, which produces the class
    # maps without a ReLU: a class map may then be negative, so no class can die.
    return nn.Sequential(
        nin_block(in_channels, 64, kernel_size=5, stride=1, padding=2),
        nn.MaxPool2d(3, stride=2),
        nin_block(64, 128, kernel_size=3, stride=1, padding=1),
        nn.MaxPool2d(3, stride=2),
        nin_block(128, 192, kernel_size=3, stride=1, padding=1),
        nn.MaxPool2d(3, stride=2),
        nn.Dropout(0.5),
        mlpconv(192, (192, 192, num_classes), kernel_size=3, padding=1, last_relu=False),
        nn.GlobalAvgPool2d(),
        nn.Flatten(),
    )


def _cifar10(num_classes, in_channels):
    # The paper's CIFAR-10 network. Its Caffe pooling rounds output sizes up, so
    # ceil_mode=True keeps the maps at 32 → 16 → 8 as in the original.
    return nn.Sequential(
        mlpconv(in_channels, (192, 160, 96), kernel_size=5, padding=2),
        nn.MaxPool2d(3, stride=2, ceil_mode=True),
        nn.Dropout(0.5),
        mlpconv(96, (192, 192, 192), kernel_size=5, padding=2),
        nn.AvgPool2d(3, stride=2, ceil_mode=True),
        nn.Dropout(0.5),
        mlpconv(192, (192, 192, num_classes), kernel_size=3, padding=1),
        nn.GlobalAvgPool2d(),
        nn.Flatten(),
    )


def _imagenet(num_classes, in_channels):
    # The paper's ImageNet network (four mlpconv layers) for 224×224 inputs.
    return nn.Sequential(
        mlpconv(in_channels, (96, 96, 96), kernel_size=11, stride=4),
        nn.MaxPool2d(3, stride=2),
        mlpconv(96, (256, 256, 256), kernel_size=5, padding=2),
        nn.MaxPool2d(3, stride=2),
        mlpconv(256, (384, 384, 384), kernel_size=3, padding=1),
        nn.MaxPool2d(3, stride=2),
        nn.Dropout(0.5),
        mlpconv(384, (1024, 1024, num_classes), kernel_size=3, padding=1),
        nn.GlobalAvgPool2d(),
        nn.Flatten(),
    )


_BUILDERS = {"small": _small, "d2l": _d2l, "cifar10": _cifar10, "imagenet": _imagenet}

# What each variant expects as input: (channels, height, width).
INPUT_SHAPES = {"small": (1, 28, 28), "d2l": (1, 224, 224), "cifar10": (3, 32, 32),
                "imagenet": (3, 224, 224)}


def nin(variant="small", num_classes=None, in_channels=None):
    """A NiN as an ``nn.Sequential``, He-initialised (see ``init_nin``).

    variant: "small" (1×28×28, trains on a CPU), "d2l" (the d2l / seed network,
    1×224×224), "cifar10" (the paper's CIFAR-10 model, 3×32×32) or "imagenet"
    (the paper's 1000-class model, 3×224×224). ``num_classes`` defaults to 10
    (1000 for "imagenet") and ``in_channels`` to the variant's input channels.
    """
    if variant not in _BUILDERS:
        raise ValueError(f"unknown NiN variant {variant!r}; expected one of {VARIANTS}")
    if num_classes is None:
        num_classes = 1000 if variant == "imagenet" else 10
    if in_channels is None:
        in_channels = INPUT_SHAPES[variant][0]
    return init_nin(_BUILDERS[variant](num_classes, in_channels))


def class_maps(model, x):
    """What a NiN's last mlpconv layer produces: one feature map per class, before
    global average pooling turns each map into that class's score."""
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"class_maps needs an nn.Sequential NiN, got {type(model).__name__}")
    for index, layer in enumerate(model):
        if isinstance(layer, nn.GlobalAvgPool2d):
            return model[:index](x)
    raise ValueError("class_maps needs a model with a GlobalAvgPool2d layer")
