"""Run under mpiexec by tests/test_distributed.py: every collective of a ProcessGroup,
with rank-dependent inputs. Each rank writes what it got to OUT/rank<r>.npz; the test
compares them."""

import sys

import numpy as np

import minin as mn
from minin import distributed, optim
from minin.models import nin


def main(out):
    group = distributed.init_from_environment()
    rank, size = group.rank, group.world_size
    got = {"world_size": np.array(size), "rank": np.array(rank), "local_rank": np.array(group.local_rank)}

    x = np.arange(6, dtype=np.float32).reshape(2, 3) + 10 * rank
    for op in ("sum", "max", "min"):
        got[f"all_reduce_{op}"] = group.all_reduce(x.copy(), op=op)
    counts = np.array([rank, 1], dtype=np.int64)
    got["all_reduce_int64"] = group.all_reduce(counts)
    wide = np.arange(12, dtype=np.float64).reshape(3, 4) * (rank + 1)
    column = wide[:, 1]                       # not contiguous: reduced through a copy
    group.all_reduce(column)
    got["non_contiguous_column"], got["non_contiguous_rest"] = column, wide
    got["zero_d"] = group.all_reduce(np.array(rank + 1.0))
    got["broadcast"] = group.broadcast(np.full(4, rank, dtype=np.float32), root=size - 1)
    got["broadcast_object"] = np.array(group.broadcast_object({"from": rank}, root=1)["from"])
    got["agree_one"] = np.array(group.agree(rank == size - 1))
    got["agree_none"] = np.array(group.agree(False))
    group.barrier()

    # Differently seeded ranks, one Adam step each on their own data: everything differs.
    mn.manual_seed(rank)
    model = nin("small")
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    for p in model.parameters():
        p.grad = np.random.default_rng(rank).standard_normal(p.shape).astype(np.float32)
    optimizer.step()
    got["before"] = np.concatenate([p.data.ravel() for p in model.parameters()])
    group.broadcast_parameters(model.parameters())
    group.broadcast_optimizer_state(optimizer)
    got["after"] = np.concatenate([p.data.ravel() for p in model.parameters()])
    state = optimizer.state_dict()["state"]
    got["adam_exp_avg"] = np.concatenate([state[k]["exp_avg"].ravel() for k in sorted(state, key=int)])
    got["adam_step"] = np.array([float(state[k]["step"]) for k in sorted(state, key=int)])

    # Gradients: some None on some ranks, one None everywhere; packed, in buckets, one by one.
    params = list(model.parameters())
    rng = np.random.default_rng(100 + rank)
    grads = [rng.standard_normal(p.shape).astype(np.float32) for p in params]
    grads[0] = None if rank == 0 else grads[0]
    grads[1] = None
    got["local_grads"] = np.concatenate([np.zeros(p.data.size, np.float32) if g is None else g.ravel()
                                         for p, g in zip(params, grads)])
    for name, bucket_bytes in (("buckets", 200_000), ("packed", None)):
        for p, g in zip(params, grads):
            p.grad = None if g is None else g.copy()
        group.all_reduce_gradients(params, bucket_bytes=bucket_bytes)
        got[f"{name}_none"] = np.array([p.grad is None for p in params])
        got[f"{name}_grads"] = np.concatenate([np.zeros(p.data.size, np.float32) if p.grad is None
                                               else p.grad.ravel() for p in params])
    # The buffer is reused by the next call; the gradients handed out before must not change.
    kept = [p.grad for p in params]
    for p in params:
        p.grad = np.ones(p.shape, np.float32)
    group.all_reduce_gradients(params)
    got["kept_grads"] = np.concatenate([np.zeros(p.data.size, np.float32) if g is None else g.ravel()
                                        for p, g in zip(params, kept)])
    np.savez(f"{out}/rank{rank}.npz", **got)


if __name__ == "__main__":
    main(sys.argv[1])
