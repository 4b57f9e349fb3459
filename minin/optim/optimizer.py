"""Optimizer: the base class that owns parameter groups and per-parameter state.

Subclasses only say how one parameter moves (``_update``); grouping, skipping
parameters without a gradient and checkpointing live here, as in torch.optim.
"""

import numpy as np

from .. import backend
from ..function import enable_grad
from ..tensor import Tensor, zero_grads


class Optimizer:
    """Base class of the optimizers, as ``torch.optim.Optimizer``.

    Holds ``param_groups`` (dicts with ``params`` and every hyper-parameter) and
    ``state`` (a dict per parameter, keyed by the Parameter itself). Hyper-parameters
    are read from the groups at every step, so a scheduler or the user may change
    ``group["lr"]`` between steps. A subclass defines ``_update(p, state, group)``,
    which moves one parameter ``p`` that has a gradient.

    Args:
        params: an iterable of Parameters, or of dicts (parameter groups) with a
            ``params`` entry and any hyper-parameters to override for that group.
        defaults: a dict of hyper-parameters for groups that do not set them.

    Example::

        >>> from minin import optim
        >>> class GD(optim.Optimizer):
        ...     def __init__(self, params, lr=0.1):
        ...         super().__init__(params, dict(lr=lr))
        ...     def _update(self, p, state, group):
        ...         p.data -= group["lr"] * p.grad
        >>> p = nn.Parameter(mn.tensor([1.0, -1.0]))
        >>> opt = GD([p], lr=0.5)
        >>> p.grad = np.array([0.5, -1.0], dtype=np.float32)
        >>> opt.step()
        >>> p.tolist()
        [0.75, -0.5]
    """

    def __init__(self, params, defaults):
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of Parameters or of dicts, "
                            "got a single Tensor; wrap it in a list")
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group):
        """Add a group of parameters; hyper-parameters it leaves out come from the defaults.

        Args:
            group: a dict with a ``params`` entry (a Parameter or an iterable of them,
                none already in another group) and optional hyper-parameters.

        Example::

            >>> from minin import optim
            >>> a, b = nn.Parameter(mn.ones(2)), nn.Parameter(mn.ones(3))
            >>> opt = optim.SGD([a], lr=0.1)
            >>> opt.add_param_group({"params": [b], "lr": 0.01})
            >>> [(len(g["params"]), g["lr"], g["momentum"]) for g in opt.param_groups]
            [(1, 0.1, 0), (1, 0.01, 0)]
        """
        if not isinstance(group, dict):
            raise TypeError(f"a parameter group must be a dict, got {type(group).__name__}")
        group = dict(group)
        params = group.get("params")
        if params is None:
            raise ValueError("a parameter group needs a 'params' entry")
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizers can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor (it is the result of an "
                                 "operation; optimize the leaves it was computed from)")
        ids = {id(p) for p in params}
        if len(ids) != len(params):
            raise ValueError("a parameter group lists the same parameter twice; it would be "
                             "updated twice per step")
        if any(id(p) in ids for other in self.param_groups for p in other["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        group["params"] = params
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group):
        """Raise ValueError for invalid hyper-parameters (overridden by subclasses)."""

    def _check_non_negative(self, group, *names):
        """A clear error for each of ``names`` in ``group`` that is not a number >= 0."""
        for name in names:
            value = group[name]
            try:  # a number, or a one-element tensor (PyTorch takes a tensor lr)
                good = not isinstance(value, (str, bytes, bool)) and float(value) >= 0
            except (TypeError, ValueError):
                good = False
            if not good:
                raise ValueError(f"{type(self).__name__}: invalid {name} {value!r}; it must be "
                                 "a number >= 0")

    def zero_grad(self, set_to_none=True):
        """Set the gradient of every parameter to None, as ``torch.optim.Optimizer.zero_grad``.

        Args:
            set_to_none: if True (default), set each gradient to None; if False, fill the
                existing gradients with zeros in place, as PyTorch does.

        Example::

            >>> from minin import optim
            >>> p = nn.Parameter(mn.ones(2))
            >>> (p * p).sum().backward()
            >>> optim.SGD([p], lr=0.1).zero_grad()
            >>> p.grad is None
            True
        """
        zero_grads((p for group in self.param_groups for p in group["params"]), set_to_none)

    def step(self, closure=None):
        """Update every parameter that has a gradient; parameters without one are skipped.

        Args:
            closure: an optional callable that recomputes the loss (run with gradients
                enabled, before the update); default None.

        Returns:
            The loss the closure returned, or None without a closure.

        Example::

            >>> from minin import optim
            >>> p = nn.Parameter(mn.tensor([2.0]))
            >>> opt = optim.SGD([p], lr=0.25)
            >>> def closure():
            ...     opt.zero_grad()
            ...     loss = (p * p).sum()
            ...     loss.backward()
            ...     return loss
            >>> opt.step(closure).item(), p.item()
            (4.0, 1.0)
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, self.state.setdefault(p, {}), group)
        return loss

    def _update(self, p, state, group):
        raise NotImplementedError(f"{type(self).__name__} does not define _update()")

    # ------------------------------------------------------------------ checkpoints
    def _params(self):
        return [p for group in self.param_groups for p in group["params"]]

    def state_dict(self):
        """The optimizer's state as plain data ``minin.save`` can store.

        Parameters are referred to by their position across the groups, so the dict
        can be loaded into a new optimizer built over the same model. Arrays are
        NumPy copies: later steps do not change a state dict already taken.

        Returns:
            A dict with ``state`` (per-parameter state keyed by the position as a
            string) and ``param_groups`` (the groups, ``params`` as positions).

        Example::

            >>> from minin import optim
            >>> p = nn.Parameter(mn.tensor([1.0]))
            >>> opt = optim.SGD([p], lr=0.5, momentum=0.9)
            >>> p.grad = np.array([0.5], dtype=np.float32)
            >>> opt.step()
            >>> sd = opt.state_dict()
            >>> sd["state"], sd["param_groups"][0]["params"]
            ({'0': {'momentum_buffer': array([0.5], dtype=float32)}}, [0])
        """
        index = {id(p): i for i, p in enumerate(self._params())}
        state = {}
        for p, values in self.state.items():
            if values:
                state[str(index[id(p)])] = {k: np.array(backend.asnumpy(v), copy=True)
                                            if backend.is_array(v) else v for k, v in values.items()}
        groups = [{**{k: v for k, v in group.items() if k != "params"},
                   "params": [index[id(p)] for p in group["params"]]}
                  for group in self.param_groups]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore a ``state_dict()`` onto this optimizer's own parameters.

        Everything is checked before anything changes, so a mismatched checkpoint
        leaves the optimizer as it was (a ValueError says what does not match).

        Args:
            state_dict: a dict as returned by ``state_dict()``.

        Example::

            >>> from minin import optim
            >>> p = nn.Parameter(mn.tensor([1.0]))
            >>> saved = optim.SGD([p], lr=0.5).state_dict()
            >>> new = optim.SGD([p], lr=0.1)
            >>> new.load_state_dict(saved)
            >>> new.param_groups[0]["lr"]
            0.5
        """
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= state_dict.keys():
            raise ValueError("load_state_dict expects a dict with 'state' and 'param_groups' "
                             "entries, as returned by state_dict()")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"load_state_dict: the state dict has {len(saved_groups)} parameter "
                             f"group(s) but the optimizer has {len(self.param_groups)}")
        by_index = {}
        for g, (saved, own) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(own["params"]):
                raise ValueError(f"load_state_dict: parameter group {g} has {len(saved['params'])} "
                                 f"parameter(s) in the state dict but {len(own['params'])} in the "
                                 "optimizer")
            by_index.update(zip((int(i) for i in saved["params"]), own["params"]))
        state = {}
        for key, values in state_dict["state"].items():
            p = by_index.get(int(key))
            if p is None:
                raise ValueError(f"load_state_dict: the state dict has state for parameter {key}, "
                                 "which no parameter group lists")
            state[p] = {}
            for name, value in values.items():
                if backend.is_array(value):
                    if value.shape != p.shape:
                        raise ValueError(f"load_state_dict: state {name!r} of parameter {key} has "
                                         f"shape {tuple(value.shape)} in the state dict but the "
                                         f"parameter has shape {tuple(p.shape)}")
                    value = backend.to_backend(
                        backend.asnumpy(value).astype(p.dtype, copy=True), p.backend)
                state[p][name] = value
        self.state = state
        self.param_groups = [{**{k: v for k, v in saved.items() if k != "params"},
                              "params": own["params"]}
                             for saved, own in zip(saved_groups, self.param_groups)]

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines) + "\n)"
