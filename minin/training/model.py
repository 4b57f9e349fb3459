"""The model of a run and what updates it: the network, its optimizer and schedule, and
the checks made before the first step (input size, memory)."""


import numpy as np

from .. import backend, nn, optim, registry
from ..function import no_grad
from ..tensor import Tensor


def build_model(variant, num_classes, in_channels, backend_name, switches=None):
    """``nin(variant)``, built on NumPy from minin's seeded generator and then moved to
    ``backend_name`` (the same initial weights on every backend), with each convolution
    followed by a ReLU fused into one layer (``nn.fuse_conv_relu``: the same parameters and
    state_dict names, one pass fewer over each output on the GPU).

    ``switches`` (head, mlp_depth, mlp_kernel, init) go to ``nin`` only when given, so a
    model without them is built exactly as before they existed.
    """
    previous = backend.current()
    backend.use("numpy")
    try:
        model = registry.MODELS[variant].build(num_classes=num_classes, in_channels=in_channels,
                                               **(switches or {}))
    finally:
        backend.use(previous)
    return nn.fuse_conv_relu(model).to(backend_name)


def make_optimizer(config, model):
    if config.optimizer == "sgd":
        return optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum,
                         weight_decay=config.weight_decay)
    return optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)


def make_scheduler(config, optimizer, steps_per_epoch):
    """The learning-rate schedule over the whole run (None for --schedule none)."""
    sched, total = optim.lr_scheduler, config.epochs * steps_per_epoch
    if config.schedule == "onecycle":
        return sched.OneCycleLR(optimizer, max_lr=config.lr, total_steps=total)
    if config.schedule == "cosine":
        return sched.CosineAnnealingLR(optimizer, T_max=total)
    if config.schedule == "step":
        return sched.StepLR(optimizer, step_size=max(1, config.epochs // 3) * steps_per_epoch, gamma=0.1)
    return None


def input_shape(config, image_shape):
    """(C, H, W) of what the model gets: the stored images, resized if asked."""
    size = config.input_size
    return (image_shape[0], size or image_shape[1], size or image_shape[2])


def activation_sizes(model, shape):
    """Numbers of values per image that a forward pass keeps: every layer's output, and
    for each convolution the im2col matrix it builds (runs one image, in eval mode)."""
    sizes, handles = [], []

    def record(module, inputs, output):
        values = int(np.prod(output.shape[1:]))
        if isinstance(module, nn.Conv2d):  # im2col: C·kh·kw values per output position
            kh, kw = module.kernel_size
            values += module.in_channels * kh * kw * int(np.prod(output.shape[2:]))
        sizes.append(values)

    for module in model.modules():
        if not list(module.children()):
            handles.append(module.register_forward_hook(record))
    try:
        with no_grad():
            model.eval()(Tensor(backend.xp().zeros((1, *shape), dtype=np.float32)))
    finally:
        model.train()
        for handle in handles:
            handle.remove()
    return sizes


# Inputs larger than this are measured at this size and scaled by their area, so that
# estimating a huge input's memory never allocates it.
_PROBE = 256


def step_memory(model, shape, batch_size, training=True):
    """About how many bytes a step of ``model`` on ``batch_size`` inputs of ``shape``
    (C, H, W) takes: each kept value (and its gradient when ``training``), and each
    parameter (with its gradient and two optimizer moments). A ValueError if the model
    cannot take the input."""
    channels, height, width = shape
    probe = (channels, min(height, _PROBE), min(width, _PROBE))
    if 4 * channels * probe[1] * probe[2] > 2 ** 31:
        return 4 * channels * height * width * batch_size  # the input alone is too large to try
    scale = (height * width) / (probe[1] * probe[2])
    values = sum(activation_sizes(model, probe)) * scale
    parameters = sum(int(np.prod(p.shape)) for p in model.parameters())
    return int(4 * ((2 if training else 1) * batch_size * values + (4 if training else 1) * parameters))


def check_model_fits(config, model, image_shape):
    """Run one image through ``model`` and estimate a training step's memory; a ValueError
    for an input the model cannot take or a step that cannot fit."""
    shape = input_shape(config, image_shape)
    where = f"{shape[0]}×{shape[1]}×{shape[2]}"
    try:
        need = step_memory(model, shape, config.batch_size)
    except ValueError as exc:
        raise ValueError(f"model {config.model!r} cannot take {where} inputs ({exc}); "
                         "choose another --resize") from None
    except MemoryError:
        need = float("inf")
    free = available_memory(config.backend)
    if free is not None and need > free:
        fits = max(0, int(config.batch_size * free / need))
        advice = (f"use a smaller --batch-size (at most about {fits})" if fits
                  else "use a smaller --resize")
        raise ValueError(f"a training step of model {config.model!r} on batches of {config.batch_size} "
                         f"{where} images needs about {need / 2**30:.1f} GiB, but {free / 2**30:.1f} GiB "
                         f"are available: {advice}")


def available_memory(backend_name):
    """Bytes a run can still allocate (None if unknown): the GPU's free memory for CuPy,
    else the operating system's MemAvailable."""
    if backend_name != "numpy":
        cupy = backend.module(backend_name)
        pool = cupy.get_default_memory_pool()
        return cupy.cuda.Device().mem_info[0] + pool.free_bytes()
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None
