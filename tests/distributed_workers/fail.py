"""Run under mpiexec by tests/test_distributed.py: the last rank fails in the middle of
a run of all-reduces while the others go on into the next one, where they would wait
forever if nothing ended the job.

    python fail.py raise|exit|kill
"""

import os
import signal
import sys

import numpy as np

from minin import distributed


def main(how):
    group = distributed.init_from_environment()
    x = np.ones(1000, dtype=np.float32)
    for step in range(5):
        if step == 2 and group.rank == group.world_size - 1:
            if how == "raise":
                raise RuntimeError(f"rank {group.rank} failed on purpose at step {step}")
            if how == "exit":
                sys.exit(3)
            os.kill(os.getpid(), signal.SIGKILL)
        group.all_reduce(x)
    print(f"rank {group.rank} went through every step", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
