"""The model of a run and what updates it: the network, its optimizer and schedule, and
the checks made before the first step (input size, memory)."""


import numpy as np

from .. import backend, nn, optim, registry
from ..function import no_grad
from ..tensor import Tensor


def build_model(variant, num_classes, in_channels, backend_name, switches=None):
    """``nin(variant)``, built on NumPy from minin's seeded generator and then moved to
    ``backend_name`` (the same initial weights on every backend).

    Each convolution followed by a ReLU is fused into one layer (``nn.fuse_conv_relu``:
    the same parameters and state_dict names, one pass fewer over each output on the GPU).

    Args:
        variant: a name of ``minin.registry.MODELS``.
        num_classes: the number of outputs.
        in_channels: the image channels C.
        backend_name: "numpy" or "cupy".
        switches: a dict of head, mlp_depth, mlp_kernel, init (default None). They go to
            ``nin`` only when given, so a model without them is built exactly as before
            they existed.

    Shape:
        (N, C, H, W) → (N, num_classes).

    Returns:
        the model, an ``nn.Module``.

    Example::

        >>> model = build_model("small", num_classes=10, in_channels=1, backend_name="numpy")
        >>> model(mn.zeros(2, 1, 28, 28)).shape
        (2, 10)
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
    """The optimizer of ``config.optimizer`` over the model's parameters: ``optim.Adam``, or
    ``optim.SGD`` with ``config.momentum``; both with ``config.lr`` and ``config.weight_decay``.

    Args:
        config: a ``TrainConfig``.
        model: the ``nn.Module`` to train.

    Returns:
        an ``optim.Optimizer``.

    Example::

        >>> from minin.train import TrainConfig
        >>> type(make_optimizer(TrainConfig(optimizer="sgd"), nn.Linear(2, 2))).__name__
        'SGD'
    """
    if config.optimizer == "sgd":
        return optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum,
                         weight_decay=config.weight_decay)
    return optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)


def make_scheduler(config, optimizer, steps_per_epoch):
    """The learning-rate schedule of ``config.schedule`` over the whole run, stepped once per
    update: onecycle (peaking at ``config.lr``), cosine, or step (×0.1 every third of the run).

    Args:
        config: a ``TrainConfig`` (its ``schedule``, ``lr`` and ``epochs``).
        optimizer: the optimizer whose learning rate it sets.
        steps_per_epoch: updates per epoch.

    Returns:
        an ``optim.lr_scheduler`` scheduler, or None for ``--schedule none``.

    Example::

        >>> from minin.train import TrainConfig
        >>> optimizer = mn.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
        >>> type(make_scheduler(TrainConfig(), optimizer, 100)).__name__
        'OneCycleLR'
        >>> make_scheduler(TrainConfig(schedule="none"), optimizer, 100) is None
        True
    """
    sched, total = optim.lr_scheduler, config.epochs * steps_per_epoch
    if config.schedule == "onecycle":
        return sched.OneCycleLR(optimizer, max_lr=config.lr, total_steps=total)
    if config.schedule == "cosine":
        return sched.CosineAnnealingLR(optimizer, T_max=total)
    if config.schedule == "step":
        return sched.StepLR(optimizer, step_size=max(1, config.epochs // 3) * steps_per_epoch, gamma=0.1)
    return None


def input_shape(config, image_shape):
    """(C, H, W) of what the model gets: the stored images, resized if asked.

    Args:
        config: a ``TrainConfig`` (its ``input_size``).
        image_shape: (C, H, W) of the stored images.

    Returns:
        a tuple (C, H, W).

    Example::

        >>> from minin.train import TrainConfig
        >>> input_shape(TrainConfig(), (1, 28, 28)), input_shape(TrainConfig(resize=64), (1, 28, 28))
        ((1, 28, 28), (1, 64, 64))
    """
    size = config.input_size
    return (image_shape[0], size or image_shape[1], size or image_shape[2])


def activation_sizes(model, shape):
    """Numbers of values per image that a forward pass keeps: every layer's output, and
    for each convolution the im2col matrix it builds (runs one image, in eval mode).

    Args:
        model: an ``nn.Module``, left in training mode afterwards.
        shape: (C, H, W) of an input image.

    Returns:
        a list of ints, one per leaf module called.

    Example::

        >>> activation_sizes(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU()), (1, 4, 4))
        [44, 8]
    """
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


# Larger inputs are measured at this size and scaled by their area (never allocated).
_PROBE = 256


def probe_shape(shape):
    """The (C, H, W) input that ``step_memory`` runs for ``shape``: sides over 256 cut to 256,
    so that a huge input is measured without being made.

    Args:
        shape: (C, H, W) of an input.

    Example::

        >>> probe_shape((3, 1000, 28))
        (3, 256, 28)
    """
    channels, height, width = shape
    return channels, min(height, _PROBE), min(width, _PROBE)


def step_memory(model, shape, batch_size, training=True):
    """About how many bytes a step of ``model`` on ``batch_size`` inputs of ``shape``
    takes: each kept value (and its gradient when ``training``), and each parameter (with
    its gradient and two optimizer moments), in float32. A ValueError if the model cannot
    take the input.

    Args:
        model: an ``nn.Module``.
        shape: (C, H, W) of an input; sides over 256 are measured at 256 and scaled.
        batch_size: inputs per step.
        training: count gradients and optimizer moments (default True).

    Returns:
        an int.

    Example::

        >>> step_memory(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU()), (1, 4, 4), batch_size=10)
        4480
    """
    channels, height, width = shape
    probe = probe_shape(shape)
    if 4 * channels * probe[1] * probe[2] > 2 ** 31:
        return 4 * channels * height * width * batch_size  # the input alone is too large to try
    scale = (height * width) / (probe[1] * probe[2])
    values = sum(activation_sizes(model, probe)) * scale
    parameters = sum(int(np.prod(p.shape)) for p in model.parameters())
    return int(4 * ((2 if training else 1) * batch_size * values + (4 if training else 1) * parameters))


def check_model_fits(config, model, image_shape):
    """Run one image through ``model`` and estimate a training step's memory
    (``step_memory``); a ValueError for an input the model cannot take or a step that
    cannot fit in ``available_memory``, saying what to change.

    Args:
        config: a ``TrainConfig`` (its ``model``, ``batch_size``, ``backend``, ``input_size``).
        model: the ``nn.Module`` of the run.
        image_shape: (C, H, W) of the stored images.

    Example::

        >>> from minin.train import TrainConfig
        >>> check_model_fits(TrainConfig(), nn.Conv2d(1, 2, 5), (1, 3, 3))
        Traceback (most recent call last):
        ...
        ValueError: model 'small' cannot take 1×3×3 inputs (...); choose another --resize
    """
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
    """Bytes a run can still allocate: the GPU's free memory (with CuPy's pool's free
    bytes) for CuPy, else the operating system's MemAvailable.

    Args:
        backend_name: "numpy" or "cupy".

    Returns:
        an int, or None if unknown.

    Example::

        >>> free = available_memory("numpy")      # from /proc/meminfo: None where there is none
        >>> free is None or free > 0
        True
    """
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
