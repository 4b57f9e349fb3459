"""What the benchmark scripts share: the models, their PyTorch twins, timing and memory."""

import statistics
import time

import minin as mn  # first: it tunes OpenBLAS before NumPy loads it (see minin/_runtime.py)
import numpy as np
from minin import nn
from minin.models import INPUT_SHAPES, nin, nin_block


def reference_nin():
    """The performance issue's reference network: d2l's layout at 64/128/192 channels."""
    return nn.Sequential(
        nin_block(1, 64, 5, 1, 2), nn.MaxPool2d(3, 2),
        nin_block(64, 128, 3, 1, 1), nn.MaxPool2d(3, 2),
        nin_block(128, 192, 3, 1, 1), nn.MaxPool2d(3, 2),
        nn.Dropout(0.5),
        nin_block(192, 10, 3, 1, 1), nn.GlobalAvgPool2d(), nn.Flatten())


MODELS = {"reference": (reference_nin, (1, 28, 28)),
          **{name: ((lambda name=name: nin(name)), INPUT_SHAPES[name]) for name in ("small", "d2l", "cifar10")}}


def build(name):
    """The model ``name`` as training runs it (conv + ReLU pairs fused), and its input shape."""
    factory, input_shape = MODELS[name]
    mn.manual_seed(0)
    return nn.fuse_conv_relu(factory()), input_shape


def to_torch(module):
    """The same network in PyTorch, with the same weights."""
    import torch
    from torch import nn as tnn

    if isinstance(module, nn.Sequential):
        return tnn.Sequential(*[to_torch(m) for m in module])
    if isinstance(module, nn.Conv2d):
        layer = tnn.Conv2d(module.in_channels, module.out_channels, module.kernel_size, module.stride,
                           module.padding, module.dilation, bias=module.bias is not None)
    elif isinstance(module, nn.Linear):
        layer = tnn.Linear(module.in_features, module.out_features, bias=module.bias is not None)
    elif isinstance(module, nn.ReLU):
        return tnn.ReLU()
    elif isinstance(module, nn.MaxPool2d):
        return tnn.MaxPool2d(module.kernel_size, module.stride, module.padding, ceil_mode=module.ceil_mode)
    elif isinstance(module, nn.AvgPool2d):
        return tnn.AvgPool2d(module.kernel_size, module.stride, module.padding, module.ceil_mode,
                             module.count_include_pad)
    elif isinstance(module, nn.GlobalAvgPool2d):
        return tnn.Sequential(tnn.AdaptiveAvgPool2d(1), tnn.Flatten())
    elif isinstance(module, nn.Dropout):
        return tnn.Dropout(module.p)
    elif isinstance(module, nn.Flatten):
        return tnn.Flatten(module.start_dim)
    else:
        raise TypeError(f"no PyTorch twin for {type(module).__name__}")
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(module.weight.numpy()))
        if module.bias is not None:
            layer.bias.copy_(torch.from_numpy(module.bias.numpy()))
    return tnn.Sequential(layer, tnn.ReLU()) if isinstance(module, nn.Conv2dReLU) else layer


def add_step_arguments(parser, steps):
    """The options of the scripts that time a training step (step.py, profile_step.py)."""
    parser.add_argument("--backend", choices=["numpy", "cupy"], default="numpy")
    parser.add_argument("--model", choices=sorted(MODELS), default="reference")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=steps)
    parser.add_argument("--tf32", action="store_true",
                        help="allow TF32 matrix products on the GPU (both frameworks)")
    parser.add_argument("--conv-algorithm", choices=["auto", "im2col", "winograd"], default="auto",
                        help="how minin runs its convolutions (F.set_conv_algorithm; default auto)")


def median_seconds(samples):
    return statistics.median(samples)


def peak_rss_bytes():
    """The high-water mark of this process's resident memory (Linux)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def current_rss_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def threads():
    """The number of CPU threads both frameworks use."""
    from minin.kernels import parallel
    return parallel.get_num_threads()


def timer():
    return time.perf_counter()


def batch(input_shape, batch_size, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.random((batch_size,) + tuple(input_shape)).astype(np.float32),
            rng.integers(0, 10, batch_size))
