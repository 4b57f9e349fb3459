"""Define-by-run reverse-mode autograd: ``Function`` and the backward pass.

Every differentiable operation is a small subclass of :class:`Function` with a
``forward`` and a ``backward`` that work on plain backend arrays. ``apply`` runs
``forward`` and, when a gradient will be needed, links the output tensor to the
Function instance, which holds the inputs and whatever it saved. That chain of
links is the graph; ``run_backward`` walks it in reverse topological order.
"""

import contextlib

import numpy as np

from . import backend
from .kernels import parallel
from .tensor import Tensor

_grad_enabled = True


def is_grad_enabled():
    return _grad_enabled


class no_grad(contextlib.ContextDecorator):
    """Within this block (or decorated function) operations build no graph."""

    def __enter__(self):
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = False

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self._previous
        return False


class enable_grad(no_grad):
    """Turn graph building back on inside a ``no_grad`` block."""

    def __enter__(self):
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = True


class Function:
    """One differentiable operation.

    Subclasses implement ``forward(*inputs, **options)``, which receives backend
    arrays (and plain Python values where the caller passed them) and returns
    the output array, and ``backward(grad)``, which receives d(loss)/d(output)
    and returns d(loss)/d(input) for every positional input: one array, or a
    tuple with one entry per input (None where no gradient is needed). Before
    ``forward`` runs, ``self.needs_input_grad`` tells which inputs need one, so
    forward can skip saving what backward will not use.
    """

    parents = None  # the positional inputs; None once the graph is released

    def forward(self, *inputs, **options):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **options):
        """Run the operation on Tensors (or constants) and return a Tensor."""
        # NumPy scalars would upcast float32 arrays under NumPy 2: use Python numbers
        inputs = tuple(x.item() if isinstance(x, np.generic) else x for x in inputs)
        _check_same_backend(cls.__name__, inputs)
        fn = cls()
        fn.needs_input_grad = tuple(_grad_enabled and isinstance(x, Tensor) and x.requires_grad
                                    for x in inputs)
        out = fn.forward(*[x.data if isinstance(x, Tensor) else x for x in inputs], **options)
        result = Tensor(out)
        if any(fn.needs_input_grad) and result.dtype.kind == "f":  # integers carry no gradient
            fn.parents = inputs
            result.requires_grad = True
            result._ctx = fn
        return result

    def release(self):
        """Drop the inputs and saved arrays: after this, backward cannot run again."""
        self.__dict__.clear()


def _check_same_backend(op_name, inputs):
    places = {}
    for position, x in enumerate(inputs):
        array = x.data if isinstance(x, Tensor) else x
        if backend.is_array(array):
            places.setdefault(backend.name_of(array), position)
    if len(places) > 1:
        where = ", ".join(f"input {pos} on '{name}'" for name, pos in places.items())
        raise ValueError(f"{op_name} got arrays on different backends ({where}); "
                         "move them to one backend with .to('numpy') or .to('cupy')")


def _topological_order(root):
    """Tensors that need a gradient, every one after all of its inputs (no recursion)."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        fn = node._ctx
        if fn is not None and fn.parents is not None:
            for parent in fn.parents:
                if isinstance(parent, Tensor) and parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
    return order


def run_backward(root, grad=None, retain_graph=False):
    """Propagate ``grad`` (d loss / d root) to the ``.grad`` of every leaf under ``root``."""
    if not root.requires_grad:
        raise RuntimeError("backward() on a tensor that does not require grad: no input of "
                           "the computation had requires_grad=True (or it ran under no_grad)")
    xp = backend.get_array_module(root.data)
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(f"backward() without a gradient needs a one-element output, "
                               f"this one has shape {root.shape}; pass grad=")
        grad = xp.ones_like(root.data)
    else:
        grad = grad.data if isinstance(grad, Tensor) else grad
        if backend.is_array(grad):  # an array on another backend moves to the output's
            grad = backend.to_backend(grad, backend.name_of(root.data))
        grad = xp.asarray(grad, dtype=root.dtype)
        if grad.shape != root.shape:
            raise ValueError(f"backward() got a gradient of shape {grad.shape} "
                             f"for a tensor of shape {root.shape}")

    grads = {id(root): grad}
    for node in reversed(_topological_order(root)):
        g = grads.pop(id(node), None)
        fn = node._ctx
        if g is None:  # no gradient reached this node
            if fn is not None and not retain_graph:
                fn.release()
            continue
        if fn is None:  # a leaf: accumulate
            xp = backend.get_array_module(g)
            if node.grad is None:
                # Own it (g may be a view, or shared with another input): an array, never a
                # NumPy scalar, even for a 0-d tensor, so later calls can add to it in place.
                node.grad = xp.array(g, dtype=node.dtype, copy=True)
            else:
                parallel.elementwise(lambda out, a, b: xp.add(a, b, out=out),
                                     node.grad, node.grad, xp.asarray(g))
            continue
        if fn.parents is None:
            raise RuntimeError("backward through a graph that was already freed by an earlier "
                               "backward(); pass retain_graph=True to the first call to keep it")
        input_grads = fn.backward(g)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        for parent, pg in zip(fn.parents, input_grads):
            if pg is None or not isinstance(parent, Tensor) or not parent.requires_grad:
                continue
            if pg.shape != parent.shape:
                raise RuntimeError(f"{type(fn).__name__}.backward returned a gradient of shape "
                                   f"{pg.shape} for an input of shape {parent.shape}")
            key = id(parent)
            grads[key] = pg if key not in grads else grads[key] + pg
        if not retain_graph:
            fn.release()
