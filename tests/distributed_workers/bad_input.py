"""Run under mpiexec -n 2 by tests/test_distributed.py: collectives that the two ranks call
with arguments that do not match (shapes, dtypes, ops, roots, parameter lists, bucket sizes).
Every one must raise the same DistributedError on both ranks, so that the job can go on;
rank 0 prints what each raised, and what the collectives that do match gave, as one JSON
line."""

import json

import numpy as np

import minin as mn
from minin import distributed, nn


def params(*shapes, dtype=np.float32):
    made = [nn.Parameter(mn.tensor(np.zeros(s, dtype=dtype))) for s in shapes]
    for p in made:
        p.grad = np.ones(p.shape, dtype=dtype)
    return made


def main():
    group = distributed.init_from_environment()
    rank = group.rank
    other = rank == 1
    cases = {
        "shape": lambda: group.all_reduce(np.ones(4 if other else 3, np.float32)),
        "dtype": lambda: group.all_reduce(np.ones(3, np.float64 if other else np.float32)),
        # The same number of bytes: MPI would add float64 bits to float32 ones.
        "same_bytes": lambda: group.all_reduce(np.ones(2, np.float64) if other else np.ones(4, np.float32)),
        "op": lambda: group.all_reduce(np.ones(3), op="max" if other else "sum"),
        "broadcast_shape": lambda: group.broadcast(np.zeros(4 if other else 3)),
        "broadcast_root": lambda: group.broadcast(np.zeros(3), root=rank),
        "broadcast_object_root": lambda: group.broadcast_object("x", root=rank),
        # Six values in two parameters on each rank, cut differently.
        "layout": lambda: group.all_reduce_gradients(params((2,), (4,)) if other else params((4,), (2,))),
        "layout_dtype": lambda: group.all_reduce_gradients(params((3,), dtype=np.float64 if other else np.float32)),
        "bucket_bytes": lambda: group.all_reduce_gradients(params((4,), (4,)), bucket_bytes=16 if other else None),
    }
    got = {}
    for name, call in cases.items():
        try:
            call()
            got[name] = "no error"
        except distributed.DistributedError as exc:
            got[name] = str(exc)

    # The parameters that had a gradient, the same ones at the first step, not at the second.
    model = params((4,), (2,))
    group.all_reduce_gradients([p for p in model if p.grad is not None])
    if other:
        model[0].grad = None
    try:
        group.all_reduce_gradients([p for p in model if p.grad is not None])
        got["parted"] = "no error"
    except distributed.DistributedError as exc:
        got["parted"] = str(exc)

    # Arguments wrong on every rank: the same error on each, before any message.
    readonly = np.ones(3)
    readonly.flags.writeable = False
    local = {
        "readonly": lambda: group.all_reduce(readonly),
        "complex_max": lambda: group.all_reduce(np.ones(2, np.complex64), op="max"),
        "strings": lambda: group.broadcast(np.array(["a", "b"])),
        "list": lambda: group.all_reduce([1.0, 2.0]),
        "root_bool": lambda: group.broadcast(np.ones(2), root=True),
        "no_comm": lambda: distributed.ProcessGroup(None),
    }
    for name, call in local.items():
        try:
            call()
            got[name] = "no error"
        except (TypeError, ValueError) as exc:
            got[name] = f"{type(exc).__name__}: {exc}"

    # After all that the ranks are still in step.
    got["sum"] = group.all_reduce(np.full(3, rank + 1.0)).tolist()
    got["or"] = group.all_reduce(np.array([rank == 1, False])).tolist()
    got["and"] = group.all_reduce(np.array([rank == 1, True]), op="min").tolist()
    tensor = mn.tensor([1.0, 2.0])
    got["tensor"] = group.all_reduce(tensor).tolist()
    if rank == 0:
        print(json.dumps(got), flush=True)


if __name__ == "__main__":
    main()
