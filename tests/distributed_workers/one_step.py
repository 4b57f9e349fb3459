"""Run by tests/test_distributed.py, alone or under mpiexec: a few SGD steps of the small
NiN written out by hand, dropout off, each rank on its contiguous share of every global
batch, gradients averaged with ``all_reduce_gradients``. Alone (no process group) the
one process takes the whole batch. Each rank writes its final weights to
OUT/rank<r>.npz.

    python one_step.py OUT BATCH STEPS
"""

import sys

import numpy as np

import minin as mn
import minin.functional as F
from minin import distributed, nn, optim
from minin.models import nin


def main(out, batch_size, steps):
    group = distributed.init_from_environment()
    rank, world_size = (group.rank, group.world_size) if group else (0, 1)
    distributed.check_batch_size(batch_size, world_size)
    share = distributed.shard(batch_size, rank, world_size)

    mn.manual_seed(0)                      # the same initial weights on every rank
    model = nin("small")
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.eval()                  # dropout off: its masks differ between ranks
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    data = np.random.default_rng(1)        # the same global batches on every rank
    # The first step moves only the last layer (its weights start at zero): take a few.
    for _ in range(steps):
        images = data.standard_normal((batch_size, 1, 28, 28)).astype(np.float32)
        labels = data.integers(0, 10, batch_size)
        loss = F.cross_entropy(model(mn.tensor(images[share])), mn.Tensor(labels[share]))
        optimizer.zero_grad()
        loss.backward()
        if group is not None:
            group.all_reduce_gradients(model.parameters())
        optimizer.step()
    np.savez(f"{out}/rank{rank}.npz", **model.state_dict())


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
