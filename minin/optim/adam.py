"""Adam and AdamW, exactly as torch.optim's (with AMSGrad if asked): Adam's weight decay is an
L2 term on the gradient, AdamW's shrinks the weights themselves."""


from .. import backend
from .._checks import is_number
from ..backend import get_array_module
from ..kernels import optim_cuda
from .optimizer import Optimizer


class Adam(Optimizer):
    """The Adam optimizer, as ``torch.optim.Adam``.

    At step t, for every parameter p with a gradient::

        g ← grad + weight_decay·p
        m ← β₁·m + (1 − β₁)·g
        v ← β₂·v + (1 − β₂)·g²
        p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + eps)

    eps is added after the bias correction of √v, as PyTorch does, so the same eps
    gives the same steps as there. With ``amsgrad``, √v is that of the largest v so far.
    State: ``step`` (an int), ``exp_avg``, ``exp_avg_sq`` (and ``max_exp_avg_sq``).

    Args:
        params: an iterable of Parameters or of parameter-group dicts.
        lr: the learning rate; default 1e-3.
        betas: (β₁, β₂), the decay rates of m and v, each in [0, 1); default (0.9, 0.999).
        eps: added to the denominator for numerical stability; default 1e-8.
        weight_decay: L2 penalty added to the gradient (not decoupled as in AdamW); default 0.
        amsgrad: use the AMSGrad variant (the running maximum of v); default False.

    Example::

        >>> from minin import optim
        >>> p = nn.Parameter(mn.tensor([1.0]))
        >>> opt = optim.Adam([p], lr=0.1)
        >>> for _ in range(2):
        ...     p.grad = np.array([0.5], dtype=np.float32)
        ...     opt.step()
        ...     print(round(p.item(), 4), opt.state[p]["step"])
        0.9 1
        0.8 2
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=bool(amsgrad)))

    def _check_group(self, group):
        self._check_non_negative(group, "lr", "eps", "weight_decay")
        if len(group["betas"]) != 2:
            raise ValueError(f"{type(self).__name__}: betas must be a pair (beta1, beta2), got "
                             f"{group['betas']!r}")
        for i, beta in enumerate(group["betas"]):
            if not (is_number(beta) and 0 <= beta < 1):
                raise ValueError(f"{type(self).__name__}: invalid beta parameter at index {i}: {beta!r}; "
                                 "it must be in [0, 1)")

    def _update(self, p, state, group):
        xp = get_array_module(p.data)
        lr, eps = float(group["lr"]), float(group["eps"])
        weight_decay = float(group["weight_decay"])
        beta1, beta2 = (float(b) for b in group["betas"])
        if not state:
            state.update(step=0, exp_avg=xp.zeros_like(p.data), exp_avg_sq=xp.zeros_like(p.data))
        amsgrad = group.get("amsgrad", False)  # a state dict saved before AMSGrad has no entry
        if amsgrad and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = xp.zeros_like(p.data)
        state["step"] += 1
        step, exp_avg, exp_avg_sq = state["step"], state["exp_avg"], state["exp_avg_sq"]
        if backend.on_gpu(p.data) and not amsgrad:  # one fused kernel on the GPU
            optim_cuda.adam(p.data, p.grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, step)
            return

        grad = p.grad
        if weight_decay != 0:
            grad = p.data * weight_decay
            grad += p.grad
        exp_avg *= beta1
        exp_avg += (1 - beta1) * grad
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad

        step_size = lr / (1 - beta1 ** step)
        if amsgrad:
            xp.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            exp_avg_sq = state["max_exp_avg_sq"]
        denom = xp.sqrt(exp_avg_sq)
        denom /= (1 - beta2 ** step) ** 0.5
        denom += eps
        update = xp.divide(exp_avg, denom, out=denom)
        update *= step_size
        p.data -= update


class AdamW(Adam):
    """Adam with decoupled weight decay, as ``torch.optim.AdamW`` (Loshchilov & Hutter): before
    each Adam step (with no L2 term) the weights shrink, ``p ← p·(1 − lr·weight_decay)``, so
    the decay is not rescaled by Adam's per-weight step sizes.

    Args:
        params, lr, betas, eps, amsgrad: as :class:`Adam`.
        weight_decay: the decoupled decay rate; default 1e-2, as in PyTorch.

    Example::

        >>> from minin import optim
        >>> p = nn.Parameter(mn.tensor([1.0]))
        >>> opt = optim.AdamW([p], lr=0.1, weight_decay=0.5)
        >>> p.grad = np.array([0.0], dtype=np.float32)
        >>> opt.step(); round(p.item(), 6)            # no gradient: only the decay, 1 · (1 − 0.05)
        0.95
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)

    def _update(self, p, state, group):
        decay = float(group["lr"]) * float(group["weight_decay"])
        if decay:
            p.data *= 1 - decay
        super()._update(p, state, {**group, "weight_decay": 0})
