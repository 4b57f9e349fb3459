"""Module and Parameter: the containers that hold a network's weights, as in PyTorch."""

from collections import OrderedDict

import numpy as np

from .. import backend
from ..device import backend_of, device
from ..tensor import Tensor, zero_grads


class Parameter(Tensor):
    """A Tensor that is a learnable weight of a Module, as ``torch.nn.Parameter``.

    Assigning a Parameter to an attribute of a Module registers it, so that
    ``parameters()``, ``state_dict()`` and the optimisers find it. It wraps the
    array of ``data`` without copying it.

    Args:
        data: a Tensor or an array holding the initial values.
        requires_grad: whether gradients are computed for it (default True).

    Example::

        >>> nn.Parameter(mn.zeros(2))
        Parameter containing:
        tensor([0., 0.], requires_grad=True)
    """

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        if isinstance(data, Tensor):
            data = data.data
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of every layer and network, as ``torch.nn.Module``.

    A subclass calls ``super().__init__()`` first, then assigns its weights and
    layers as attributes: a Parameter or a Module assigned this way is registered,
    in order, so that ``parameters()`` and ``state_dict()`` find it under a
    PyTorch-style dotted name such as ``"0.2.weight"``. The subclass defines
    ``forward``; calling the module runs it, then any forward hooks.

    A module starts in training mode (``training`` is True); ``train()`` and
    ``eval()`` set the mode of the whole tree, which layers such as Dropout read.

    Example::

        >>> class Net(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc = nn.Linear(4, 2)
        ...     def forward(self, x):
        ...         return self.fc(x)
        >>> net = Net()
        >>> [(name, p.shape) for name, p in net.named_parameters()]
        [('fc.weight', (2, 4)), ('fc.bias', (2,))]
        >>> net(mn.ones(3, 4)).shape
        (3, 2)
    """

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
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
        elif name in self._buffers:  # as in PyTorch: a buffer stays one, with the new tensor
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign a {type(value).__name__} to buffer '{name}' of "
                                f"{type(self).__name__}: expected a Tensor or None")
            self._buffers[name] = value
        object.__setattr__(self, name, value)

    def register_parameter(self, name, param):
        """Register ``param`` under ``name``, as ``torch.nn.Module.register_parameter``.

        Args:
            name: the attribute name.
            param: a Parameter, or None for an absent one (such as a bias with bias=False),
                which keeps the name reserved for a Parameter.
        """
        if param is None:
            self._parameters[name] = None
        self.__setattr__(name, param)

    def register_buffer(self, name, tensor, persistent=True):
        """Register ``tensor`` as a buffer, state that is not a parameter (no optimizer moves
        it), as ``torch.nn.Module.register_buffer``: ``to()`` moves it with the parameters and,
        if ``persistent``, ``state_dict()`` holds it.

        Args:
            name: the attribute name (a string without dots, not yet another attribute).
            tensor: a Tensor, or None for a buffer not set yet.
            persistent: whether ``state_dict()`` and ``load_state_dict()`` include it.

        Example::

            >>> class Norm(nn.Module):
            ...     def __init__(self):
            ...         super().__init__()
            ...         self.register_buffer("running_mean", mn.zeros(3))
            >>> m = Norm()
            >>> list(m.state_dict()), [name for name, _ in m.named_buffers()]
            (['running_mean'], ['running_mean'])
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}.__init__ must call super().__init__() "
                                 "before registering buffers")
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"register_buffer: the name must be a non-empty string without '.', got {name!r}")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: cannot register a {type(tensor).__name__} as buffer "
                            f"'{name}': expected a Tensor or None")
        if name in self._parameters or name in self._modules or (
                hasattr(self, name) and name not in self._buffers):
            raise KeyError(f"register_buffer: attribute '{name}' already exists")
        self._buffers[name] = tensor
        (self._non_persistent_buffers.discard if persistent else self._non_persistent_buffers.add)(name)
        object.__setattr__(self, name, tensor)

    def __delattr__(self, name):
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self._buffers.pop(name, None)
        self._non_persistent_buffers.discard(name)
        object.__delattr__(self, name)

    # ------------------------------------------------------------------ calling
    def forward(self, *args, **kwargs):
        """The computation, which every subclass defines, as ``torch.nn.Module.forward``.

        Call the module itself rather than ``forward``, so that forward hooks run.

        Returns:
            the output (NotImplementedError on the base class).
        """
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args, **kwargs):
        output = self.forward(*args, **kwargs)
        for hook in tuple(self._forward_hooks.values()):
            replaced = hook(self, args, output)
            if replaced is not None:  # as in PyTorch, a hook may return a new output
                output = replaced
        return output

    def register_forward_hook(self, hook):
        """Call ``hook`` after every forward, as ``torch.nn.Module.register_forward_hook``.

        Args:
            hook: called as ``hook(module, inputs, output)`` with the positional inputs as
                a tuple; if it returns something other than None, that replaces the output.

        Returns:
            a handle whose ``remove()`` takes the hook off again.

        Example::

            >>> layer = nn.ReLU()
            >>> handle = layer.register_forward_hook(lambda m, inputs, out: out * 2)
            >>> layer(mn.tensor([-1.0, 3.0]))
            tensor([0., 6.])
            >>> handle.remove()
            >>> layer(mn.tensor([-1.0, 3.0]))
            tensor([0., 3.])
        """
        key = object()
        self._forward_hooks[key] = hook
        return _HookHandle(self._forward_hooks, key)

    # ------------------------------------------------------------------ traversal
    def children(self):
        """The direct sub-modules, in registration order, as ``torch.nn.Module.children``.

        Returns:
            an iterator over Modules.
        """
        return iter(self._modules.values())

    def named_children(self):
        """The direct sub-modules with their attribute names, as
        ``torch.nn.Module.named_children``.

        Returns:
            an iterator over (name, Module) pairs.
        """
        return iter(self._modules.items())

    def named_modules(self, prefix=""):
        """This module and every sub-module, depth first, with dotted names, as
        ``torch.nn.Module.named_modules``; a module registered twice appears twice.

        Args:
            prefix: prepended to every name (default ""; this module's own name).

        Returns:
            an iterator over (name, Module) pairs.

        Example::

            >>> net = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
            >>> [(name, type(m).__name__) for name, m in net.named_modules()]
            [('', 'Sequential'), ('0', 'Linear'), ('1', 'ReLU')]
        """
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        """This module and every sub-module, depth first, as ``torch.nn.Module.modules``.

        Returns:
            an iterator over Modules (those of ``named_modules`` without the names).
        """
        return (m for _, m in self.named_modules())

    def named_parameters(self, prefix=""):
        """Every parameter with its dotted name, in registration order, each once, as
        ``torch.nn.Module.named_parameters``.

        Args:
            prefix: prepended, with a dot, to every name (default "").

        Returns:
            an iterator over (name, Parameter) pairs; absent (None) parameters are skipped.

        Example::

            >>> net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1, bias=False))
            >>> [(name, p.shape) for name, p in net.named_parameters()]
            [('0.weight', (3, 4)), ('0.bias', (3,)), ('2.weight', (1, 3))]
        """
        seen = set()
        for module_name, module in self.named_modules(prefix):
            for name, p in module._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{module_name}.{name}" if module_name else name), p

    def named_buffers(self, prefix=""):
        """Every buffer with its dotted name, each once, as ``torch.nn.Module.named_buffers``.

        Args:
            prefix: prepended, with a dot, to every name (default "").

        Returns:
            an iterator over (name, Tensor) pairs; buffers set to None are skipped.
        """
        return self._named_buffers(prefix, persistent_only=False)

    def _named_buffers(self, prefix, persistent_only):
        seen = set()
        for module_name, module in self.named_modules(prefix):
            for name, b in module._buffers.items():
                if b is None or id(b) in seen or (persistent_only and name in module._non_persistent_buffers):
                    continue
                seen.add(id(b))
                yield (f"{module_name}.{name}" if module_name else name), b

    def buffers(self):
        """Every buffer, each once, as ``torch.nn.Module.buffers``.

        Returns:
            an iterator over Tensors (those of ``named_buffers``).
        """
        return (b for _, b in self.named_buffers())

    def parameters(self):
        """Every parameter, each once, as ``torch.nn.Module.parameters``; what an
        optimiser is given.

        Returns:
            an iterator over Parameters (those of ``named_parameters``).

        Example::

            >>> sum(p.numel() for p in nn.Linear(4, 3).parameters())
            15
        """
        return (p for _, p in self.named_parameters())

    # ------------------------------------------------------------------ modes
    def train(self, mode=True):
        """Set training or evaluation mode on this module and every sub-module, as
        ``torch.nn.Module.train``.

        Args:
            mode: True for training (default; e.g. Dropout drops), False for evaluation.

        Returns:
            ``self``.

        Example::

            >>> net = nn.Sequential(nn.Linear(4, 3), nn.Dropout(0.5))
            >>> net.train(False)[1].training
            False
        """
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        """Set evaluation mode, ``train(False)``, as ``torch.nn.Module.eval``.

        Returns:
            ``self``.
        """
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` on every parameter, as ``torch.nn.Module.requires_grad_``;
        ``requires_grad_(False)`` freezes a model (or a part of one) for fine-tuning.

        Args:
            requires_grad: True (default) or False.

        Returns:
            ``self``.

        Example::

            >>> net = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
            >>> _ = net[0].requires_grad_(False)
            >>> [p.requires_grad for p in net.parameters()]
            [False, False, True, True]
        """
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Forget every parameter's gradient, as ``torch.nn.Module.zero_grad``.

        Args:
            set_to_none: if True (default), set each gradient to None; if False, fill the
                existing gradients with zeros in place, as PyTorch does.
        """
        zero_grads(self.parameters(), set_to_none)

    def apply(self, fn):
        """Call ``fn`` on every sub-module, children first, then on this one, as
        ``torch.nn.Module.apply``; typically to initialise weights.

        Args:
            fn: a function taking a Module.

        Returns:
            ``self``.

        Example::

            >>> def init(m):
            ...     if isinstance(m, nn.Linear):
            ...         nn.init.zeros_(m.bias)
            >>> net = nn.Sequential(nn.Linear(2, 2), nn.ReLU()).apply(init)
            >>> net[0].bias
            Parameter containing:
            tensor([0., 0.], requires_grad=True)
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def to(self, *args, **kwargs):
        """Move every parameter (and its gradient), in place, to a device and/or convert
        it to a floating dtype, as ``torch.nn.Module.to``.

        Args:
            *args: a device or backend ("cpu", "cuda", ``mn.device(...)``, "numpy",
                "cupy") and/or a floating dtype, in any order.
            device, dtype: the same, by keyword; ``non_blocking`` is accepted and ignored.

        Returns:
            ``self``.

        Example::

            >>> nn.Linear(2, 2).to(mn.float64).weight.dtype
            dtype('float64')
        """
        where, dtype = _placement(args, kwargs)
        name = backend_of(where) if where is not None else None  # a clear error without a GPU
        for b in self.buffers():  # as in PyTorch, a dtype converts floating-point buffers only
            if name is not None:
                b.data = backend.to_backend(b.data, name)
            if dtype is not None and b.dtype.kind == "f":
                b.data = b.data.astype(dtype, copy=False)
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
        """Move every parameter to the CPU, ``to("cpu")``, as ``torch.nn.Module.cpu``.

        Returns:
            ``self``.
        """
        return self.to("cpu")

    def cuda(self):
        """Move every parameter to the GPU, ``to("cuda")``, as ``torch.nn.Module.cuda``.

        Returns:
            ``self``.
        """
        return self.to("cuda")

    # ------------------------------------------------------------------ state
    def state_dict(self):
        """The parameters' values, then the persistent buffers', as ``torch.nn.Module.state_dict``.

        Returns:
            an OrderedDict from each dotted name (as ``named_parameters`` and
            ``named_buffers``) to a NumPy copy of that tensor's data.

        Example::

            >>> net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1))
            >>> {name: a.shape for name, a in net.state_dict().items()}
            {'0.weight': (3, 4), '0.bias': (3,), '2.weight': (1, 3), '2.bias': (1,)}
        """
        return OrderedDict((name, t.numpy()) for name, t in self._state_tensors().items())

    def _state_tensors(self):
        """What ``state_dict`` holds, in PyTorch's order: module by module, its parameters,
        then its persistent buffers; a tensor shared between modules once, first name first."""
        state, seen = OrderedDict(), set()
        for module_name, module in self.named_modules():
            persistent = [(name, b) for name, b in module._buffers.items()
                          if name not in module._non_persistent_buffers]
            for name, t in list(module._parameters.items()) + persistent:
                if t is not None and id(t) not in seen:
                    seen.add(id(t))
                    state[f"{module_name}.{name}" if module_name else name] = t
        return state

    def load_state_dict(self, state, strict=True):
        """Copy values from ``state`` into the parameters, in place, as
        ``torch.nn.Module.load_state_dict``; shapes must match (ValueError otherwise).

        Args:
            state: a mapping from dotted names to arrays or Tensors, e.g. a ``state_dict()``.
            strict: if True (default), a missing or unexpected key raises KeyError.

        Returns:
            the pair (missing_keys, unexpected_keys), lists of names.

        Example::

            >>> net = nn.Linear(2, 1)
            >>> net.load_state_dict({'weight': np.ones((1, 2)), 'extra': np.zeros(1)}, strict=False)
            (['bias'], ['extra'])
            >>> net.weight
            Parameter containing:
            tensor([[1., 1.]], requires_grad=True)
        """
        own = self._state_tensors()
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
            if value.dtype.kind not in "biuf":  # a complex value would lose its imaginary part
                raise TypeError(f"load_state_dict: {name!r} holds {value.dtype} values in the state "
                                f"dict; the model's are {p.dtype}")
            if value.shape != p.shape:
                raise ValueError(f"load_state_dict: {name!r} has shape {value.shape} in the "
                                 f"state dict but {p.shape} in the model")
            p.data[...] = backend.to_backend(value.astype(p.dtype, copy=False), p.backend)
        return missing, unexpected

    # ------------------------------------------------------------------ printing
    def extra_repr(self):
        """The module's settings shown inside its ``repr``, as
        ``torch.nn.Module.extra_repr``; subclasses override it.

        Returns:
            a string ("" by default).
        """
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
