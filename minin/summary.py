"""``minin.summary``: a model's layers, output shapes, parameters and multiply-accumulates.

MACs here count weight multiplications only, the convention of the NiN
literature's cost arithmetic: a convolution costs O·C·kh·kw·Ho·Wo per image, a
fully connected layer in·out. Pooling, ReLU and additions count as zero. One
MAC is a multiply and an add, so FLOPs are about twice the MACs.
"""

from collections import namedtuple

import numpy as np

from . import backend, nn
from ._checks import is_int
from .function import no_grad
from .tensor import Tensor

Row = namedtuple("Row", "name depth kind output_shape params macs")
Row.__doc__ = """One line of a ``Summary``: a module that ran in the forward pass.

Args:
    name: its dotted name in the model ("" for the model itself); a module used in several
        places is named by its first place.
    depth: the number of dots in the name, plus one (0 for the model itself).
    kind: its class name, e.g. "Conv2d".
    output_shape: the shape of its output, a tuple of ints (a tuple of shapes for a
        layer that returns several tensors).
    params: the number of its parameters, its submodules' included.
    macs: its multiply-accumulates for the batch, its submodules' included.

Example::

    >>> summary(nn.Linear(4, 2), (4,), batch_size=3).rows
    [Row(name='', depth=0, kind='Linear', output_shape=(3, 2), params=10, macs=24)]
"""


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

    Attributes:
        total_params, trainable_params: the model's parameters, all and those with
            ``requires_grad``.
        total_macs: the model's multiply-accumulates, for the batch.
        weight_bytes: the bytes of the parameters' values.

    Example::

        >>> s = summary(nn.Linear(4, 2), (4,), batch_size=3)
        >>> s.total_params, s.trainable_params, s.total_macs, s.weight_bytes
        (10, 10, 24, 40)
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
            lines.append((label, _format_shape(r.output_shape), f"{r.params:,}" if r.params else "--",
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

    The input is random, on the model's backend and of its parameters' floating dtype
    (float32 for a model without parameters); each module's training mode is restored
    afterwards. A module used in several places is named by its first place.

    Args:
        model: an ``nn.Module``.
        input_shape: the shape of one input, without the batch, e.g. (C, H, W): positive ints.
        batch_size: inputs in the pass (default 1); output shapes and MACs are for it.

    Returns:
        a ``Summary``. A layer that returns a tuple or list of tensors has their shapes as
        its output shape.

    Raises:
        TypeError, ValueError: a bad ``input_shape`` or ``batch_size``; or the error of the
            layer the forward pass failed in, of the same type, its message led by that
            layer's name and the shape of its input.
        MemoryError: an input too large to make.

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
    input_shape = _check_input_shape(input_shape)
    if not is_int(batch_size) or batch_size < 1:
        raise ValueError(f"summary: batch_size must be a positive int, got {batch_size!r}")
    batch_size = int(batch_size)
    params = list(model.parameters())
    where = params[0].backend if params else backend.current()
    xp = backend.module(where)
    # The parameters' floating dtype (a float64 model takes float64 inputs), else float32.
    dtype = np.dtype(params[0].dtype) if params else np.dtype(np.float32)
    dtype = dtype if dtype.kind == "f" else np.dtype(np.float32)
    shape = (batch_size,) + input_shape
    try:
        drawn = np.float64 if dtype == np.float64 else np.float32  # the two that standard_normal makes
        values = np.random.default_rng(0).standard_normal(shape, dtype=drawn).astype(dtype, copy=False)
    except MemoryError:
        size = dtype.itemsize * int(np.prod(shape, dtype=object))
        raise MemoryError(f"summary: an input of shape {shape} ({size:,} bytes of {dtype}) does not "
                          "fit in memory; give a smaller input_shape or batch_size") from None
    x = Tensor(xp.asarray(values))
    records, handles = {}, []
    names = {}  # a module used in several places is named by its first place
    for name, module in model.named_modules():
        names.setdefault(id(module), (name, name.count(".") + 1 if name else 0))
    modules = {id(m): m for m in model.modules()}.values()
    for module in modules:
        handles.append(module.register_forward_hook(
            lambda m, inputs, out: records.__setitem__(id(m), (_shape_of(out), _own_macs(m, out)))))
    failures = {}  # id(exception) -> it, the innermost module it came out of, and that one's inputs
    wrapped = [_trace_failures(module, failures) for module in modules]
    modes = [(m, m.training) for m in modules]  # each its own: one may be in eval mode already
    model.eval()
    try:
        with no_grad():
            model(x)
    except Exception as exc:
        if failures.get(id(exc), (None,))[0] is not exc:
            raise
        _, module, inputs = failures[id(exc)]
        located = _located(exc, names[id(module)][0], module, inputs)
        if located is exc:
            raise
        raise located from exc
    finally:
        for module, training in modes:
            module.training = training
        for handle in handles:
            handle.remove()
        for module, own in wrapped:
            if own is None:
                object.__delattr__(module, "forward")
            else:
                object.__setattr__(module, "forward", own)

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



def _check_input_shape(input_shape):
    """``input_shape`` as a tuple of ints, or a clear error: a sequence of positive ints."""
    if isinstance(input_shape, (str, bytes)) or not hasattr(input_shape, "__iter__"):
        raise TypeError(f"summary: input_shape must be a sequence of sizes without the batch, e.g. "
                        f"(1, 28, 28), got {type(input_shape).__name__} {input_shape!r}")
    shape = tuple(input_shape)
    if not all(is_int(d) for d in shape):
        raise TypeError(f"summary: input_shape must hold ints, got {shape!r}")
    if not all(d >= 1 for d in shape):
        raise ValueError(f"summary: every size of input_shape must be at least 1, got {shape!r}")
    return tuple(int(d) for d in shape)


def _shape_of(output):
    """A layer's output shape: a tuple of ints for a Tensor, a tuple of shapes for a tuple
    or list of them (as torchinfo lists them), () for anything else."""
    if isinstance(output, (tuple, list)):
        return tuple(_shape_of(o) for o in output)
    shape = getattr(output, "shape", None)
    return tuple(int(d) for d in shape) if shape is not None else ()


def _format_shape(shape):
    """[2, 3] for (2, 3); [[2, 3], [2, 2]] for ((2, 3), (2, 2))."""
    return "[" + ", ".join(_format_shape(s) if isinstance(s, tuple) else str(s) for s in shape) + "]"


def _trace_failures(module, failures):
    """Route ``module``'s forward through a wrapper that notes the module and its inputs when
    an exception comes out of it (the innermost module notes it first). Returns the module
    and its own instance ``forward`` (None if it had none), to put back."""
    own = vars(module).get("forward")
    forward = module.forward

    def traced(*args, **kwargs):
        try:
            return forward(*args, **kwargs)
        except Exception as exc:
            failures.setdefault(id(exc), (exc, module, args))
            raise

    object.__setattr__(module, "forward", traced)
    return module, own


def _located(exc, name, module, inputs):
    """``exc`` again, of the same type where it can be made from one message, its message led
    by the layer it came out of and the shapes that layer was given."""
    shapes = ", ".join(str(tuple(a.shape)) if hasattr(a, "shape") else type(a).__name__ for a in inputs)
    where = f"layer {name!r} ({type(module).__name__})" if name else f"the model ({type(module).__name__})"
    what = "inputs" if len(inputs) > 1 else "an input"
    message = f"summary: {where} failed on {what} of shape {shapes}: {exc}"
    try:
        located = type(exc)(message)
    except Exception:  # an exception that needs other arguments: keep it, add the layer as a note
        exc.add_note(message)
        return exc
    return located
