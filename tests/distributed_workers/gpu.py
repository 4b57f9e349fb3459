"""Run by tests/test_distributed.py where CuPy and a GPU exist: the collectives on CuPy
arrays (through NCCL, or host copies where CuPy has no NCCL) in a world of one process,
started without mpiexec. Prints what it found as one JSON line."""

import json

import numpy as np
from mpi4py import MPI

import minin as mn
from minin import backend, distributed
from minin.models import nin


def main():
    cupy = backend.module("cupy")
    group = distributed.ProcessGroup(MPI.COMM_WORLD)
    got = {"device": group.select_gpu()}
    x = cupy.arange(6, dtype=cupy.float32)
    got["sum"] = group.all_reduce(x).get().tolist()
    got["max"] = group.all_reduce(cupy.arange(3, dtype=cupy.int64), op="max").get().tolist()
    got["broadcast"] = group.broadcast(cupy.full(3, 7.0, dtype=cupy.float64)).get().tolist()
    wide = cupy.arange(12, dtype=cupy.float32).reshape(3, 4)
    group.all_reduce(wide[:, 1])                   # not contiguous: through a copy
    got["column"] = wide.get().tolist()
    got["engine"] = type(group._nccl).__name__    # _Nccl, or bool (False: host copies)

    mn.manual_seed(0)
    model = nin("small").to("cupy")
    params = list(model.parameters())
    for k, p in enumerate(params):
        p.grad = None if k == 0 else cupy.full(p.shape, k, dtype=cupy.float32)
    before = [p.data.get() for p in params]
    group.all_reduce_gradients(params)
    group.broadcast_parameters(params)
    got["grad_none"] = params[0].grad is None
    got["grads_kept"] = all(float(p.grad.min()) == float(p.grad.max()) == k
                            for k, p in enumerate(params) if k > 0)
    got["grads_on_gpu"] = all(backend.name_of(p.grad) == "cupy" for p in params[1:])
    got["weights_kept"] = all(np.array_equal(b, p.data.get()) for b, p in zip(before, params))
    print(json.dumps(got))


if __name__ == "__main__":
    main()
