"""Define-by-run reverse-mode autograd: ``Function`` and the backward pass.

Every differentiable operation is a small subclass of :class:`Function` with a
``forward`` and a ``backward`` that work on plain backend arrays. ``apply`` runs
``forward`` and, when a gradient will be needed, links the output tensor to the
Function instance, which holds the inputs and whatever it saved. That chain of
links is the graph; ``run_backward`` walks it in reverse topological order.
"""

import contextlib
import copy
import functools

import numpy as np

from . import backend
from .kernels import parallel
from .tensor import Tensor

_grad_enabled = True


def is_grad_enabled():
    """Whether operations now build a graph, as ``torch.is_grad_enabled``.

    Example::

        >>> mn.is_grad_enabled()
        True
        >>> with mn.no_grad():
        ...     mn.is_grad_enabled()
        False
    """
    return _grad_enabled


class no_grad(contextlib.ContextDecorator):
    """Within this block (or decorated function) operations build no graph, as
    ``torch.no_grad``: evaluation needs no gradient, and keeps no intermediate arrays.

    Example::

        >>> w = mn.ones(2, requires_grad=True)
        >>> with mn.no_grad():
        ...     y = w * 2
        >>> y.requires_grad, mn.is_grad_enabled()
        (False, True)
    """

    def __enter__(self):
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = False

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self._previous
        return False

    def _recreate_cm(self):
        # As a decorator one instance serves every call; a copy per call keeps each call's
        # previous state, so a decorated function may call itself.
        return copy.copy(self)


class enable_grad(no_grad):
    """Turn graph building back on inside a ``no_grad`` block, as ``torch.enable_grad``.

    Example::

        >>> with mn.no_grad(), mn.enable_grad():
        ...     (mn.ones(1, requires_grad=True) * 2).requires_grad
        True
    """

    def __enter__(self):
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = True


class set_grad_enabled(no_grad):
    """Turn graph building on or off, as ``torch.set_grad_enabled``: at once when called, and
    back to what it was at the end of a ``with`` block, as in PyTorch's transfer-learning loop
    ``with torch.set_grad_enabled(phase == "train"):``.

    Args:
        mode: True to build graphs, False not to.

    Example::

        >>> w = mn.ones(2, requires_grad=True)
        >>> with mn.set_grad_enabled(False):
        ...     y = w * 2
        >>> y.requires_grad, mn.is_grad_enabled()
        (False, True)
    """

    def __init__(self, mode):
        global _grad_enabled
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled takes True or False, got {mode!r}")
        self.mode, self._previous, _grad_enabled = mode, _grad_enabled, mode

    def __enter__(self):
        pass

    def __call__(self, function):
        """As a decorator it changes nothing until the function runs, and then only inside it."""
        global _grad_enabled
        _grad_enabled = self._previous

        @functools.wraps(function)
        def with_mode(*args, **kwargs):
            with set_grad_enabled(self.mode):
                return function(*args, **kwargs)
        return with_mode


class inference_mode(no_grad):
    """``no_grad`` under the name of ``torch.inference_mode`` (minin has no further savings to
    make for inference); ``inference_mode(False)`` turns graph building on, as PyTorch's does.

    Args:
        mode: True (default) to build no graph within the block.

    Example::

        >>> with mn.inference_mode():
        ...     (mn.ones(1, requires_grad=True) * 2).requires_grad
        False
    """

    def __new__(cls, mode=True):
        if callable(mode):  # used bare, as @inference_mode
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode=True):
        self.mode = bool(mode)

    def __enter__(self):
        global _grad_enabled
        self._previous, _grad_enabled = _grad_enabled, not self.mode


class Function:
    """One differentiable operation.

    Subclasses implement ``forward(*inputs, **options)``, which receives backend
    arrays (and plain Python values where the caller passed them) and returns
    the output array, and ``backward(grad)``, which receives d(loss)/d(output)
    and returns d(loss)/d(input) for every positional input: one array, or a
    tuple with one entry per input (None where no gradient is needed). Before
    ``forward`` runs, ``self.needs_input_grad`` tells which inputs need one, so
    forward can skip saving what backward will not use. Call ``apply``, never
    ``forward``, as with ``torch.autograd.Function``.

    Example::

        >>> class Square(mn.Function):
        ...     def forward(self, x):
        ...         self.x = x
        ...         return x * x
        ...     def backward(self, grad):
        ...         return 2 * self.x * grad
        >>> x = mn.tensor([3.0], requires_grad=True)
        >>> Square.apply(x).sum().backward()
        >>> x.grad
        array([6.], dtype=float32)
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
        arrays = [x.data if isinstance(x, Tensor) else x for x in inputs]
        _check_same_backend(cls.__name__, arrays)
        fn = cls()
        fn.needs_input_grad = tuple(_grad_enabled and isinstance(x, Tensor) and x.requires_grad
                                    for x in inputs)
        result = Tensor(fn.forward(*arrays, **options))
        if getattr(result.data, "base", None) is not None:  # a view: it shares the input's counter
            _share_version(result, inputs)
        if any(fn.needs_input_grad) and result.dtype.kind == "f":  # integers carry no gradient
            fn.parents, result._ctx, result.requires_grad = inputs, fn, True
            fn.versions = _versions(inputs)
        return result

    def release(self):
        """Drop the inputs and saved arrays: after this, backward cannot run again."""
        self.__dict__.clear()


def _check_same_backend(op_name, arrays):
    places = [(i, backend.name_of(a)) for i, a in enumerate(arrays) if backend.is_array(a)]
    if len({name for _, name in places}) > 1:
        where = ", ".join(f"input {i} on '{name}'" for i, name in places)
        raise ValueError(f"{op_name} got arrays on different backends ({where}); "
                         "move them to one backend with .to('numpy') or .to('cupy')")


def _topological_order(root):
    """Tensors that need a gradient, every one after all of its inputs (a loop, not a
    recursion, so that a deep graph cannot overflow Python's stack)."""
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
        elif id(node) not in visited:
            visited.add(id(node))
            stack.append((node, True))
            fn = node._ctx
            for parent in (fn.parents or ()) if fn is not None else ():
                if isinstance(parent, Tensor) and parent.requires_grad:
                    stack.append((parent, False))
    return order


def run_backward(root, gradient=None, retain_graph=False):
    """``root.backward()``: add d root / d leaf to the ``.grad`` of every leaf under ``root``.

    Args:
        root: a tensor that requires grad.
        gradient: d loss / d root (default None: 1, for a one-element root only).
        retain_graph: keep the graph for another backward (default False: release it).

    Example::

        >>> x = mn.tensor([1.0, 2.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        array([2., 4.], dtype=float32)
    """
    if not root.requires_grad:
        raise RuntimeError("backward() on a tensor that does not require grad: no input of "
                           "the computation had requires_grad=True (or it ran under no_grad)")
    if gradient is None and root.data.size != 1:
        raise RuntimeError(f"backward() without a gradient needs a one-element output, "
                           f"this one has shape {root.shape}; pass grad=")
    grads = {id(root): _ones(root) if gradient is None else _checked_gradient(root, gradient)}
    for node in reversed(_topological_order(root)):
        g, fn = grads.pop(id(node), None), node._ctx
        if g is not None and fn is None:
            _accumulate(node, g)
        elif g is not None:
            for parent, pg in _input_gradients(fn, g):
                grads[id(parent)] = grads[id(parent)] + pg if id(parent) in grads else pg
        if fn is not None and not retain_graph:
            fn.release()


def _ones(root):
    return backend.get_array_module(root.data).ones_like(root.data)


def _checked_gradient(root, gradient):
    """The gradient given to backward(), as an array of the root's backend, dtype and shape."""
    gradient = gradient.data if isinstance(gradient, Tensor) else gradient
    if backend.is_array(gradient):  # an array on another backend moves to the root's
        gradient = backend.to_backend(gradient, backend.name_of(root.data))
    gradient = backend.get_array_module(root.data).asarray(gradient, dtype=root.dtype)
    if gradient.shape != root.shape:
        raise ValueError(f"backward() got a gradient of shape {gradient.shape} "
                         f"for a tensor of shape {root.shape}")
    return gradient


def _accumulate(leaf, g):
    """leaf.grad += g, in place once leaf.grad exists."""
    if leaf.grad is None:  # own it: g may be a view, or shared with another input
        leaf.grad = backend.get_array_module(g).array(g, dtype=leaf.dtype, copy=True)
    else:
        xp = backend.get_array_module(g)
        parallel.elementwise(lambda out, a, b: xp.add(a, b, out=out), leaf.grad, leaf.grad, xp.asarray(g))


def _input_gradients(fn, grad):
    """(input, d loss / d input) for each input of ``fn`` that requires a gradient."""
    if fn.parents is None:
        raise RuntimeError("backward through a graph that was already freed by an earlier "
                           "backward(); pass retain_graph=True to the first call to keep it")
    if fn.versions != _versions(fn.parents):
        _check_unchanged(fn)
    grads = fn.backward(grad)
    for parent, pg in zip(fn.parents, grads if isinstance(grads, tuple) else (grads,)):
        if pg is not None and isinstance(parent, Tensor) and parent.requires_grad:
            if pg.shape != parent.shape:
                raise RuntimeError(f"{type(fn).__name__}.backward returned a gradient of shape "
                                   f"{pg.shape} for an input of shape {parent.shape}")
            yield parent, pg


def _versions(inputs):
    return tuple(x._version[0] if isinstance(x, Tensor) else None for x in inputs)


def _share_version(view, inputs):
    """Let ``view`` count in-place changes with the input whose memory it shows, as PyTorch's
    views do: ``x[0] += 1`` changes ``x`` too."""
    base = view.data.base
    for x in inputs:
        if isinstance(x, Tensor) and (x.data is base or getattr(x.data, "base", None) is base):
            view._version = x._version
            return


def _check_unchanged(fn):
    """A RuntimeError if an input that ``fn`` kept for its backward (not just read) was
    changed in place after the forward pass: its gradient would be silently wrong."""
    kept = {id(v) for v in vars(fn).values()}
    for i, (x, version) in enumerate(zip(fn.parents, fn.versions)):
        if isinstance(x, Tensor) and x._version != version and id(x.data) in kept:
            raise RuntimeError(f"{type(fn).__name__}.backward needs its input {i} as it was, but it "
                               "was changed in place (+=, add_(), an index assignment) after the "
                               "forward pass; change a copy (t.clone()) instead, as PyTorch requires")
