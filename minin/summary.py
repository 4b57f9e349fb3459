"""``minin.summary``: a model's layers, output shapes, parameters and multiply-accumulates.

MACs here count weight multiplications only, the convention of the NiN
literature's cost arithmetic: a convolution costs O·C·kh·kw·Ho·Wo per image, a
fully connected layer in·out. Pooling, ReLU and additions count as zero. One
MAC is a multiply and an add, so FLOPs are about twice the MACs.
"""

from collections import namedtuple

import numpy as np

from . import backend, nn
from .function import no_grad
from .tensor import Tensor

Row = namedtuple("Row", "name depth kind output_shape params macs")


def _own_macs(module, output):
    if isinstance(module, nn.Conv2d):
        n, o, ho, wo = output.shape
        kh, kw = module.kernel_size
        return n * o * module.in_channels * kh * kw * ho * wo
    if isinstance(module, nn.Linear):
        return int(np.prod(output.shape[:-1])) * module.in_features * module.out_features
    return 0


class Summary:
    """The result of ``summary``; ``str()`` (and ``repr()``) gives the table.

    Args:
        model: the summarised ``nn.Module``.
        rows: one ``Row`` (name, depth, kind, output_shape, params, macs) per module that
            ran, the model itself first; its MACs are every layer's.
        input_shape: the shape of one input, without the batch.
        batch_size: the batch the forward pass ran on.

    Attributes ``total_params``, ``trainable_params``, ``total_macs`` (for the batch) and
    ``weight_bytes`` hold the totals.
    """

    def __init__(self, model, rows, input_shape, batch_size):
        self.model, self.rows = model, rows
        self.input_shape, self.batch_size = input_shape, batch_size
        params = list(model.parameters())
        self.total_params = sum(p.numel() for p in params)
        self.trainable_params = sum(p.numel() for p in params if p.requires_grad)
        self.total_macs = rows[0].macs  # the model itself: every layer's MACs
        self.weight_bytes = sum(p.numel() * p.dtype.itemsize for p in params)

    def __str__(self):
        header = ("Layer (type)", "Output shape", "Params", "MACs (mult-adds)")
        lines = [header]
        for r in self.rows[1:] if len(self.rows) > 1 else self.rows:
            indent = "  " * (r.depth - 1) + ("└─" if r.depth > 1 else "")
            label = f"{indent}{r.kind}: {r.name}" if r.name else r.kind
            lines.append((label, str(list(r.output_shape)), f"{r.params:,}" if r.params else "--",
                          f"{r.macs:,}" if r.macs else "--"))
        widths = [max(len(line[i]) for line in lines) for i in range(4)]

        def fmt(line):
            return (f"{line[0]:<{widths[0]}}  {line[1]:<{widths[1]}}  "
                    f"{line[2]:>{widths[2]}}  {line[3]:>{widths[3]}}")

        rule = "=" * len(fmt(header))
        table = [rule, fmt(header), rule] + [fmt(line) for line in lines[1:]] + [rule]
        size = self.weight_bytes
        table += [
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Total MACs (multiply-accumulates, weights only; FLOPs ≈ 2 × MACs): {self.total_macs:,}"
            f" for a batch of {self.batch_size}",
            f"Weight size: {size / 1e6:.2f} MB ({size / 2**20:.2f} MiB)",
            rule,
        ]
        return "\n".join(table)

    def __repr__(self):
        return str(self)


def summary(model, input_shape, batch_size=1):
    """Run one forward pass of a (batch_size, *input_shape) input through ``model``
    (in eval mode, without building a graph) and tabulate every layer.

    The input is random, on the model's backend; each module's training mode is restored
    afterwards. A module used in several places is named by its first place.

    Args:
        model: an ``nn.Module``.
        input_shape: the shape of one input, e.g. (C, H, W).
        batch_size: inputs in the pass (default 1); output shapes and MACs are for it.

    Returns:
        a ``Summary``.

    Example::

        >>> net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 10))
        >>> print(summary(net, (1, 4, 4), batch_size=2))
        ====================================================
        Layer (type)  Output shape  Params  MACs (mult-adds)
        ====================================================
        Conv2d: 0     [2, 2, 2, 2]      20               144
        ReLU: 1       [2, 2, 2, 2]      --                --
        Flatten: 2    [2, 8]            --                --
        Linear: 3     [2, 10]           90               160
        ====================================================
        Total params: 110
        Trainable params: 110
        Total MACs (multiply-accumulates, weights only; FLOPs ≈ 2 × MACs): 304 for a batch of 2
        Weight size: 0.00 MB (0.00 MiB)
        ====================================================
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"summary needs an nn.Module, got {type(model).__name__}")
    input_shape = tuple(int(d) for d in input_shape)
    params = list(model.parameters())
    where = params[0].backend if params else backend.current()
    xp = backend.module(where)
    x = Tensor(xp.asarray(np.random.default_rng(0).standard_normal((batch_size,) + input_shape)
                          .astype(np.float32)))
    records, handles = {}, []
    names = {}  # a module used in several places is named by its first place
    for name, module in model.named_modules():
        names.setdefault(id(module), (name, name.count(".") + 1 if name else 0))
    modules = {id(m): m for m in model.modules()}.values()
    for module in modules:
        handles.append(module.register_forward_hook(
            lambda m, inputs, out: records.__setitem__(id(m), (tuple(out.shape), _own_macs(m, out)))))
    modes = [(m, m.training) for m in modules]  # each its own: one may be in eval mode already
    model.eval()
    try:
        with no_grad():
            model(x)
    finally:
        for module, training in modes:
            module.training = training
        for handle in handles:
            handle.remove()

    def total_macs(module):
        own = records.get(id(module), (None, 0))[1]
        return own + sum(total_macs(child) for child in module.children())

    rows = []
    for module in modules:
        if id(module) not in records:
            continue
        label, depth = names[id(module)]
        params = sum(p.numel() for _, p in module.named_parameters())
        rows.append(Row(label, depth, type(module).__name__, records[id(module)][0], params,
                        total_macs(module)))
    return Summary(model, rows, input_shape, batch_size)
