"""``minin.backends``: the switches a PyTorch program sets on ``torch.backends``.

GPU training scripts often begin with ``torch.backends.cudnn.benchmark = True``. minin's GPU
convolutions are its own im2col kernels and cuBLAS products, not cuDNN's, so there is no
algorithm to search for and nothing to make deterministic: these flags are accepted, kept,
and change nothing. ``mps`` (Apple's GPUs) is never available.

Example::

    >>> mn.backends.cudnn.benchmark = True
    >>> mn.backends.cudnn.benchmark, mn.backends.mps.is_available()
    (True, False)
"""

import types

cudnn = types.SimpleNamespace(enabled=True, benchmark=False, deterministic=False, allow_tf32=True,
                              is_available=lambda: False)
mps = types.SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
