"""Stochastic gradient descent with momentum, exactly as torch.optim.SGD."""

from .. import backend
from ..kernels import optim_cuda
from .optimizer import Optimizer


class SGD(Optimizer):
    """g ← grad + weight_decay·p; with momentum, b ← momentum·b + (1 − dampening)·g
    (b starts as the first g, undampened) and g ← g + momentum·b (Nesterov) or
    g ← b; then p ← p − lr·g. The buffer is kept under ``"momentum_buffer"``.
    """

    def __init__(self, params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _check_group(self, group):
        for name in ("lr", "momentum", "weight_decay"):
            if group[name] < 0:
                raise ValueError(f"SGD: invalid {name} {group[name]!r}; it must be >= 0")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum > 0 and zero dampening, "
                             f"got momentum={group['momentum']!r}, dampening={group['dampening']!r}")

    def _update(self, p, state, group):
        lr, momentum = float(group["lr"]), float(group["momentum"])
        dampening, weight_decay = float(group["dampening"]), float(group["weight_decay"])
        if momentum != 0 and backend.on_gpu(p.data):  # one fused kernel on the GPU
            first = "momentum_buffer" not in state
            if first:
                state["momentum_buffer"] = backend.get_array_module(p.data).empty_like(p.data)
            optim_cuda.sgd_momentum(p.data, p.grad, state["momentum_buffer"], lr, momentum, dampening,
                              weight_decay, group["nesterov"], first)
            return
        grad = p.grad
        if weight_decay != 0:
            grad = p.data * weight_decay
            grad += p.grad
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.copy()
            else:
                buf *= momentum
                buf += grad if dampening == 0 else (1 - dampening) * grad
            if group["nesterov"]:
                grad = grad + momentum * buf
            else:
                grad = buf
        p.data -= lr * grad
