"""Module and Parameter: the containers that hold a network's weights, as in PyTorch."""

from collections import OrderedDict

import numpy as np

from .. import backend
from ..device import backend_of, device
from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that is a learnable weight of a Module (it always requires grad)."""

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        if isinstance(data, Tensor):
            data = data.data
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of every layer and network.

    Assigning a Parameter or a Module to an attribute registers it, in order, so
    that ``parameters()`` and ``state_dict()`` find it under a PyTorch-style name
    such as ``"0.2.weight"``. Subclasses define ``forward``; call the module itself.
    """

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_forward_hooks", OrderedDict())

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}.__init__ must call super().__init__() "
                                 "before assigning attributes")
        params, modules = self._parameters, self._modules
        if isinstance(value, Parameter):
            modules.pop(name, None)
            params[name] = value
        elif name in params:  # as in PyTorch: a parameter stays one, or becomes None
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} to parameter '{name}' of "
                                f"{type(self).__name__}: expected an nn.Parameter or None "
                                "(wrap a tensor as nn.Parameter(tensor))")
            params[name] = None
        elif isinstance(value, Module):
            params.pop(name, None)
            modules[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} to sub-module '{name}' of "
                                f"{type(self).__name__}: expected an nn.Module or None")
            del modules[name]
        object.__setattr__(self, name, value)

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter, or None for an absent one such as bias=False)."""
        if param is None:
            self._parameters[name] = None
        self.__setattr__(name, param)

    def __delattr__(self, name):
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    # ------------------------------------------------------------------ calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args, **kwargs):
        output = self.forward(*args, **kwargs)
        for hook in tuple(self._forward_hooks.values()):
            replaced = hook(self, args, output)
            if replaced is not None:  # as in PyTorch, a hook may return a new output
                output = replaced
        return output

    def register_forward_hook(self, hook):
        """Call ``hook(module, inputs, output)`` after every forward; a hook that returns
        something other than None replaces the output. Returns a handle whose ``remove()``
        takes the hook off again."""
        key = object()
        self._forward_hooks[key] = hook
        return _HookHandle(self._forward_hooks, key)

    # ------------------------------------------------------------------ traversal
    def children(self):
        return iter(self._modules.values())

    def named_children(self):
        return iter(self._modules.items())

    def named_modules(self, prefix=""):
        """This module and every sub-module, depth first, with dotted names."""
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_parameters(self, prefix=""):
        """(name, Parameter) pairs in definition order, each parameter once."""
        seen = set()
        for module_name, module in self.named_modules(prefix):
            for name, p in module._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{module_name}.{name}" if module_name else name), p

    def parameters(self):
        return (p for _, p in self.named_parameters())

    # ------------------------------------------------------------------ modes
    def train(self, mode=True):
        """Set training mode (dropout active) on this module and all sub-modules."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        """Forget every parameter's gradient (PyTorch's default, ``set_to_none=True``)."""
        for p in self.parameters():
            p.grad = None

    def apply(self, fn):
        """Call ``fn(module)`` on every sub-module and then on this one (children first,
        as in PyTorch); typically to initialise weights. Returns ``self``."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def to(self, *args, **kwargs):
        """Move every parameter, in place, to a device or backend ("cpu", "cuda",
        ``minin.device(...)``, "numpy", "cupy") and/or convert it to a floating dtype,
        as PyTorch's ``Module.to``. Returns ``self``."""
        where, dtype = _placement(args, kwargs)
        name = backend_of(where) if where is not None else None  # a clear error without a GPU
        for p in self.parameters():
            for field in ("data", "grad"):
                value = getattr(p, field)
                if value is None:
                    continue
                if name is not None:
                    value = backend.to_backend(value, name)
                if dtype is not None:
                    value = value.astype(dtype, copy=False)
                setattr(p, field, value)
        return self

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    # ------------------------------------------------------------------ state
    def state_dict(self):
        """An ordered dict of NumPy copies of every parameter, keyed like PyTorch's."""
        return OrderedDict((name, p.numpy()) for name, p in self.named_parameters())

    def load_state_dict(self, state, strict=True):
        """Copy arrays from ``state`` into the parameters, checking names and shapes.

        With strict=True every parameter must be present and no extra key allowed.
        Returns (missing_keys, unexpected_keys).
        """
        own = OrderedDict(self.named_parameters())
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append(f"missing key(s) {', '.join(map(repr, missing))}")
            if unexpected:
                parts.append(f"unexpected key(s) {', '.join(map(repr, unexpected))}")
            raise KeyError(f"load_state_dict for {type(self).__name__}: " + "; ".join(parts))
        for name, p in own.items():
            if name not in state:
                continue
            value = state[name]
            value = value.data if isinstance(value, Tensor) else value
            value = backend.asnumpy(value)
            if value.shape != p.shape:
                raise ValueError(f"load_state_dict: {name!r} has shape {value.shape} in the "
                                 f"state dict but {p.shape} in the model")
            p.data[...] = backend.to_backend(value.astype(p.dtype, copy=False), p.backend)
        return missing, unexpected

    # ------------------------------------------------------------------ printing
    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"({name}): " + _indent(repr(child)) for name, child in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


def _placement(args, kwargs):
    """(device, dtype) from the arguments of ``Module.to``."""
    where, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"Module.to() got unexpected arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, (str, device)):
            where = arg
        else:
            try:
                dtype = np.dtype(arg)
            except TypeError:
                raise TypeError(f"Module.to() takes a device or a dtype, got {arg!r}") from None
    if dtype is not None and np.dtype(dtype).kind != "f":
        raise TypeError(f"Module.to() converts parameters to floating dtypes only, got {np.dtype(dtype)}")
    return where, dtype


class _HookHandle:
    def __init__(self, hooks, key):
        self._hooks, self._key = hooks, key

    def remove(self):
        self._hooks.pop(self._key, None)


def _indent(text):
    return text.replace("\n", "\n  ")
