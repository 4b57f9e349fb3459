"""Stochastic gradient descent with momentum, exactly as torch.optim.SGD."""

from .. import backend
from ..kernels import optim_cuda
from .optimizer import Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, as ``torch.optim.SGD``.

    Each step, for every parameter p with a gradient::

        g ← grad + weight_decay·p
        b ← momentum·b + (1 − dampening)·g       (with momentum)
        g ← g + momentum·b (Nesterov) or g ← b   (with momentum)
        p ← p − lr·g

    b starts as the first g, undampened, and is kept in the parameter's state
    under ``"momentum_buffer"``.

    Args:
        params: an iterable of Parameters or of parameter-group dicts.
        lr: the learning rate; default 1e-3, as in PyTorch.
        momentum: the momentum factor; default 0 (no momentum).
        dampening: dampening of the momentum; default 0.
        weight_decay: L2 penalty added to the gradient; default 0.
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening 0); default False.

    Example::

        >>> from minin import optim
        >>> p = nn.Parameter(mn.tensor([1.0]))
        >>> opt = optim.SGD([p], lr=0.5, momentum=0.5)
        >>> for _ in range(3):
        ...     p.grad = np.array([0.5], dtype=np.float32)
        ...     opt.step()
        ...     print(p.item(), opt.state[p]["momentum_buffer"])
        0.75 [0.5]
        0.375 [0.75]
        -0.0625 [0.875]
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _check_group(self, group):
        self._check_non_negative(group, "lr", "momentum", "weight_decay")
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
