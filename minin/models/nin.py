"""Network in Network (Lin, Chen & Yan, 2014) and its variants.

An *mlpconv* layer is an ordinary convolution followed by 1×1 convolutions,
each with a ReLU: a small multilayer perceptron slid over the image (the
paper's "cascaded cross channel parametric pooling", cccp). NiN stacks a few
mlpconv layers with pooling in between and ends, instead of fully connected
layers, with one feature map per class averaged over the image.
"""

from .. import backend, nn
from .. import functional as F
from ..nn import init
from .._checks import is_int

VARIANTS = ("small", "d2l", "cifar10", "imagenet")
HEADS = ("gap", "fc", "fc-dropout", "gmp")
INITS = ("nin", "torch", "xavier")


def mlpconv(in_channels, widths, kernel_size, stride=1, padding=0, last_relu=True, mlp_kernel=1):
    """An mlpconv layer: a convolution to ``widths[0]`` channels, then one convolution
    to each further width, each followed by a ReLU (the last one only if ``last_relu``).

    Args:
        in_channels: channels of the input.
        widths: output channels of each layer; ``len(widths) - 1`` layers follow the first
            convolution (the paper's cccp layers).
        kernel_size, stride, padding: of the first convolution, as ``nn.Conv2d`` (stride
            1 and padding 0 by default).
        last_relu: whether a ReLU follows the last layer (default True).
        mlp_kernel: kernel of the layers after the first: 1 (NiN's 1×1, the default) or 3
            (a 3×3 convolution with padding 1, which also keeps the map size).

    Shape:
        (N, in_channels, H, W) → (N, widths[-1], Ho, Wo), with
        Ho = floor((H + 2·padding − kernel_size) / stride) + 1, and Wo likewise (the first
        convolution's formula; the later layers keep the size).

    Returns:
        an ``nn.Sequential`` of ``nn.Conv2d`` and ``nn.ReLU`` layers.

    Example::

        >>> [type(m).__name__ for m in mlpconv(3, (8, 8, 4), kernel_size=3, padding=1)]
        ['Conv2d', 'ReLU', 'Conv2d', 'ReLU', 'Conv2d', 'ReLU']
    """
    if not is_int(mlp_kernel) or mlp_kernel not in (1, 3):
        raise ValueError(f"mlpconv: mlp_kernel must be 1 or 3, got {mlp_kernel!r}")
    if isinstance(widths, (str, bytes)) or not hasattr(widths, "__iter__"):
        raise TypeError(f"mlpconv: widths must be a sequence of channel counts, e.g. (96, 96, 96), "
                        f"got {type(widths).__name__} {widths!r}")
    widths = tuple(widths)
    if not widths:
        raise ValueError("mlpconv: widths must hold at least one channel count (the first convolution's), "
                         "got none")
    layers, channels = [], in_channels
    for k, width in enumerate(widths):
        if k == 0:
            layers.append(nn.Conv2d(channels, width, kernel_size, stride, padding))
        else:
            layers.append(nn.Conv2d(channels, width, kernel_size=mlp_kernel, padding=mlp_kernel // 2))
        if last_relu or k < len(widths) - 1:
            layers.append(nn.ReLU())
        channels = width
    return nn.Sequential(*layers)


def nin_block(in_channels, out_channels, kernel_size, stride, padding):
    """d2l's NiN block: conv → ReLU → 1×1 conv → ReLU → 1×1 conv → ReLU, all out_channels wide.

    The same as ``mlpconv(in_channels, (out_channels,) * 3, kernel_size, stride, padding)``.

    Args:
        in_channels, out_channels: C and O.
        kernel_size, stride, padding: of the first convolution, as ``nn.Conv2d`` (no defaults).

    Shape:
        (N, C, H, W) → (N, O, Ho, Wo), with
        Ho = floor((H + 2·padding − kernel_size) / stride) + 1, and Wo likewise.

    Returns:
        an ``nn.Sequential`` of three ``nn.Conv2d``, each followed by an ``nn.ReLU``.

    Example::

        >>> nin_block(1, 96, kernel_size=11, stride=4, padding=0)(mn.zeros(1, 1, 224, 224)).shape
        (1, 96, 54, 54)
    """
    return mlpconv(in_channels, (out_channels,) * 3, kernel_size, stride, padding)


def _depth_widths(widths, mlp_depth):
    """The widths of an mlpconv layer with ``mlp_depth`` layers after its first convolution.

    The block's output width (the last one) never changes, so the next block and the class
    maps see the same number of channels; the hidden widths are the original ones in order,
    the last hidden width repeated when more layers are asked for than the paper has.
    """
    hidden = widths[:-1]
    return tuple(hidden[min(k, len(hidden) - 1)] for k in range(mlp_depth)) + (widths[-1],)


class GlobalMaxPool2d(nn.Module):
    """(N, C, H, W) → (N, C): the largest value of each map (global max pooling).

    Built from ``F.max_pool2d`` with one window as large as the map, so its gradient goes to
    the position of each map's maximum, as ``torch.nn.AdaptiveMaxPool2d(1)`` followed by
    ``flatten`` does.

    Example::

        >>> GlobalMaxPool2d()(mn.tensor(np.arange(8.0).reshape(1, 2, 2, 2))).numpy()
        array([[3., 7.]])
    """

    def forward(self, x):
        if x.ndim != 4:
            raise ValueError(f"GlobalMaxPool2d expects a 4-d (N, C, H, W) input, got shape {tuple(x.shape)}")
        return F.flatten(F.max_pool2d(x, tuple(x.shape[2:])), 1)


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

    Args:
        model: a NiN (any ``nn.Module``): every ``nn.Conv2d`` in it, in ``modules()`` order,
            is initialised in place; the last one is taken as the class-map layer.

    Returns:
        ``model``.

    Example::

        >>> model = init_nin(nin("small", init="torch"))
        >>> np.unique(model(mn.rand(2, 1, 28, 28)).numpy())   # every class starts equal
        array([0.1], dtype=float32)
        >>> model[0][2].weight.numpy()[:2, :2, 0, 0]           # a 64 → 64 1×1 convolution
        array([[1., 0.],
               [0., 1.]], dtype=float32)
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"init_nin needs an nn.Module, got {type(model).__name__}")
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


# Each builder returns the body of a variant: every layer up to and including the last
# mlpconv layer, whose maps (one per class) the head turns into logits.
# ``block(in_channels, widths, kernel_size, stride, padding, last_relu=True)`` builds one
# mlpconv layer with the depth and 1×1 kernel that nin() was asked for.

def _d2l(num_classes, in_channels, block):
    return [
        block(in_channels, (96,) * 3, 11, 4, 0),
        nn.MaxPool2d(3, stride=2),
        block(96, (256,) * 3, 5, 1, 2),
        nn.MaxPool2d(3, stride=2),
        block(256, (384,) * 3, 3, 1, 1),
        nn.MaxPool2d(3, stride=2),
        nn.Dropout(0.5),
        block(384, (num_classes,) * 3, 3, 1, 1),
    ]


def _small(num_classes, in_channels, block):
    # The first three blocks follow the reference small NiN (64/128/192 wide); the
    # last block stays 192 wide until its final 1×1 layer, which produces the class
    # maps without a ReLU: a class map may then be negative, so no class can die.
    return [
        block(in_channels, (64,) * 3, 5, 1, 2),
        nn.MaxPool2d(3, stride=2),
        block(64, (128,) * 3, 3, 1, 1),
        nn.MaxPool2d(3, stride=2),
        block(128, (192,) * 3, 3, 1, 1),
        nn.MaxPool2d(3, stride=2),
        nn.Dropout(0.5),
        block(192, (192, 192, num_classes), 3, 1, 1, last_relu=False),
    ]


def _cifar10(num_classes, in_channels, block):
    # The paper's CIFAR-10 network. Its Caffe pooling rounds output sizes up, so
    # ceil_mode=True keeps the maps at 32 → 16 → 8 as in the original.
    return [
        block(in_channels, (192, 160, 96), 5, 1, 2),
        nn.MaxPool2d(3, stride=2, ceil_mode=True),
        nn.Dropout(0.5),
        block(96, (192, 192, 192), 5, 1, 2),
        nn.AvgPool2d(3, stride=2, ceil_mode=True),
        nn.Dropout(0.5),
        block(192, (192, 192, num_classes), 3, 1, 1),
    ]


def _imagenet(num_classes, in_channels, block):
    # The authors' ImageNet network as released in the Caffe model zoo ("NIN-Imagenet",
    # 59.36 % top-1, a 29 MB caffemodel): conv1 96 11×11/4, cccp1-2 96; conv2 256 5×5;
    # cccp3-4 256; conv3 384 3×3; cccp5-6 384; dropout; conv4 1024 3×3; cccp7 1024;
    # cccp8 1000; a 6×6 average pool. Caffe's pooling rounds its output size up, so
    # ceil_mode=True gives its maps: 224 → 54 → 27 → 13 → 6 (flooring would give 26, 12, 5).
    return [
        block(in_channels, (96, 96, 96), 11, 4, 0),
        nn.MaxPool2d(3, stride=2, ceil_mode=True),
        block(96, (256, 256, 256), 5, 1, 2),
        nn.MaxPool2d(3, stride=2, ceil_mode=True),
        block(256, (384, 384, 384), 3, 1, 1),
        nn.MaxPool2d(3, stride=2, ceil_mode=True),
        nn.Dropout(0.5),
        block(384, (1024, 1024, num_classes), 3, 1, 1),
    ]


_BUILDERS = {"small": _small, "d2l": _d2l, "cifar10": _cifar10, "imagenet": _imagenet}

# What each variant expects as input: (channels, height, width).
INPUT_SHAPES = {"small": (1, 28, 28), "d2l": (1, 224, 224), "cifar10": (3, 32, 32),
                "imagenet": (3, 224, 224)}


def _map_size(layers, size):
    """The (height, width) after ``layers`` for a (height, width) input, by each layer's
    output-size formula (no forward pass)."""
    h, w = size
    for layer in layers:
        if isinstance(layer, nn.Sequential):
            h, w = _map_size(layer, (h, w))
        elif isinstance(layer, nn.Conv2d):
            (kh, kw), (sh, sw), (ph, pw) = layer.kernel_size, layer.stride, layer.padding
            h, w = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
        elif isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
            # the builders' pools have int kernel, stride and padding
            h, w = (_pooled(n, layer.kernel_size, layer.stride or layer.kernel_size, layer.padding,
                            layer.ceil_mode) for n in (h, w))
    return h, w


def _pooled(size, kernel, stride, padding, ceil_mode):
    """PyTorch's pooling output size: floor (or ceil) of (size + 2·padding − kernel) / stride,
    plus 1; in ceil mode a last window that would start in the right padding is dropped."""
    span = size + 2 * padding - kernel
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _head(head, channels, size):
    if head == "gap":
        return [nn.GlobalAvgPool2d(), nn.Flatten()]
    if head == "gmp":
        return [GlobalMaxPool2d(), nn.Flatten()]
    features = channels * size[0] * size[1]
    if head == "fc":
        return [nn.Flatten(), nn.Linear(features, channels)]
    return [nn.Flatten(), nn.Dropout(0.5), nn.Linear(features, channels)]  # "fc-dropout"


def _check_choice(name, value, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"unknown NiN {name} {value!r}; expected one of {choices}")



def _check_count(function, name, value):
    """``value`` as a Python int, or a ValueError naming ``function`` and its argument ``name``
    unless it is an integer >= 1."""
    if not is_int(value) or value < 1:
        raise ValueError(f"{function}: {name} must be a positive int, got {value!r}")
    return int(value)


def nin(variant="small", num_classes=None, in_channels=None, head="gap", mlp_depth=2, mlp_kernel=1,
        init="nin"):
    """A Network in Network as an ``nn.Sequential`` of ``nn.Conv2d``/``nn.ReLU`` blocks.

    Args:
        variant: "small" (the default: 1×28×28, trains on a CPU), "d2l" (the d2l / article
            network, 1×224×224), "cifar10" (the paper's CIFAR-10 model, 3×32×32) or
            "imagenet" (the authors' 1000-class Caffe model-zoo network, 3×224×224).
        num_classes: default None: 10 (1000 for "imagenet").
        in_channels: default None: the variant's input channels.
        head: what turns the last mlpconv layer's maps (one per class) into logits:
            "gap" global average pooling (NiN's, the default), "gmp" global max pooling,
            "fc" flatten + one fully connected layer, "fc-dropout" flatten + dropout 0.5 +
            that layer (the paper's CIFAR-10 comparison, section 4.6: the rest of the
            network unchanged). The fully connected heads fix the input size to the
            variant's ``INPUT_SHAPES``.
        mlp_depth: layers after the first convolution of every mlpconv block, 0 to 3
            (default 2, NiN's). Each block's output width stays the same (see
            ``_depth_widths``).
        mlp_kernel: kernel of those layers: 1 (NiN's 1×1, the default) or 3 (3×3, padding 1).
        init: "nin" (the default, ``init_nin``: He, identity 1×1 layers, zero class-map
            layer), "torch" (PyTorch's default, as every layer is built: U(±1/√fan_in)) or
            "xavier" (d2l's: ``xavier_uniform_`` on every weight, biases as built).

    Shape:
        (N, *INPUT_SHAPES[variant]) → (N, num_classes). With the "gap" and "gmp" heads
        other input sizes work too, as long as every map stays at least one pixel.

    Returns:
        the model in training mode. The defaults give the same layers and, for the
        same seed, the same weights as before these options existed.

    Example::

        >>> model = nin("small", head="fc", mlp_depth=1)
        >>> model(mn.tensor(np.zeros((2, 1, 28, 28), dtype=np.float32))).shape
        (2, 10)
        >>> [type(m).__name__ for m in model[-2:]]
        ['Flatten', 'Linear']
    """
    _check_choice("variant", variant, VARIANTS)
    _check_choice("head", head, HEADS)
    _check_choice("init", init, INITS)
    if not is_int(mlp_depth) or mlp_depth not in (0, 1, 2, 3):
        raise ValueError(f"nin: mlp_depth must be 0, 1, 2 or 3, got {mlp_depth!r}")
    if not is_int(mlp_kernel) or mlp_kernel not in (1, 3):
        raise ValueError(f"nin: mlp_kernel must be 1 or 3, got {mlp_kernel!r}")
    mlp_depth, mlp_kernel = int(mlp_depth), int(mlp_kernel)
    num_classes = 1000 if num_classes is None and variant == "imagenet" else num_classes
    num_classes = _check_count("nin", "num_classes", 10 if num_classes is None else num_classes)
    in_channels = INPUT_SHAPES[variant][0] if in_channels is None else in_channels
    in_channels = _check_count("nin", "in_channels", in_channels)

    def block(channels, widths, kernel_size, stride, padding, last_relu=True):
        return mlpconv(channels, _depth_widths(widths, mlp_depth), kernel_size, stride, padding,
                       last_relu=last_relu, mlp_kernel=mlp_kernel)

    body = _BUILDERS[variant](num_classes, in_channels, block)
    size = _map_size(body, INPUT_SHAPES[variant][1:]) if head.startswith("fc") else None
    model = nn.Sequential(*body, *_head(head, num_classes, size))
    if init == "nin":
        return init_nin(model)
    if init == "xavier":
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
    return model  # "torch": as the layers were built


def class_maps(model, x):
    """What a NiN's last mlpconv layer produces: one feature map per class, before
    global (average or max) pooling turns each map into that class's score.

    Args:
        model: an ``nn.Sequential`` NiN with a "gap" or "gmp" head; the layers before its
            ``nn.GlobalAvgPool2d`` or ``GlobalMaxPool2d`` run (so put it in eval mode to
            skip dropout). Another model raises TypeError or ValueError.
        x: a batch of images, (N, C, H, W).

    Shape:
        (N, C, H, W) → (N, num_classes, Ho, Wo): the last mlpconv layer's map size, 2×2 for
        "small", 5×5 for "d2l", 8×8 for "cifar10" and 6×6 for "imagenet" at their
        ``INPUT_SHAPES``.

    Returns:
        the maps, a Tensor; their means over (Ho, Wo) are the "gap" model's logits.

    Example::

        >>> model, x = nin("small", init="torch").eval(), mn.rand(2, 1, 28, 28)
        >>> maps = class_maps(model, x)
        >>> maps.shape, np.allclose(maps.numpy().mean(axis=(2, 3)), model(x).numpy())
        ((2, 10, 2, 2), True)
    """
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"class_maps needs an nn.Sequential NiN, got {type(model).__name__}")
    for index, layer in enumerate(model):
        if isinstance(layer, (nn.GlobalAvgPool2d, GlobalMaxPool2d)):
            return model[:index](x)
    raise ValueError("class_maps needs a model with a GlobalAvgPool2d or GlobalMaxPool2d layer "
                     "(a NiN with head 'gap' or 'gmp')")
