"""The optimizers' updates on the GPU: each parameter's whole step in one elementwise
CUDA kernel (minin/optim/sgd.py and adam.py hold the NumPy versions, same rules)."""

import numpy as np

from . import cuda_runtime as rt

# One SGD step with momentum (PyTorch's rule), for a parameter and its momentum buffer.
SGD_MOMENTUM = (
    "T grad, T lr, T momentum, T dampening, T weight_decay, int32 nesterov, int32 first",
    "T param, T buf",
    """T d = grad + weight_decay * param;
       buf = first ? d : momentum * buf + ((T)1 - dampening) * d;
       param -= lr * (nesterov ? d + momentum * buf : buf)""")

# One Adam step (PyTorch's rule): c1 = 1 - beta1^t, c2 = sqrt(1 - beta2^t).
ADAM = (
    "T grad, T lr, T beta1, T beta2, T eps, T weight_decay, T c1, T c2",
    "T param, T m, T v",
    """T g = grad + weight_decay * param;
       m = beta1 * m + ((T)1 - beta1) * g;
       v = beta2 * v + ((T)1 - beta2) * g * g;
       param -= (lr / c1) * m / (sqrt(v) / c2 + eps)""")

ELEMENTWISE = {"sgd_momentum": SGD_MOMENTUM, "adam": ADAM}


def sgd_momentum(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, first):
    """The whole SGD-with-momentum update of one parameter in one kernel (in place)."""
    t = param.dtype.type
    rt.elementwise("sgd_momentum", SGD_MOMENTUM)(grad, t(lr), t(momentum), t(dampening), t(weight_decay),
                                        np.int32(nesterov), np.int32(first), param, buf)


def adam(param, grad, m, v, lr, beta1, beta2, eps, weight_decay, step):
    """The whole Adam update of one parameter in one kernel (in place)."""
    t = param.dtype.type
    rt.elementwise("adam", ADAM)(grad, t(lr), t(beta1), t(beta2), t(eps), t(weight_decay),
                                t(1 - beta1 ** step), t((1 - beta2 ** step) ** 0.5), param, m, v)
